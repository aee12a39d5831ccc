package span

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestBinaryMatchesJSON fills every field of Span at random (see fill: a
// field added later is covered without touching this test) and requires
// the binary round trip to give exactly what the JSON round trip gives.
func TestBinaryMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		var sp Span
		fill(rng, reflect.ValueOf(&sp).Elem())
		checkBinaryRoundTrip(t, &sp)
	}
}

func checkBinaryRoundTrip(t *testing.T, sp *Span) {
	t.Helper()
	var want, got Span
	if err := Decode(sp.AppendJSON(nil), &want); err != nil {
		t.Fatalf("JSON round trip of %q: %v", sp.ID, err)
	}
	if err := DecodeBinary(sp.AppendBinary(nil), &got); err != nil {
		t.Fatalf("binary round trip of %q: %v", sp.ID, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("binary round trip differs from JSON's\n got: %s\nwant: %s", got.AppendJSON(nil), want.AppendJSON(nil))
	}
}

func TestBinaryEdgeCases(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 5, time.UTC)
	local := at.In(time.Local)
	zero := time.Time{}
	last := time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	for _, tc := range []struct {
		name string
		sp   Span
	}{
		{"zero span", Span{}},
		{"zero stored_at", Span{Vigil: Vigil{StoredAt: &zero}}},
		{"local time", Span{Timestamp: local, Vigil: Vigil{StoredAt: &local}}},
		{"zone with no offset", Span{Timestamp: at.In(time.FixedZone("gmt", 0))}},
		{"NaN confidence", Span{Vigil: Vigil{ParentConfidence: math.NaN()}}},
		{"infinite confidence", Span{Vigil: Vigil{ParentConfidence: math.Inf(-1)}}},
		{"negative zero confidence", Span{Vigil: Vigil{ParentConfidence: math.Copysign(0, -1)}}},
		{"empty tokens", Span{Vigil: Vigil{Tokens: []string{}}}},
		{"empty otel", Span{OTel: &OTel{}}},
		{"big numbers", Span{Process: Process{PID: math.MaxInt64}, Span: Info{Duration: Micros{US: math.MinInt64}}}},
		{"invalid utf-8", Span{ID: "a\xffb\xe2\x82", Service: Service{Name: "\xed\xa0\x80"}}},
		{"first and last years", Span{Timestamp: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
			Vigil: Vigil{StoredAt: &last}}},
		{"strings of every length", Span{ID: strings.Repeat("x", 200), Trace: Trace{ID: "ab\u00e9"},
			Span: Info{Name: "1234567\xff", Kind: "abc\xc3\xa9", Type: "\xe9", Subtype: strings.Repeat("é", 100)}}},
		{"bench span", benchSpan()},
		{"attribute values", Span{OTel: &OTel{Attributes: map[string]any{
			"nan": math.NaN(), "inf": math.Inf(1), "big": int64(1<<53 + 1), "int": 7, "int32": int32(5),
			"empty map": map[string]any{}, "nil map": map[string]any(nil), "nil list": []any(nil),
			"nested": []any{map[string]any{}, []any{}, nil, "x", false, math.Copysign(0, -1)},
		}}}},
		{"empty attributes", Span{OTel: &OTel{Attributes: map[string]any{}, Events: []SpanEvent{{Attributes: map[string]any{}}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkBinaryRoundTrip(t, &tc.sp) })
	}
}

func TestDecodeBinaryRejectsDamage(t *testing.T) {
	sp := benchSpan()
	b := sp.AppendBinary(nil)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, b[1:]...)},
		{"cut", b[:len(b)/2]},
		{"trailing bytes", append(b[:len(b):len(b)], 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Span
			if err := DecodeBinary(tc.data, &got); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// FuzzBinaryRoundTrip draws spans from the fuzzer's seeds.
func FuzzBinaryRoundTrip(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		var sp Span
		fill(rand.New(rand.NewPCG(a, b)), reflect.ValueOf(&sp).Elem())
		checkBinaryRoundTrip(t, &sp)
	})
}

// FuzzDecodeBinary feeds arbitrary bytes: no panic, and what decodes
// encodes to a span that decodes again.
func FuzzDecodeBinary(f *testing.F) {
	sp := benchSpan()
	f.Add(sp.AppendBinary(nil))
	f.Add([]byte{binaryVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Span
		if DecodeBinary(data, &got) != nil {
			return
		}
		var again Span
		if err := DecodeBinary(got.AppendBinary(nil), &again); err != nil {
			t.Fatalf("re-encoding a decoded span: %v", err)
		}
	})
}

func BenchmarkAppendBinary(b *testing.B) {
	for _, sp := range benchSpans() {
		b.Run(sp.name, func(b *testing.B) {
			var buf []byte
			for b.Loop() {
				buf = sp.span.AppendBinary(buf[:0])
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		})
	}
}

func BenchmarkDecodeBinary(b *testing.B) {
	for _, sp := range benchSpans() {
		b.Run(sp.name, func(b *testing.B) {
			doc := sp.span.AppendBinary(nil)
			var got Span
			for b.Loop() {
				if err := DecodeBinary(doc, &got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type namedSpan struct {
	name string
	span Span
}

// benchSpans are an agent's span and an OTLP one (attributes, scope, status).
func benchSpans() []namedSpan {
	otlp := benchSpan()
	otlp.OTel = &OTel{
		Attributes: map[string]any{"http.route": "/api/orders/{id}", "net.peer.port": 8080.0, "retry": false},
		Resource:   map[string]any{"service.version": "1.4.2", "host.name": "node-1", "telemetry.sdk.language": "go"},
		Scope:      &Scope{Name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", Version: "0.58.0"},
		Status:     &Status{Code: "ok"},
	}
	return []namedSpan{{"agent", benchSpan()}, {"otlp", otlp}}
}

func TestBinaryKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 1000 {
		var sp Span
		fill(rng, reflect.ValueOf(&sp).Elem())
		var want Span
		if err := DecodeBinary(sp.AppendBinary(nil), &want); err != nil {
			t.Fatal(err)
		}
		id, traceID, service, kind, err := BinaryKeys(string(sp.AppendBinary(nil)))
		if err != nil {
			t.Fatal(err)
		}
		got := [4]string{id, traceID, service, kind}
		if exp := [4]string{want.ID, want.Trace.ID, want.Service.Name, want.Span.Kind}; got != exp {
			t.Fatalf("BinaryKeys = %q, want %q", got, exp)
		}
	}
	b := benchSpan()
	doc := b.AppendBinary(nil)
	if _, _, _, _, err := BinaryKeys(string(doc[:20])); err == nil {
		t.Error("BinaryKeys of a cut span: no error")
	}
}
