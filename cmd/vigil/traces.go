package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/correlate"
	"github.com/vigil-dev/vigil/internal/correlate/network"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/traceview"
)

func newTracesCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "traces", Short: "Read traces assembled from stored spans"}
	var asJSON bool
	get := &cobra.Command{
		Use:   "get TRACE-ID",
		Short: "Print one trace as a text waterfall (the critical path starred)",
		Long: `vigil traces get assembles a trace from the stored spans: those of its
trace id, and the server spans the network correlation links to its client
spans (same connection, within the client's time), then prints the tree
as a waterfall with the critical path and a per-service summary.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			spans, err := st.ListSpans(cmd.Context(), store.SpanQuery{TraceID: args[0], Limit: 10_000})
			if err != nil {
				return err
			}
			if len(spans) == 0 {
				return fmt.Errorf("no spans of trace %s", args[0])
			}
			spans, err = withNetworkChildren(cmd, st, spans)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.stdout, spans)
			}
			return traceview.Write(g.stdout, traceview.Assemble(spans))
		},
	}
	get.Flags().BoolVar(&asJSON, "json", false, "print the trace's spans as JSON")
	get.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")
	cmd.AddCommand(get, newTracesListCmd(g))
	return cmd
}

func newTracesListCmd(g *globalOpts) *cobra.Command {
	var q store.SpanQuery
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List the traces of the newest spans, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			q.Limit = 50 * limit // spans enough for limit traces of a few dozen spans
			spans, err := st.ListSpans(cmd.Context(), q)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STARTED\tTRACE\tROOT\tSPANS\tSERVICES\tDURATION\tFAILED")
			for _, tr := range summariseTraces(spans, limit) {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\n", tr.Start.Local().Format("2006-01-02 15:04:05.000"), tr.ID,
					tr.Root, tr.Spans, tr.Services, tr.Duration.Round(time.Microsecond), tr.Failed)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&q.Service, "service", "", "only traces with spans of this service")
	list.Flags().IntVar(&limit, "limit", 20, "at most this many traces")
	list.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")
	return list
}

// traceLine is one row of vigil traces list.
type traceLine struct {
	ID, Root        string
	Start           time.Time
	Duration        time.Duration
	Spans, Services int
	Failed          int
}

// summariseTraces groups spans (newest first) by trace, keeping the first
// limit traces met.
func summariseTraces(spans []span.Span, limit int) []traceLine {
	var order []string
	groups := map[string][]span.Span{}
	for _, s := range spans {
		if _, ok := groups[s.Trace.ID]; !ok {
			if len(order) == limit {
				continue
			}
			order = append(order, s.Trace.ID)
		}
		groups[s.Trace.ID] = append(groups[s.Trace.ID], s)
	}
	out := make([]traceLine, 0, len(order))
	for _, id := range order {
		tr := traceview.Assemble(groups[id])
		line := traceLine{ID: id, Start: tr.Start, Duration: tr.Duration, Spans: tr.Spans, Services: len(tr.Services)}
		if len(tr.Roots) > 0 {
			r := tr.Roots[0].Span
			line.Root = r.Service.Name + " " + r.Span.Name
		}
		for _, sv := range tr.Services {
			line.Failed += sv.Errors
		}
		out = append(out, line)
	}
	return out
}

// withNetworkChildren adds the server spans of the trace's client calls,
// found by the network correlation among the spans of the same time.
func withNetworkChildren(cmd *cobra.Command, st store.SpanReader, spans []span.Span) ([]span.Span, error) {
	from, to := spans[0].Timestamp, spans[0].End()
	for i := range spans {
		from = minTime(from, spans[i].Timestamp)
		to = maxTime(to, spans[i].End())
	}
	around, err := st.ListSpans(cmd.Context(), store.SpanQuery{Kind: span.KindServer, Since: from.Add(-time.Second), Until: to.Add(time.Second), Limit: 10_000})
	if err != nil {
		return nil, fmt.Errorf("reading the spans around the trace: %w", err)
	}
	have := map[string]bool{}
	for i := range spans {
		have[spans[i].ID] = true
	}
	all := append([]span.Span(nil), spans...)
	for _, s := range around {
		if !have[s.ID] {
			all = append(all, s)
		}
	}
	edges := network.Edges(all, network.Options{})
	correlate.Apply(all, edges)
	out := spans
	for _, e := range edges {
		if !have[e.Child] {
			for i := range all {
				if all[i].ID == e.Child {
					out = append(out, all[i])
					have[e.Child] = true
				}
			}
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
