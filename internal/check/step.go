package check

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// stepRun builds one result.Step while the step runs.
type stepRun struct {
	start time.Time
	step  result.Step
}

func beginStep(index int, name string) *stepRun {
	return &stepRun{
		start: time.Now(),
		step: result.Step{Synthetics: result.StepSynthetics{
			Type: "step/end",
			Step: result.StepInfo{Index: index, Name: name},
		}},
	}
}

// fail records the step's first failure; later ones are kept only as
// assertion records.
func (s *stepRun) fail(e *result.Error) {
	if s.step.Error == nil {
		s.step.Error = e
	}
}

func (s *stepRun) failf(typ, format string, args ...any) {
	s.fail(&result.Error{Type: typ, Message: fmt.Sprintf(format, args...)})
}

func (s *stepRun) detail(key string, v any) {
	if s.step.Details == nil {
		s.step.Details = map[string]any{}
	}
	s.step.Details[key] = v
}

// assertAll evaluates every assertion, records each and fails the step on
// the first that does not pass.
func (rn *run) assertAll(s *stepRun, env any, exprs []string) {
	for _, code := range exprs {
		a := rn.r.assert(env, code, rn.masker.Mask)
		s.step.Assertions = append(s.step.Assertions, a)
		if !a.Passed {
			s.failf(result.ErrorAssertion, "assertion failed: %s", code)
		}
	}
}

func (s *stepRun) setTimings(t monitor.Timings) {
	s.step.Timings = result.Timings{
		DNS:       micros(t.DNS),
		Connect:   micros(t.Connect),
		TLS:       micros(t.TLS),
		FirstByte: micros(t.FirstByte),
		Total:     micros(t.Total),
	}
}

// end closes the step: up exactly when nothing failed.
func (s *stepRun) end() result.Step {
	info := &s.step.Synthetics.Step
	info.Duration = micros(time.Since(s.start))
	info.Status = result.StatusUp
	if s.step.Error != nil {
		info.Status = result.StatusDown
	}
	return s.step
}

// resultURL splits a URL into the url.* fields; unparsable ones keep only
// the full text.
func resultURL(raw string) *result.URL {
	u := &result.URL{Full: raw}
	p, err := url.Parse(raw)
	if err != nil {
		return u
	}
	u.Scheme = p.Scheme
	u.Domain = p.Hostname()
	u.Path = p.Path
	u.Port = defaultPort(p.Scheme)
	if n, err := strconv.Atoi(p.Port()); err == nil {
		u.Port = n
	}
	return u
}

func defaultPort(scheme string) int {
	switch strings.ToLower(scheme) {
	case "http":
		return 80
	case "https", "tls":
		return 443
	}
	return 0
}
