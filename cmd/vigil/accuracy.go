package main

import (
	"fmt"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/internal/accuracy"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/store"
)

func newAccuracyCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "accuracy", Short: "Measure trace correlation against ground truth"}
	var truthPath string
	var asJSON bool
	score := &cobra.Command{
		Use:   "score --truth FILE",
		Short: "Score the stored spans' correlation against a ground-truth file",
		Long: `vigil accuracy score reads a ground-truth file (one JSON object per line:
trace_id, span_id, parent_span_id, service, kind, protocol, operation,
start_unix_nano, end_unix_nano, local_addr, peer_addr, pid), matches each
stored span of the truth's processes and time to a truth span by pid,
protocol, the two addresses and the nearest start, correlates the same
spans in four modes and prints, for each: trace accuracy (a trace is right
only when every span is present with the right parent), edge accuracy,
and the unmatched spans on both sides. Modes: the full correlator with
traceparent ignored, a FIFO baseline, a delay-only baseline, and exact
mode (traceparent honoured) as the ceiling.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := os.Open(truthPath)
			if err != nil {
				return fmt.Errorf("opening the truth: %w", err)
			}
			defer f.Close()
			truth, err := accuracy.ReadTruth(f)
			if err != nil {
				return fmt.Errorf("%s: %w", truthPath, err)
			}
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			from, to := accuracy.Range(truth)
			spans, err := st.ListSpans(cmd.Context(), store.SpanQuery{Since: from, Until: to, Limit: 10_000_000})
			if err != nil {
				return fmt.Errorf("reading the captured spans: %w", err)
			}
			res := accuracy.Evaluate(truth, spans, accuracy.Modes())
			if asJSON {
				return printJSON(g.stdout, res)
			}
			return writeAccuracy(g, res)
		},
	}
	score.Flags().StringVar(&truthPath, "truth", "", "ground-truth file (JSON lines)")
	score.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	score.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")
	_ = score.MarkFlagRequired("truth")
	cmd.AddCommand(score)
	return cmd
}

func writeAccuracy(g *globalOpts, res []accuracy.Result) error {
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MODE\tTRACES\tRIGHT\tTRACE ACC\tEDGES\tRIGHT\tEDGE ACC\tTRUTH SPANS\tUNMATCHED\tCAPTURED\tUNMATCHED\t")
	for _, r := range res {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f%%\t%d\t%d\t%.2f%%\t%d\t%d\t%d\t%d\t\n", r.Mode, r.Traces, r.CorrectTraces, 100*r.TraceAccuracy(),
			r.Edges, r.CorrectEdges, 100*r.EdgeAccuracy(), r.TruthSpans, r.UnmatchedTruth, r.CapturedSpans, r.UnmatchedSpans)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range res {
		if len(r.Wrong) == 0 {
			continue
		}
		fmt.Fprintf(g.stdout, "\nwrong parents, %s:\n", r.Mode)
		kinds := make([]string, 0, len(r.Wrong))
		for k := range r.Wrong {
			kinds = append(kinds, k)
		}
		sort.Slice(kinds, func(a, b int) bool {
			return r.Wrong[kinds[a]] > r.Wrong[kinds[b]] || r.Wrong[kinds[a]] == r.Wrong[kinds[b]] && kinds[a] < kinds[b]
		})
		for _, k := range kinds {
			fmt.Fprintf(g.stdout, "  %6d  %s\n", r.Wrong[k], k)
		}
	}
	return nil
}
