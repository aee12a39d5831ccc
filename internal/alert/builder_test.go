package alert

import (
	"fmt"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// rb builds a result.Result: rb("checkout", "eu-west", -2*time.Minute).down("io", "timeout").r
type rb struct{ r result.Result }

func res(mon, loc string, ago time.Duration) *rb {
	ts := t0.Add(-ago)
	return &rb{r: result.Result{
		ID:        fmt.Sprintf("%s-%s-%d", mon, loc, ts.Unix()),
		Timestamp: ts,
		Monitor:   result.Monitor{ID: mon, Status: result.StatusUp, Duration: result.Micros{US: 100_000}},
		Observer:  result.Observer{Name: loc, Geo: result.Geo{Name: loc}},
		Vigil:     result.Vigil{Confirmed: true, Attempt: 1, Commit: "abc123", WorkflowID: "wf-" + mon, RunID: "run-1"},
	}}
}

func (b *rb) down(typ, msg string) *rb {
	b.r.Monitor.Status = result.StatusDown
	b.r.Error = &result.Error{Type: typ, Message: msg}
	return b
}

func (b *rb) unconfirmed() *rb { b.r.Vigil.Confirmed = false; return b }

func (b *rb) took(d time.Duration) *rb {
	b.r.Monitor.Duration = result.Micros{US: d.Microseconds()}
	return b
}

// step adds a step; a failing step gets a failed assertion.
func (b *rb) step(name string, up bool, d time.Duration, headers map[string]string) *rb {
	s := result.Step{Synthetics: result.StepSynthetics{Type: "step/end", Step: result.StepInfo{
		Index: len(b.r.Steps) + 1, Name: name, Status: result.StatusUp, Duration: result.Micros{US: d.Microseconds()}}},
		Timings: result.Timings{Total: result.Micros{US: d.Microseconds()}}}
	if headers != nil {
		s.HTTP = &result.HTTP{Response: result.HTTPResponse{StatusCode: 200, Headers: headers}}
	}
	if !up {
		s.Synthetics.Step.Status = result.StatusDown
		s.Assertions = []result.Assertion{{Expression: "status == 200", Message: "got 503"}}
	}
	b.r.Steps = append(b.r.Steps, s)
	return b
}

func (b *rb) browser(lcp, cls float64, domains ...string) *rb {
	b.r.Browser = &result.Browser{Experience: result.Experience{LCP: lcp, CLS: cls}, ThirdParty: domains}
	return b
}

func results(bs ...*rb) []result.Result {
	out := make([]result.Result, len(bs))
	for i, b := range bs {
		out[i] = b.r
	}
	return out
}

func mon(id string, every time.Duration, tags ...string) monitor.Monitor {
	return monitor.Monitor{ID: id, Type: monitor.TypeHTTP, Schedule: monitor.Schedule{Every: monitor.Duration(every)}, Tags: tags}
}

// mustRules parses rules written in YAML, failing the test on any error.
func mustRules(t interface {
	Helper()
	Fatalf(string, ...any)
}, src string) []Rule {
	t.Helper()
	set, errs := Parse("test.yaml", []byte(src))
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs)
	}
	return set.Rules
}
