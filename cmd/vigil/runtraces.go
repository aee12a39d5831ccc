package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/vigil-dev/vigil/internal/notify"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/runtrace"
)

// resolveTraces fills in the backend spans of the run's traces as the
// store holds them now; a store that fails is said in the result.
func resolveTraces(ctx context.Context, sp runtrace.Spans, r *result.Result) {
	if err := runtrace.Resolve(ctx, sp, r); err != nil {
		r.Vigil.TraceError = err.Error()
	}
}

// printTraces writes the run's traces, one per step, with the slowest
// backend span of each and of the run.
func printTraces(w io.Writer, r result.Result) error {
	if r.Vigil.TraceError != "" {
		fmt.Fprintf(w, "traces not resolved: %s\n", r.Vigil.TraceError)
	}
	if len(r.Vigil.Traces) == 0 {
		_, err := fmt.Fprintf(w, "run %s sent no traceparent\n", r.ID)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tNAME\tTRACE\tREQUESTS\tSPANS\tSLOWEST BACKEND SPAN")
	for _, t := range r.Vigil.Traces {
		step, slowest := "-", "-"
		if t.Step > 0 {
			step = strconv.Itoa(t.Step)
		}
		if s := t.SlowestSpan; s != nil {
			slowest = fmt.Sprintf("%s (span %s)", spanText(s), s.SpanID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", step, orDash(t.StepName), t.ID, t.Requests, t.Spans, slowest)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := r.Vigil.SlowestSpan
	if s == nil {
		_, err := fmt.Fprintln(w, "no backend span stored for these traces (yet: the agent sends its spans in batches)")
		return err
	}
	_, err := fmt.Fprintf(w, "slowest backend span: %s (trace %s, step %d); vigil traces get %s\n", spanText(s), s.TraceID, s.Step, s.TraceID)
	return err
}

// spanText is "checkout POST /api/orders 812ms".
func spanText(s *result.SpanRef) string {
	n := notify.Span{Service: s.Service, Name: s.Name, Duration: time.Duration(s.Duration.US) * time.Microsecond}
	return fmt.Sprintf("%s %s %s", s.Service, s.Name, n.Took())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
