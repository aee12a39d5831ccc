package span

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// TestAppendJSONMatchesMarshal fills every field of Span, through reflection
// so that a field added later is covered without touching this test, with
// random values (awkward strings, zero values that omitempty drops, nil and
// set pointers) and requires AppendJSON to equal json.Marshal byte for byte.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		var sp Span
		fill(rng, reflect.ValueOf(&sp).Elem())
		want, err := json.Marshal(&sp)
		if err != nil {
			t.Fatalf("case %d: json.Marshal: %v", i, err)
		}
		got := sp.AppendJSON(nil)
		if string(got) != string(want) {
			t.Fatalf("case %d: AppendJSON differs from json.Marshal\n got: %s\nwant: %s", i, got, want)
		}
	}
}

func TestAppendJSONAppends(t *testing.T) {
	sp := Span{ID: "a"}
	got := sp.AppendJSON([]byte("prefix "))
	want, _ := json.Marshal(&sp)
	if string(got) != "prefix "+string(want) {
		t.Fatalf("got %s", got)
	}
}

var awkward = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rcr",
	"\x00\x01\x1f\x7f", "\b\f", "héllo wörld ✓", "\u2028\u2029", "bad \xff\xfe utf8", "trail \xe2\x82",
	"GET /api/orders/{id}?q=a&b=<c>", "😀 emoji",
}

func fill(rng *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if rng.IntN(4) == 0 {
			v.SetString(awkward[rng.IntN(len(awkward))] + awkward[rng.IntN(len(awkward))])
		} else {
			v.SetString(awkward[rng.IntN(len(awkward))])
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		switch rng.IntN(3) {
		case 0:
			v.SetInt(0)
		case 1:
			v.SetInt(rng.Int64N(1 << 40))
		default:
			v.SetInt(-rng.Int64N(1000))
		}
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Float64:
		if rng.IntN(3) == 0 {
			v.SetFloat(0)
		} else {
			v.SetFloat(floats[rng.IntN(len(floats))])
		}
	case reflect.Pointer:
		if rng.IntN(3) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(rng, p.Elem())
		v.Set(p)
	case reflect.Map:
		if rng.IntN(3) == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.ValueOf(randomAttrs(rng, 2)))
	case reflect.Slice:
		n := rng.IntN(4)
		sl := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(rng, sl.Index(i))
		}
		v.Set(sl)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(randomTime(rng)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i))
			}
		}
	default:
		panic("fill: add support for " + v.Type().String() + " (a new kind of field in Span)")
	}
}

// randomAttrs is an attribute map as OTLP decoding produces them.
func randomAttrs(rng *rand.Rand, depth int) map[string]any {
	m := map[string]any{}
	for range rng.IntN(6) {
		m[awkward[rng.IntN(len(awkward))]+strconv.Itoa(rng.IntN(100))] = randomValue(rng, depth)
	}
	return m
}

var floats = []float64{0, 1, -1.5, 3.14159, 1e-7, 1.5e-9, 1e21, 2.5e300, 123456789.125, 1e20, -1e-6}

func randomValue(rng *rand.Rand, depth int) any {
	switch rng.IntN(7) {
	case 0:
		return awkward[rng.IntN(len(awkward))]
	case 1:
		return rng.Int64N(1<<62) - 1<<61
	case 2:
		return floats[rng.IntN(len(floats))]
	case 3:
		return rng.IntN(2) == 0
	case 4:
		if depth > 0 {
			return []any{randomValue(rng, depth-1), randomValue(rng, depth-1)}
		}
		return nil
	case 5:
		if depth > 0 {
			return randomAttrs(rng, depth-1)
		}
		return "leaf"
	default:
		return rng.Float64() * math.Pow(10, float64(rng.IntN(40)-20))
	}
}

func randomTime(rng *rand.Rand) time.Time {
	t := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9))
	switch rng.IntN(4) {
	case 0:
		return t.UTC()
	case 1:
		return t.In(time.FixedZone("x", -5*3600-1800))
	case 2:
		return t.Truncate(time.Second).UTC()
	default:
		return t.Truncate(time.Microsecond).UTC()
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	sp := benchSpan()
	var buf []byte
	for b.Loop() {
		buf = sp.AppendJSON(buf[:0])
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}

func BenchmarkMarshalJSON(b *testing.B) {
	sp := benchSpan()
	for b.Loop() {
		if _, err := json.Marshal(&sp); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSpan() Span {
	at := time.Date(2026, 11, 22, 10, 0, 0, 123456000, time.UTC)
	return Span{
		ID: TimeOrderedID(at, "9f86d081884c7d65"), Timestamp: at,
		Trace:  Trace{ID: "4bf92f3577b34da6a3ce929d0e0e4736"},
		Parent: &Parent{ID: "00f067aa0ba902b7"},
		Span: Info{ID: "9f86d081884c7d65", Kind: KindServer, Name: "GET /api/orders/{id}", Type: "request",
			Subtype: "http", Duration: Micros{US: 12345}},
		Service:     Service{Name: "orders", Node: ServiceNode{Name: "node-1"}},
		Process:     Process{PID: 4242, Executable: "/usr/local/bin/orders", Name: "orders", Thread: &Thread{ID: 4243}},
		Container:   &Container{ID: "3f1c2b9a8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b"},
		Kubernetes:  &Kubernetes{Pod: KubernetesPod{UID: "6b1f0c2e-9a7d-4c3b-8e5f-1a2b3c4d5e6f"}, Container: KubernetesContainer{Name: "orders"}},
		Source:      Endpoint{IP: "10.1.2.3", Port: 51724},
		Destination: Endpoint{IP: "10.1.4.5", Port: 8080},
		HTTP: &HTTP{Version: "1.1",
			Request:  HTTPRequest{Method: "GET", Path: "/api/orders/1234?expand=items&currency=EUR", Host: "orders:8080", Bytes: 412},
			Response: HTTPResponse{StatusCode: 200, Bytes: 2311, BodyBytes: 2048}},
		Event: Event{Outcome: OutcomeSuccess},
		Vigil: Vigil{Source: SourceEBPF, ConnID: "abcdef0123456789", TraceFromTraffic: true, EndThread: 4244, Tokens: []string{"a1b2c3d4e5f6", "0f1e2d3c4b5a"}, StoredAt: &at},
	}
}

func TestDecodeMatchesUnmarshal(t *testing.T) {
	s := benchSpan()
	b := s.AppendJSON(nil)
	var want, got Span
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if err := Decode(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode = %+v\nwant %+v", got, want)
	}
	if err := Decode([]byte(`{"id":`), &got); err == nil {
		t.Error("Decode of a cut document: no error")
	}
}

func BenchmarkDecode(b *testing.B) {
	s := benchSpan()
	doc := s.AppendJSON(nil)
	for b.Loop() {
		var sp Span
		if err := Decode(doc, &sp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalJSON(b *testing.B) {
	s := benchSpan()
	doc := s.AppendJSON(nil)
	for b.Loop() {
		var sp Span
		if err := json.Unmarshal(doc, &sp); err != nil {
			b.Fatal(err)
		}
	}
}
