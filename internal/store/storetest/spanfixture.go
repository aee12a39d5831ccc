package storetest

import (
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// NewSpan returns a valid, complete server span with the optional groups set
// (parent, container, kubernetes, http), started at `at`, as the node agent
// writes them, for tests and benchmarks of stores. The trace and span ids are
// derived from id; Vigil.StoredAt is left nil: stores set it.
func NewSpan(id, service string, at time.Time) span.Span {
	return span.Span{
		ID:        id,
		Timestamp: at.UTC(),
		Trace:     span.Trace{ID: span.NewID("trace", id) + span.NewID("trace-lo", id)},
		Parent:    &span.Parent{ID: span.NewID("parent", id)},
		Span: span.Info{
			ID:       span.NewID("span", id),
			Kind:     span.KindServer,
			Name:     "GET /api/orders/{id}",
			Type:     "request",
			Subtype:  "http",
			Duration: span.Micros{US: 12_345},
		},
		Service: span.Service{Name: service, Node: span.ServiceNode{Name: "node-1"}},
		Process: span.Process{PID: 4242, Executable: "/usr/local/bin/" + service, Name: service},
		Container: &span.Container{
			ID: "3f1c2b9a8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b",
		},
		Kubernetes: &span.Kubernetes{
			Pod:       span.KubernetesPod{UID: "6b1f0c2e-9a7d-4c3b-8e5f-1a2b3c4d5e6f"},
			Container: span.KubernetesContainer{Name: service},
		},
		Source:      span.Endpoint{IP: "10.1.2.3", Port: 51724},
		Destination: span.Endpoint{IP: "10.1.4.5", Port: 8080},
		HTTP: &span.HTTP{
			Version: "1.1",
			Request: span.HTTPRequest{
				Method:     "GET",
				Path:       "/api/orders/1234?expand=items&currency=EUR",
				Host:       service + ".shop.svc.cluster.local:8080",
				Bytes:      412,
				BodyBytes:  0,
				TraceState: "vendor=opaque-value",
			},
			Response: span.HTTPResponse{StatusCode: 200, Bytes: 2311, BodyBytes: 2048},
		},
		Event: span.Event{Outcome: span.OutcomeSuccess},
		Vigil: span.Vigil{
			Source:           span.SourceEBPF,
			ConnID:           span.NewID("node-1", 4242, 17, "conn"),
			TraceFromTraffic: true,
		},
	}
}
