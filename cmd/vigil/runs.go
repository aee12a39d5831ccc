package main

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/internal/attach"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
)

func newRunsCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "runs", Short: "Read stored monitor runs"}
	var q store.ResultQuery
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.ListResults(cmd.Context(), q)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.stdout, runs)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WHEN\tMONITOR\tLOCATION\tSTATUS\tATTEMPT\tDURATION\tERROR\tID")
			for _, r := range runs {
				errText := ""
				if r.Error != nil {
					errText = r.Error.Message
					if len(errText) > 60 {
						errText = errText[:57] + "..."
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Timestamp.Local().Format(time.DateTime), r.Monitor.ID,
					r.Observer.Name, r.Monitor.Status, r.Vigil.Attempt, time.Duration(r.Monitor.Duration.US)*time.Microsecond, errText, r.ID)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&q.MonitorID, "monitor", "", "only the runs of this monitor id")
	list.Flags().StringVar(&q.Status, "status", "", "only up or down runs")
	list.Flags().IntVar(&q.Limit, "limit", 20, "at most this many runs")
	list.Flags().BoolVar(&asJSON, "json", false, "print the result documents as JSON")
	list.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")

	get := &cobra.Command{
		Use:   "get ID",
		Short: "Print one run as JSON, with the backend spans of its traces as stored now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := st.GetResult(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if dir, _ := cmd.Flags().GetString("attachments"); dir != "" {
				return downloadAttachments(cmd, g, r, dir)
			}
			resolveTraces(cmd.Context(), st, &r)
			if traces, _ := cmd.Flags().GetBool("traces"); traces {
				return printTraces(g.stdout, r)
			}
			return printJSON(g.stdout, r)
		},
	}
	get.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")
	get.Flags().Bool("traces", false, "print the traces the run's requests started, with the slowest backend span of each, instead of the run")
	get.Flags().String("attachments", "", "download the run's attachments (screenshots...) into this directory instead of printing the run")
	cmd.AddCommand(list, get)
	return cmd
}

// downloadAttachments writes a run's attachments into dir.
func downloadAttachments(cmd *cobra.Command, g *globalOpts, r result.Result, dir string) error {
	if r.Browser == nil || len(r.Browser.Attachments) == 0 {
		return fmt.Errorf("run %s has no attachments", r.ID)
	}
	cfg, err := g.loadConfig(cmd.Flags(), func(c *config.Config, f *pflag.FlagSet) {
		setIf(f, "data-dir", &c.DataDir, f.GetString)
	})
	if err != nil {
		return err
	}
	store, err := attach.Open(cmd.Context(), cfg.AttachmentsURL())
	if err != nil {
		return err
	}
	defer store.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for _, a := range r.Browser.Attachments {
		data, _, err := store.Get(cmd.Context(), a.Key)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.Base(a.Name))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		fmt.Fprintf(g.stdout, "%s (%s, %d bytes)\n", path, a.ContentType, len(data))
	}
	return nil
}
