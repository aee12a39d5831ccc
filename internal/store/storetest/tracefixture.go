package storetest

import (
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// NewCall returns the two spans the node agent writes for one HTTP call
// from service `from` to service `to` on connection number conn: the
// client span (started at `at`, lasting d) and the server span inside it,
// with the reversed 4-tuple and no link yet. Each has its own trace id, as
// when the traffic carried no trace context; correlation links them.
func NewCall(id, from, to string, conn int, at time.Time, d time.Duration) (client, server span.Span) {
	mk := func(kind, service string, start time.Time, dur time.Duration) span.Span {
		docID := id + "-" + kind
		return span.Span{
			ID:        docID,
			Timestamp: start.UTC(),
			Trace:     span.Trace{ID: span.NewID("trace", docID) + span.NewID("trace-lo", docID)},
			Span: span.Info{ID: span.NewID("span", docID), Kind: kind, Name: "GET /" + to,
				Type: "request", Subtype: "http", Duration: span.Micros{US: dur.Microseconds()}},
			Service:     span.Service{Name: service, Node: span.ServiceNode{Name: "node-1"}},
			Process:     span.Process{PID: 100, Name: service},
			Source:      span.Endpoint{IP: "10.0.0.1", Port: 40000 + conn},
			Destination: span.Endpoint{IP: "10.0.0.2", Port: 8080},
			HTTP: &span.HTTP{Version: "1.1", Request: span.HTTPRequest{Method: "GET", Path: "/" + to},
				Response: span.HTTPResponse{StatusCode: 200}},
			Event: span.Event{Outcome: span.OutcomeSuccess},
			Vigil: span.Vigil{Source: span.SourceEBPF},
		}
	}
	client = mk(span.KindClient, from, at, d)
	server = mk(span.KindServer, to, at.Add(d/10), d*8/10)
	return client, server
}
