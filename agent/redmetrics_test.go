package agent

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vigil-dev/vigil/internal/span"
)

// redSpan is an HTTP span of service svc from the client at ip.
func redSpan(kind, method, ip string, status int) *span.Span {
	s := &span.Span{}
	s.Span.Kind, s.Service.Name = kind, "svc"
	s.Span.Duration = span.Micros{US: 1500}
	s.HTTP = &span.HTTP{Request: span.HTTPRequest{Method: method}, Response: span.HTTPResponse{StatusCode: status}}
	s.Source.IP = ip
	s.Destination.IP, s.Destination.Port = ip, 443
	return s
}

// histograms returns the series of a histogram family by their labels, with
// their sample counts.
func histograms(t *testing.T, reg *prometheus.Registry, name string) map[string]uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[labelString(m.GetLabel())] = m.GetHistogram().GetSampleCount()
		}
	}
	return out
}

func labelString(ls []*dto.LabelPair) string {
	s := ""
	for _, l := range ls {
		s += l.GetName() + "=" + l.GetValue() + " "
	}
	return s
}

// TestREDSeriesBounded: a server visited by more distinct clients than the
// series limit keeps every request in its RED histograms, the clients past
// the limit under peer "other"; made-up methods are counted as "_OTHER".
func TestREDSeriesBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg, nil)
	m.SetREDSeries(100)
	const clients = 1000
	for i := range clients {
		m.ObserveSpan(redSpan(span.KindServer, "GET", fmt.Sprintf("10.0.%d.%d", i/256, i%256), 200))
	}
	for i, method := range []string{"FOO", "PROPFIND", "get", "POST"} {
		m.ObserveSpan(redSpan(span.KindServer, method, "10.9.9.9", 200+i))
	}
	m.ObserveSpan(redSpan(span.KindClient, "BREW", "192.0.2.1", 418))

	server := histograms(t, reg, "http_server_request_duration_seconds")
	var total uint64
	for _, n := range server {
		total += n
	}
	if total != clients+4 {
		t.Errorf("the server histograms hold %d requests, want %d", total, clients+4)
	}
	other := "client_address=other http_request_method=GET http_response_status_code=200 service_name=svc "
	if server[other] != clients-100 {
		t.Errorf("%d requests under peer other, want %d (of %d series: %v)", server[other], clients-100, len(server), server)
	}
	for _, want := range []string{
		"client_address=other http_request_method=_OTHER http_response_status_code=200 service_name=svc ",
		"client_address=other http_request_method=_OTHER http_response_status_code=201 service_name=svc ",
		"client_address=other http_request_method=_OTHER http_response_status_code=202 service_name=svc ",
		"client_address=other http_request_method=POST http_response_status_code=203 service_name=svc ",
	} {
		if server[want] != 1 {
			t.Errorf("series %q holds %d requests, want 1", want, server[want])
		}
	}
	if len(server) != 100+1+4 {
		t.Errorf("%d server series, want the 100 allowed, one other and the 4 of the last client", len(server))
	}
	client := histograms(t, reg, "http_client_request_duration_seconds")
	if want := "http_request_method=_OTHER http_response_status_code=418 server_address=other service_name=svc "; client[want] != 1 {
		t.Errorf("client series %v, want %q", client, want)
	}
	if got := counterValue(t, reg, "vigil_agent_red_peers_folded_total"); got != clients-100+5 {
		t.Errorf("vigil_agent_red_peers_folded_total = %v, want %d", got, clients-100+5)
	}
}

// TestREDSeriesUnderTheLimit: below the limit every peer has its own
// series, a client's peer with its port.
func TestREDSeriesUnderTheLimit(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg, nil)
	m.ObserveSpan(redSpan(span.KindServer, "GET", "10.0.0.1", 200))
	m.ObserveSpan(redSpan(span.KindServer, "GET", "10.0.0.2", 200))
	m.ObserveSpan(redSpan(span.KindClient, "GET", "10.0.0.3", 200))
	if got := histograms(t, reg, "http_server_request_duration_seconds"); len(got) != 2 ||
		got["client_address=10.0.0.1 http_request_method=GET http_response_status_code=200 service_name=svc "] != 1 {
		t.Errorf("server series %v", got)
	}
	if got := histograms(t, reg, "http_client_request_duration_seconds"); got["http_request_method=GET http_response_status_code=200 server_address=10.0.0.3:443 service_name=svc "] != 1 {
		t.Errorf("client series %v", got)
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
