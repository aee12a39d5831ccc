package otlp

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// diffLimits are the limits every differential case runs with: the
// defaults, and small ones that every case exceeds.
var diffLimits = []Limits{
	{},
	{MaxAttributes: 2, MaxStringBytes: 5, MaxEvents: 1, MaxLinks: 1, MaxDepth: 1},
	{MaxAttributes: 1, MaxStringBytes: 3, MaxEvents: 2, MaxLinks: 2, MaxDepth: 2},
}

// reference is the path the fast decoder must agree with.
func reference(body []byte, lim Limits) (Result, error) {
	req, err := decodeProtobuf(body)
	if err != nil {
		return Result{}, err
	}
	return Convert(req, "otlp/protobuf", lim), nil
}

// requireSame holds fastConvert and decodeConvert to the reference on
// body and returns fastConvert's error. fastConvert may leave a body to
// the reference (errFallback) but must not refuse one it accepts.
func requireSame(t testing.TB, body []byte, lim Limits) error {
	want, wantErr := reference(body, lim)
	got, err := fastConvert(body, "otlp/protobuf", lim)
	switch {
	case err == nil:
		require.NoError(t, wantErr, "fast path accepted a body the reference refuses")
		requireEqualResults(t, want, got)
	case errors.Is(err, errMalformed):
		require.Error(t, wantErr, "fast path refused a body the reference accepts")
	default:
		require.ErrorIs(t, err, errFallback)
	}
	got, gotErr := decodeConvert(body, "otlp/protobuf", lim)
	if wantErr != nil {
		require.EqualError(t, gotErr, wantErr.Error())
		return err
	}
	require.NoError(t, gotErr)
	requireEqualResults(t, want, got)
	return err
}

// requireEqualResults compares whole Results, and on a difference shows
// the first span that differs: a diff of whole Results takes testify
// minutes.
func requireEqualResults(t testing.TB, want, got Result) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return
	}
	require.Equal(t, want.Rejected, got.Rejected)
	require.Equal(t, len(want.Spans), len(got.Spans))
	for i := range want.Spans {
		require.Equal(t, want.Spans[i], got.Spans[i], "span %d", i)
	}
	require.Equal(t, want, got) // nil and empty slices
}

// Invalid UTF-8 cannot be marshalled, so a marker of the same length is
// replaced in the encoded body.
const badUTF8Marker = "~!BAD!~"

var badUTF8 = []byte("a\xffb\xc3(\xe2\x82")

func encode(t testing.TB, m proto.Message) []byte {
	return bytes.ReplaceAll(marshal(t, m), []byte(badUTF8Marker), badUTF8)
}

// unknown sets m's unknown fields: wire bytes that come after its known
// fields when marshalled, so known field numbers in them repeat fields.
func unknown[M proto.Message](m M, raw ...[]byte) M {
	m.ProtoReflect().SetUnknown(bytes.Join(raw, nil))
	return m
}

func tagged(num protowire.Number, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), b)
}

// junk is unknown fields of every wire type, a group among them.
func junk(num protowire.Number) []byte {
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	b = protowire.AppendVarint(b, 1<<40)
	b = protowire.AppendTag(b, num+1, protowire.Fixed32Type)
	b = protowire.AppendFixed32(b, 7)
	b = protowire.AppendTag(b, num+2, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, 7)
	b = protowire.AppendTag(b, num+3, protowire.BytesType)
	b = protowire.AppendString(b, "x")
	b = protowire.AppendTag(b, num+4, protowire.StartGroupType)
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 3)
	return protowire.AppendTag(b, num+4, protowire.EndGroupType)
}

// wrongType is field num with a wire type protobuf does not expect for
// it, which makes it an unknown field.
func wrongType(num protowire.Number) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), 5)
}

func kv(k string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: v}
}

func i64(v int64) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}
}

func boolean(v bool) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v}}
}

func bin(v []byte) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: v}}
}

// awkwardAttrs has every kind of value, and keys and values past limits.
func awkwardAttrs() []*commonpb.KeyValue {
	long := "ünïcödé-" + string(bytes.Repeat([]byte("é"), 40))
	return []*commonpb.KeyValue{
		kv("b", boolean(true)), kv("i", i64(-1)), kv("big", i64(math.MaxInt64)),
		kv("f", dbl(1.5)), kv("nan", dbl(math.NaN())), kv("inf", dbl(math.Inf(1))), kv("ninf", dbl(math.Inf(-1))),
		kv("bytes", bin([]byte{0, 1, 2, 0xff})), kv("empty", &commonpb.AnyValue{}), kv("nil", nil),
		kv("strindex", &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: 3}}),
		{Key: "", KeyStrindex: 4, Value: str("dropped")}, kv("dup", str("first")), kv("dup", i64(2)),
		kv("arr", arr(str("a"), i64(300), arr(str("x"), nested(3)), kvlist(), bin(nil))),
		kv("deep", nested(6)), kv("map", kvlist(kv("a", str("b")), kv("c", arr()))),
		kv(long, str(long)), kv("bad"+badUTF8Marker, str(badUTF8Marker+"value")),
		kv("process.pid", str("77")), kv("server.port", dbl(8080)), kv("http.response.status_code", str("503")),
	}
}

// fullSpan sets every field of a span; i varies kind, ids and conventions.
func fullSpan(i int) *tracepb.Span {
	b := byte(i)
	s := &tracepb.Span{
		TraceId:                []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, b + 1},
		SpanId:                 []byte{1, 2, 3, 4, 5, 6, 7, b + 1},
		ParentSpanId:           []byte{8, 7, 6, 5, 4, 3, 2, b},
		TraceState:             "vendor=x," + badUTF8Marker,
		Name:                   "op " + badUTF8Marker + strconv.Itoa(i),
		Kind:                   tracepb.Span_SpanKind(i % 7),
		StartTimeUnixNano:      1_767_323_045_123_456_789 + uint64(i),
		EndTimeUnixNano:        1_767_323_045_123_456_789 + uint64(i*i*1000),
		Attributes:             awkwardAttrs(),
		DroppedAttributesCount: uint32(i),
		Events: []*tracepb.Span_Event{
			{TimeUnixNano: 5, Name: "exception", Attributes: awkwardAttrs(), DroppedAttributesCount: 2},
			{TimeUnixNano: math.MaxUint64, Name: badUTF8Marker},
			{Name: "third", Attributes: []*commonpb.KeyValue{kv("x", nested(9))}},
		},
		DroppedEventsCount: 3,
		Links: []*tracepb.Span_Link{
			{TraceId: []byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, SpanId: []byte{9, 9, 9, 9, 9, 9, 9, 9},
				TraceState: "t=1", Attributes: awkwardAttrs(), DroppedAttributesCount: 1, Flags: 0x301},
			{TraceId: []byte{1}, SpanId: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Attributes: awkwardAttrs()},
			{TraceId: make([]byte, 16), SpanId: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
			{TraceId: []byte{7, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, SpanId: []byte{7, 9, 9, 9, 9, 9, 9, 9}},
		},
		DroppedLinksCount: 1,
		Status:            &tracepb.Status{Message: "boom " + badUTF8Marker, Code: tracepb.Status_StatusCode(i % 4)},
		Flags:             0x301,
	}
	switch i % 4 { // conventions, old and new
	case 0:
		s.Attributes = append(s.Attributes, strAttr("http.request.method", "_OTHER"), strAttr("http.request.method_original", "PURGE"),
			strAttr("url.full", "https://user@shop.example.com:8443/a%20b?q=1#f"), strAttr("network.peer.address", "fe80::1%eth0"),
			intAttr("network.peer.port", 5555), strAttr("peer.service", "shop"), strAttr("db.system.name", "postgresql"))
	case 1:
		s.Attributes = append(s.Attributes, strAttr("http.method", "POST"), strAttr("http.url", "http://h:80/p?"),
			strAttr("net.peer.name", "10.1.2.3"), strAttr("net.peer.port", "8080"), intAttr("http.status_code", 404),
			strAttr("http.flavor", "1.1"), strAttr("net.host.name", "api"), intAttr("net.host.port", 9000))
	case 2:
		s.Attributes = append(s.Attributes, strAttr("http.request.method", "GET"), strAttr("url.path", "/x"),
			strAttr("url.query", "y=1"), strAttr("server.address", "::1"), intAttr("server.port", 443),
			strAttr("url.scheme", "https"), strAttr("client.address", "192.168.0.1"), intAttr("client.port", 1234),
			strAttr("network.local.address", "10.0.0.2"), strAttr("messaging.system", "kafka"))
	}
	return s
}

func resourceOf(attrs ...*commonpb.KeyValue) *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: attrs, DroppedAttributesCount: 3,
		EntityRefs: []*commonpb.EntityRef{{Type: "service", IdKeys: []string{"service.name"}, SchemaUrl: badUTF8Marker}}}
}

func fullRequest() *coltracepb.ExportTraceServiceRequest {
	var spans []*tracepb.Span
	for i := range 8 {
		spans = append(spans, fullSpan(i))
	}
	res := resourceOf(strAttr("service.name", "checkout"+badUTF8Marker), strAttr("host.name", "node-1"),
		intAttr("process.pid", 42), strAttr("process.executable.path", "/usr/bin/checkout"),
		strAttr("container.id", "c0ffee"), strAttr("k8s.pod.uid", "pod-1"), strAttr("k8s.container.name", "app"),
		kv("tags", arr(str("a"), kvlist(kv("b", str("c"))))))
	scope := &commonpb.InstrumentationScope{Name: "lib" + badUTF8Marker, Version: "1.0",
		Attributes: awkwardAttrs(), DroppedAttributesCount: 1}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{
		{Resource: res, SchemaUrl: "https://opentelemetry.io/schemas/1.26.0", ScopeSpans: []*tracepb.ScopeSpans{
			{Scope: scope, Spans: spans[:4], SchemaUrl: "s"}, {Spans: spans[4:]}, {}}},
		{Resource: resourceOf(strAttr("process.executable.name", "worker")), ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans[2:5]}}},
		{ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{}, Spans: spans[:1]}}},
		{},
	}}
}

// invalidSpans are spans the converter rejects, one per reason, and
// edge cases it does not.
func invalidSpans() []*tracepb.Span {
	mod := func(f func(s *tracepb.Span)) *tracepb.Span { s := fullSpan(1); f(s); return s }
	return []*tracepb.Span{
		mod(func(s *tracepb.Span) { s.TraceId = s.TraceId[:15] }),
		mod(func(s *tracepb.Span) { s.TraceId = make([]byte, 16) }),
		mod(func(s *tracepb.Span) { s.SpanId = nil }),
		mod(func(s *tracepb.Span) { s.SpanId = make([]byte, 8) }),
		mod(func(s *tracepb.Span) { s.ParentSpanId = []byte{1, 2, 3} }),
		mod(func(s *tracepb.Span) { s.ParentSpanId = make([]byte, 8) }),
		mod(func(s *tracepb.Span) { s.ParentSpanId = make([]byte, 3) }),
		mod(func(s *tracepb.Span) { s.StartTimeUnixNano = 0 }),
		mod(func(s *tracepb.Span) { s.StartTimeUnixNano = math.MaxInt64 + 1 }),
		mod(func(s *tracepb.Span) { s.StartTimeUnixNano = math.MaxInt64 }),
		mod(func(s *tracepb.Span) { s.EndTimeUnixNano = 1 }),
		mod(func(s *tracepb.Span) { s.Status = nil; s.Attributes = nil; s.Events = nil; s.Links = nil }),
		{},
	}
}

// wireCases are bodies that the generated types cannot say directly:
// unknown fields everywhere, fields out of order, repeated singular
// fields, wrong wire types.
func wireCases(t testing.TB) map[string][]byte {
	s := fullSpan(2)
	s.Status = unknown(&tracepb.Status{Code: 2}, junk(10), wrongType(2), tagged(2, &tracepb.Status{}))
	s.Events[0] = unknown(s.Events[0], junk(20), wrongType(2))
	s.Links[0] = unknown(s.Links[0], junk(20), wrongType(1))
	s.Attributes[0] = unknown(kv("u", unknown(str("v"), junk(20), wrongType(1))), junk(20), wrongType(1))
	s.Attributes[1] = kv("arr", unknown(arr(unknown(i64(1), junk(9))), junk(9)))
	s = unknown(s, junk(100), wrongType(1), wrongType(5), wrongType(9), wrongType(15))
	req := unknown(request(s), junk(50))
	req.ResourceSpans[0] = unknown(req.ResourceSpans[0], junk(50))
	req.ResourceSpans[0].Resource = unknown(req.ResourceSpans[0].Resource, junk(50), wrongType(1))
	req.ResourceSpans[0].ScopeSpans[0] = unknown(req.ResourceSpans[0].ScopeSpans[0], junk(50), wrongType(2))

	// the second of a singular field wins; messages merge
	again := fullSpan(3)
	again = unknown(again, tagged(1, &tracepb.Span{TraceId: fullSpan(5).TraceId}),
		protowire.AppendString(protowire.AppendTag(nil, 5, protowire.BytesType), "renamed"),
		tagged(15, &tracepb.Status{Message: "merged"}))
	late := &tracepb.ResourceSpans{ScopeSpans: []*tracepb.ScopeSpans{
		unknown(&tracepb.ScopeSpans{Spans: []*tracepb.Span{again}},
			tagged(1, &commonpb.InstrumentationScope{Name: "late"}), tagged(1, &commonpb.InstrumentationScope{Version: "2"}))}}
	late = unknown(late, tagged(1, resourceOf(strAttr("service.name", "late"))), tagged(1, resourceOf(strAttr("host.name", "h"))))

	replaced := kv("r", unknown(arr(str("a")), tagged(1, str("b"))))
	replaced.Value = unknown(replaced.Value, protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "won"))
	valueTwice := unknown(kv("v", str("a")), tagged(2, i64(1)))
	arrayTwice := kv("a", unknown(arr(str("a")), tagged(5, &commonpb.ArrayValue{Values: []*commonpb.AnyValue{str("b")}})))
	mixed := fullSpan(4)
	mixed.Attributes = []*commonpb.KeyValue{replaced, valueTwice, arrayTwice}

	return map[string][]byte{
		"unknown fields":        encode(t, req),
		"late and repeated":     encode(t, &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{late}}),
		"merged values":         encode(t, request(mixed)),
		"concatenated requests": append(encode(t, fullRequest()), encode(t, request(fullSpan(6)))...),
		"deep":                  encode(t, request(&tracepb.Span{TraceId: s.TraceId, SpanId: s.SpanId, StartTimeUnixNano: 1, Attributes: []*commonpb.KeyValue{kv("d", nested(60))}})),
		"empty":                 nil,
	}
}

func diffCases(t testing.TB) map[string][]byte {
	cases := wireCases(t)
	cases["bench"] = encode(t, benchRequest())
	cases["full"] = encode(t, fullRequest())
	cases["invalid spans"] = encode(t, request(invalidSpans()...))
	for i, req := range fuzzSeeds(nil) {
		cases[fmt.Sprint("fuzz seed ", i)] = encode(t, req)
	}
	for i, s := range invalidSpans() {
		cases[fmt.Sprint("invalid span ", i)] = encode(t, request(s))
	}
	cases["same keys"] = encode(t, request(sameKeySpans()...))
	cases["changing ends"] = encode(t, request(changingEndSpans()...))
	for i := range 4 {
		s := fullSpan(i)
		s.Attributes, s.Events[0].Attributes, s.Links[0].Attributes = s.Attributes[i*4:i*4+8], nil, nil
		cases[fmt.Sprint("small span ", i)] = encode(t, request(s))
	}
	return cases
}

// sameKeySpans follow one another with the same keys and some values
// changed, which spanAttrs takes by cloning the previous span's map.
func sameKeySpans() []*tracepb.Span {
	third := []*commonpb.AnyValue{str("x"), str("x"), arr(str("y")), arr(str("y")), str("long value to cut"),
		str("long value to cut"), nil, nil, i64(7), dbl(2), boolean(true), boolean(true), bin([]byte("b")), str("x"),
		str(badUTF8Marker), str(badUTF8Marker), bin([]byte("b")), bin([]byte("b")), i64(7), i64(7)}
	var spans []*tracepb.Span
	for i, v := range third {
		s := fullSpan(1)
		s.SpanId[0], s.Events, s.Links, s.Status = byte(i+1), nil, nil, nil
		s.Attributes = []*commonpb.KeyValue{strAttr("http.request.method", []string{"GET", "PUT"}[i/3%2]),
			intAttr("server.port", 8080), kv("third", v)}
		switch i {
		case 9, 10: // a repeated key
			s.Attributes = append(s.Attributes, strAttr("http.request.method", "POST"))
		case 12: // no key
			s.Attributes[1].Key = ""
		}
		spans = append(spans, s)
	}
	return spans
}

// changingEndSpans keep their keys while the attributes naming the ends
// of their connection, and their kind, change from span to span or not:
// the fast path reuses the previous span's ends only when they cannot
// differ.
func changingEndSpans() []*tracepb.Span {
	var spans []*tracepb.Span
	for i, end := range []struct {
		kind          tracepb.Span_SpanKind
		client, sAddr string
		sPort         int64
	}{
		{tracepb.Span_SPAN_KIND_SERVER, "10.0.0.1", "shop", 443},
		{tracepb.Span_SPAN_KIND_SERVER, "10.0.0.1", "shop", 443},
		{tracepb.Span_SPAN_KIND_SERVER, "10.0.0.2", "shop", 443},
		{tracepb.Span_SPAN_KIND_SERVER, "10.0.0.2", "shop", 8443},
		{tracepb.Span_SPAN_KIND_CLIENT, "10.0.0.2", "shop", 8443},
		{tracepb.Span_SPAN_KIND_CLIENT, "10.0.0.2", "10.9.9.9", 8443},
		{tracepb.Span_SPAN_KIND_CLIENT, "::1", "10.9.9.9", 8443},
		{tracepb.Span_SPAN_KIND_SERVER, "::1", "", 0},
		{tracepb.Span_SPAN_KIND_SERVER, "::1", "", 0},
	} {
		s := fullSpan(1)
		s.SpanId[0], s.Events, s.Links, s.Status, s.Kind = byte(i+1), nil, nil, nil, end.kind
		s.Attributes = []*commonpb.KeyValue{strAttr("http.request.method", "GET"),
			strAttr("url.path", fmt.Sprint("/p/", i)), strAttr("client.address", end.client),
			strAttr("server.address", end.sAddr), intAttr("server.port", end.sPort)}
		spans = append(spans, s)
	}
	return spans
}

// fuzzSeedBytes bounds the seeds of FuzzFastDecode: the fuzzer spends
// long minimising large inputs.
const fuzzSeedBytes = 4 << 10

func TestFastDecodeDifferential(t *testing.T) {
	for name, body := range diffCases(t) {
		t.Run(name, func(t *testing.T) {
			for _, lim := range diffLimits {
				err := requireSame(t, body, lim)
				if name != "deep" && name != "merged values" {
					require.NoError(t, err, "limits %+v", lim)
				}
			}
		})
	}
}

// Every prefix and every single-byte change of a few bodies is malformed
// or different; the two paths must still agree.
func TestFastDecodeDifferentialDamaged(t *testing.T) {
	cases := wireCases(t)
	for _, name := range []string{"unknown fields", "late and repeated", "merged values"} {
		body := cases[name]
		for i := range body {
			requireSame(t, body[:i], Limits{})
			damaged := bytes.Clone(body)
			for _, x := range []byte{0, 0x7f, 0x80, 0xff, body[i] ^ 1} {
				damaged[i] = x
				requireSame(t, damaged, diffLimits[i%len(diffLimits)])
			}
		}
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, body := range diffCases(f) {
		if len(body) <= fuzzSeedBytes {
			f.Add(body, uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, limits uint8) {
		requireSame(t, body, diffLimits[int(limits)%len(diffLimits)])
	})
}

// TestWriteFastDecodeSeeds writes the differential cases as the committed
// seed corpus of FuzzFastDecode: VIGIL_WRITE_SEEDS=1 go test -run WriteFast.
func TestWriteFastDecodeSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_SEEDS=1 to rewrite testdata/fuzz/FuzzFastDecode")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzFastDecode")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	cases := diffCases(t)
	i := 0
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		body := cases[name]
		if len(body) > fuzzSeedBytes {
			continue
		}
		for l := range diffLimits {
			file := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint8(%d)\n", body, l)
			require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(file), 0o644))
			i++
		}
	}
}

// Filter changes spans in place, so no two spans may share a map or a
// slice, but for their resource's (see Handler.filter): not attribute
// maps cloned from the previous span's (spanAttrs).
func TestFastDecodeSharesNothing(t *testing.T) {
	for name, body := range diffCases(t) {
		for _, lim := range diffLimits {
			res, err := fastConvert(body, "otlp/protobuf", lim)
			if err != nil {
				continue
			}
			owner := map[uintptr]int{}
			for i := range res.Spans {
				o := res.Spans[i].OTel
				for _, v := range []any{o.Attributes, o.Events, o.Links} {
					forEachComposite(v, func(p uintptr) {
						if j, ok := owner[p]; ok && j != i {
							t.Fatalf("%s: spans %d and %d share a map or slice", name, j, i)
						}
						owner[p] = i
					})
				}
			}
		}
	}
}

// forEachComposite calls f with the address of every non-empty map and
// slice in v.
func forEachComposite(v any, f func(uintptr)) {
	var walk func(r reflect.Value)
	walk = func(r reflect.Value) {
		switch r.Kind() {
		case reflect.Interface, reflect.Pointer:
			if !r.IsNil() {
				walk(r.Elem())
			}
		case reflect.Map:
			if r.Len() > 0 {
				f(r.Pointer())
			}
			for it := r.MapRange(); it.Next(); {
				walk(it.Value())
			}
		case reflect.Slice:
			if r.Len() > 0 {
				f(r.Pointer())
			}
			for i := range r.Len() {
				walk(r.Index(i))
			}
		case reflect.Struct:
			for i := range r.NumField() {
				walk(r.Field(i))
			}
		}
	}
	walk(reflect.ValueOf(v))
}
