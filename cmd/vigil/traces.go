package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/correlate/pipeline"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/traceview"
)

// maxTraceSpans bounds what one trace read loads.
const maxTraceSpans = 10_000

func newTracesCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "traces", Short: "Read the traces AssembleTraces assembled from the stored spans"}
	var asJSON bool
	get := &cobra.Command{
		Use:   "get TRACE-ID",
		Short: "Print one trace as a text waterfall (the critical path starred)",
		Long: `vigil traces get prints an assembled trace as a waterfall with the
critical path and a per-service summary. A trace not assembled yet (its
window has not ended, or assembly is not running) is assembled on the fly
from the stored spans of its id and those correlation links to them, and
the output says so.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			spans, stored, err := traceSpans(cmd.Context(), st, args[0])
			if err != nil {
				return err
			}
			if stored == nil {
				fmt.Fprintf(g.stderr, "trace %s is not assembled yet: assembled now from the stored spans\n", args[0])
			}
			if asJSON {
				return printJSON(g.stdout, struct {
					Trace *store.Trace `json:"trace,omitempty"`
					Spans []span.Span  `json:"spans"`
				}{stored, spans})
			}
			if err := traceview.Write(g.stdout, traceview.Assemble(spans)); err != nil {
				return err
			}
			if stored != nil {
				_, err = fmt.Fprintf(g.stdout, "  assembled %s\n", stored.AssembledAt.Local().Format("2006-01-02 15:04:05"))
			}
			return err
		},
	}
	get.Flags().BoolVar(&asJSON, "json", false, "print the trace document and its spans as JSON")
	get.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")
	cmd.AddCommand(get, newTracesListCmd(g))
	return cmd
}

func newTracesListCmd(g *globalOpts) *cobra.Command {
	var q store.TraceQuery
	var since time.Duration
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the assembled traces, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if since > 0 {
				q.Since = time.Now().Add(-since)
			}
			traces, err := st.ListTraces(cmd.Context(), q)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.stdout, traces)
			}
			if len(traces) == 0 {
				fmt.Fprintln(g.stderr, "no assembled traces: the vigil-assemble-traces schedule assembles them (every traces.assemble_every, once a traces.window has ended)")
			}
			return writeTraceList(g.stdout, traces)
		},
	}
	list.Flags().StringVar(&q.Service, "service", "", "only traces with spans of this service")
	list.Flags().DurationVar(&since, "since", 0, "only traces started within this long (e.g. 15m)")
	list.Flags().IntVar(&q.Limit, "limit", 20, "at most this many traces")
	list.Flags().BoolVar(&asJSON, "json", false, "print the trace documents as JSON")
	list.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")
	return list
}

func writeTraceList(w io.Writer, traces []store.Trace) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tTRACE\tROOT\tSPANS\tSERVICES\tDURATION\tFAILED")
	for _, tr := range traces {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\n", tr.Start.Local().Format("2006-01-02 15:04:05.000"), tr.ID,
			tr.Root.Service+" "+tr.Root.Name, tr.Spans, len(tr.Services), tr.Duration().Round(time.Microsecond), tr.Errors)
	}
	return tw.Flush()
}

// traceReader is what reading a trace needs of the store.
type traceReader interface {
	store.TraceReader
	store.SpanReader
}

// traceSpans returns the spans of a trace: the stored trace's when it is
// assembled (stored is then set), else the spans of that id and those
// correlation links to them, linked on the fly.
func traceSpans(ctx context.Context, st traceReader, id string) (spans []span.Span, stored *store.Trace, err error) {
	tr, err := st.GetTrace(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		spans, err = assembleOnTheFly(ctx, st, id)
		return spans, nil, err
	case err != nil:
		return nil, nil, fmt.Errorf("reading trace %s: %w", id, err)
	}
	spans, err = st.ListSpans(ctx, store.SpanQuery{TraceID: id, Since: tr.Start,
		Until: tr.Start.Add(tr.Duration() + time.Microsecond), Limit: maxTraceSpans})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the spans of trace %s: %w", id, err)
	}
	have := map[string]bool{}
	for i := range spans {
		have[spans[i].ID] = true
	}
	for _, sid := range tr.SpanIDs { // relinked since: still shown as assembled
		if have[sid] {
			continue
		}
		sp, err := st.GetSpan(ctx, sid)
		if errors.Is(err, store.ErrNotFound) {
			continue // pruned
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading span %s of trace %s: %w", sid, id, err)
		}
		spans = append(spans, sp)
	}
	return spans, &tr, nil
}

// assembleOnTheFly links the spans of the trace id with the spans around
// them, as AssembleTraces would, and returns those of the trace.
func assembleOnTheFly(ctx context.Context, st store.SpanReader, id string) ([]span.Span, error) {
	spans, err := st.ListSpans(ctx, store.SpanQuery{TraceID: id, Limit: maxTraceSpans})
	if err != nil {
		return nil, fmt.Errorf("reading the spans of trace %s: %w", id, err)
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("no spans of trace %s", id)
	}
	from, to := spans[0].Timestamp, spans[0].End()
	for i := range spans {
		from = minTime(from, spans[i].Timestamp)
		to = maxTime(to, spans[i].End())
	}
	around, err := st.ListSpans(ctx, store.SpanQuery{Since: from.Add(-time.Second), Until: to.Add(time.Second), Limit: maxTraceSpans})
	if err != nil {
		return nil, fmt.Errorf("reading the spans around trace %s: %w", id, err)
	}
	member := spans[0].ID
	pipeline.Run(around, pipeline.Options{})
	root := ""
	for i := range around {
		if around[i].ID == member {
			root = around[i].Trace.ID
		}
	}
	if root == "" { // not among the newest spans around: as stored
		return spans, nil
	}
	var out []span.Span
	for i := range around {
		if around[i].Trace.ID == root {
			out = append(out, around[i])
		}
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
