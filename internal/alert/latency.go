package alert

import (
	"strings"

	"github.com/vigil-dev/vigil/internal/result"
)

// expandLatency appends the samples of a latency rule's measure, in
// milliseconds (CLS unitless). A zero timing or vital means the phase did
// not happen or was not measured, and is no sample; a CLS of 0 is a real
// (perfect) score.
func expandLatency(cr *compiledRule, rc *rec, buf []entry) []entry {
	r := rc.Result
	add := func(step int, v float64) {
		buf = append(buf, entry{rec: rc, step: step, val: v, bad: v > cr.Above})
	}
	switch {
	case cr.Measure == MeasureDuration:
		add(-1, ms(r.Monitor.Duration))
	case strings.HasPrefix(cr.Measure, "vitals."):
		if r.Browser == nil {
			return buf
		}
		if v := vital(&r.Browser.Experience, cr.Measure); v > 0 || cr.Measure == MeasureCLS {
			add(-1, v)
		}
	default:
		for i := range r.Steps {
			s := &r.Steps[i]
			if cr.Step != "" && s.Synthetics.Step.Name != cr.Step {
				continue
			}
			if v := stepMeasure(s, cr.Measure); v > 0 {
				add(i, v)
			}
		}
	}
	return buf
}

func ms(m result.Micros) float64 { return float64(m.US) / 1000 }

func vital(x *result.Experience, measure string) float64 {
	switch measure {
	case "vitals.lcp":
		return x.LCP
	case MeasureCLS:
		return x.CLS
	case "vitals.inp":
		return x.INP
	case "vitals.tbt":
		return x.TBT
	case "vitals.fcp":
		return x.FCP
	default:
		return x.TTFB
	}
}

func stepMeasure(s *result.Step, measure string) float64 {
	switch measure {
	case MeasureStepDuration:
		return ms(s.Synthetics.Step.Duration)
	case "timings.dns":
		return ms(s.Timings.DNS)
	case "timings.connect":
		return ms(s.Timings.Connect)
	case "timings.tls":
		return ms(s.Timings.TLS)
	case "timings.first_byte":
		return ms(s.Timings.FirstByte)
	default:
		return ms(s.Timings.Total)
	}
}
