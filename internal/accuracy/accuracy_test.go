package accuracy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// overlapping builds n traces through one process: a request /cart/<id>
// served on port 8080 that calls Redis GET cart:<id> on a pooled
// connection, the requests overlapping so that each call lies within
// several requests. It returns the truth and what an agent captured.
func overlapping(n int) ([]TruthSpan, []span.Span) {
	var truth []TruthSpan
	var spans []span.Span
	const pid = 4242
	ms := time.Millisecond
	for i := range n {
		trace := fmt.Sprintf("%032x", i+1)
		reqID, callID := fmt.Sprintf("%016x", 2*i+1), fmt.Sprintf("%016x", 2*i+2)
		start := t0.Add(time.Duration(i) * ms)
		reqEnd, callStart := start.Add(20*ms), start.Add(5*ms)
		callEnd := callStart.Add(ms)
		client := fmt.Sprintf("127.0.0.1:%d", 40000+i)
		truth = append(truth,
			TruthSpan{TraceID: trace, SpanID: reqID, Service: "cart", Kind: "server", Protocol: "http", Operation: "GET /cart/{id}",
				StartUnixNano: start.UnixNano(), EndUnixNano: reqEnd.UnixNano(), LocalAddr: "127.0.0.1:8080", PeerAddr: client, PID: pid},
			TruthSpan{TraceID: trace, SpanID: callID, ParentSpanID: reqID, Service: "cart", Kind: "client", Protocol: "redis", Operation: "GET",
				StartUnixNano: callStart.UnixNano(), EndUnixNano: callEnd.UnixNano(), LocalAddr: "127.0.0.1:50000", PeerAddr: "127.0.0.1:6379", PID: pid})
		// The agent's clock reads a little later than the application's.
		lag := 30 * time.Microsecond
		spans = append(spans,
			span.Span{ID: "req" + reqID, Timestamp: start.Add(lag), Trace: span.Trace{ID: fmt.Sprintf("%032x", 1000+i)},
				Span:    span.Info{ID: "a" + reqID[1:], Kind: span.KindServer, Subtype: "http", Duration: span.Micros{US: (20 * ms).Microseconds()}},
				Service: span.Service{Name: "cart"}, Process: span.Process{PID: pid},
				Source: span.Endpoint{IP: "127.0.0.1", Port: 40000 + i}, Destination: span.Endpoint{IP: "127.0.0.1", Port: 8080},
				HTTP: &span.HTTP{Request: span.HTTPRequest{Method: "GET", Path: fmt.Sprintf("/cart/%d", 7000+i)}}},
			span.Span{ID: "call" + callID, Timestamp: callStart.Add(lag), Trace: span.Trace{ID: fmt.Sprintf("%032x", 2000+i)},
				Span:    span.Info{ID: "b" + callID[1:], Kind: span.KindClient, Subtype: "redis", Name: "GET", Duration: span.Micros{US: ms.Microseconds()}},
				Service: span.Service{Name: "cart"}, Process: span.Process{PID: pid},
				Source: span.Endpoint{IP: "127.0.0.1", Port: 50000}, Destination: span.Endpoint{IP: "127.0.0.1", Port: 6379},
				DB: &span.DB{Type: "redis", Statement: fmt.Sprintf("GET cart:%d", 7000+i)}})
	}
	return truth, spans
}

func TestEvaluate(t *testing.T) {
	truth, spans := overlapping(10)
	res := Evaluate(truth, spans, Modes())
	byMode := map[string]Result{}
	for _, r := range res {
		byMode[r.Mode] = r
		if r.Traces != 10 || r.Edges != 10 || r.TruthSpans != 20 || r.UnmatchedTruth != 0 || r.UnmatchedSpans != 0 {
			t.Errorf("%s: %+v, want 10 traces, 10 edges, 20 truth spans all matched", r.Mode, r)
		}
	}
	// The ids settle every call; the time-only baselines get some wrong:
	// each call lies within the requests that began up to 15 ms before it.
	if r := byMode["full (traceparent ignored)"]; r.CorrectTraces != 10 || r.CorrectEdges != 10 {
		t.Errorf("full: %+v, want all 10 traces right", r)
	}
	if r := byMode["fifo baseline"]; r.CorrectTraces >= 10 || r.CorrectTraces != r.CorrectEdges {
		t.Errorf("fifo: %+v, want some traces wrong", r)
	}
	if r := byMode["delay baseline"]; r.CorrectTraces >= 10 {
		t.Errorf("delay: %+v, want some traces wrong", r)
	}
}

func TestEvaluateCountsWhatIsMissing(t *testing.T) {
	truth, spans := overlapping(3)
	spans = spans[:len(spans)-1] // the last call was not captured
	spans = append(spans, span.Span{ID: "stray", Timestamp: t0.Add(time.Millisecond), Span: span.Info{Kind: span.KindClient, Subtype: "redis"},
		Process: span.Process{PID: 4242}, Source: span.Endpoint{IP: "127.0.0.1", Port: 50001}, Destination: span.Endpoint{IP: "127.0.0.1", Port: 6379}})
	r := Evaluate(truth, spans, Modes()[:1])[0]
	if r.UnmatchedTruth != 1 || r.UnmatchedSpans != 1 || r.CorrectTraces != 2 || r.Traces != 3 {
		t.Errorf("%+v, want 1 unmatched each side and 2 of 3 traces right", r)
	}
}

func TestReadTruth(t *testing.T) {
	good := `{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","parent_span_id":"","service":"gw","kind":"server","protocol":"http","operation":"GET /","start_unix_nano":1,"end_unix_nano":2,"local_addr":"127.0.0.1:80","peer_addr":"127.0.0.1:5000","pid":1}`
	if ts, err := ReadTruth(strings.NewReader(good + "\n\n")); err != nil || len(ts) != 1 {
		t.Fatalf("ReadTruth(good) = %v, %v", ts, err)
	}
	tests := []struct{ name, in, want string }{
		{"empty", "", "no spans"},
		{"not json", "{", "line 1"},
		{"unknown field", strings.Replace(good, `"pid":1`, `"pid":1,"tid":2`, 1), "unknown field"},
		{"short trace id", strings.Replace(good, "4bf92f3577b34da6a3ce929d0e0e4736", "4bf9", 1), "trace_id"},
		{"bad kind", strings.Replace(good, `"server"`, `"internal"`, 1), "kind"},
		{"bad protocol", strings.Replace(good, `"http"`, `"kafka"`, 1), "protocol"},
		{"bad address", strings.Replace(good, "127.0.0.1:80", "localhost", 1), "local_addr"},
		{"end before start", strings.Replace(good, `"end_unix_nano":2`, `"end_unix_nano":0`, 1), "end_unix_nano"},
		{"duplicate", good + "\n" + good, "already on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTruth(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
