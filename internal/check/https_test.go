package check

import (
	"io"
	"net/http"
	"testing"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

func TestHTTPS(t *testing.T) {
	srv := newTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}), nil)
	ca := writePEM(t, srv.Certificate().Raw)
	tests := []struct {
		name string
		tls  monitor.TLSClient
		up   bool
	}{
		{"ca file", monitor.TLSClient{CAFile: ca}, true},
		{"ca file and server name", monitor.TLSClient{CAFile: ca, ServerName: "example.com"}, true},
		{"wrong server name", monitor.TLSClient{CAFile: ca, ServerName: "other.test"}, false},
		{"unknown authority", monitor.TLSClient{}, false},
		{"insecure", monitor.TLSClient{InsecureSkipVerify: true}, true},
	}
	r := newTestRunner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := get("s", srv.URL)
			step.Request.TLS = tt.tls
			res := runOnce(t, r, httpMonitor(step))
			if !tt.up {
				wantStatus(t, res, result.StatusDown)
				wantError(t, res, result.ErrorIO, "certificate")
				return
			}
			wantStatus(t, res, result.StatusUp)
			if body := res.Steps[0].HTTP.Response.Body.Content; body != "HTTP/2.0" {
				t.Errorf("protocol %q; want HTTP/2 as a browser would use", body)
			}
			if tm := res.Steps[0].Timings; tm.TLS.US <= 0 || tm.Connect.US <= 0 {
				t.Errorf("timings = %+v; want tls and connect > 0", tm)
			}
		})
	}
}
