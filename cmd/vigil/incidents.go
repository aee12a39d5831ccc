package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/store"
)

func newIncidentsCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "incidents", Short: "List alert incidents, acknowledge or resolve them"}
	cmd.AddCommand(newIncidentsListCmd(g), newIncidentActionCmd(g, "ack", "Acknowledge an incident: reminders stop, its message says who"),
		newIncidentActionCmd(g, "resolve", "Resolve an incident by hand"))
	return cmd
}

func newIncidentsListCmd(g *globalOpts) *cobra.Command {
	var q store.IncidentQuery
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List incidents, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.ListIncidents(cmd.Context(), q)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.stdout, list)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STARTED\tSTATE\tSEVERITY\tRULE\tSUMMARY\tID")
			for _, in := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", in.StartedAt.Local().Format(time.DateTime), in.State, in.Severity, in.Rule, in.Summary, in.ID)
			}
			return tw.Flush()
		},
	}
	f := list.Flags()
	f.StringVar(&q.State, "state", "", "firing, acknowledged or resolved")
	f.BoolVar(&q.Open, "open", false, "only firing and acknowledged incidents")
	f.StringVar(&q.Rule, "rule", "", "only this rule's incidents")
	f.IntVar(&q.Limit, "limit", 50, "at most this many")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.String("data-dir", config.Default().DataDir, "directory of the embedded store")
	return list
}

// newIncidentActionCmd sends ack or resolve through the API of a running
// vigil, which signals the incident's workflow.
func newIncidentActionCmd(g *globalOpts, action, short string) *cobra.Command {
	var by, api string
	cmd := &cobra.Command{
		Use:   action + " INCIDENT-ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig(cmd.Flags(), func(c *config.Config, f *pflag.FlagSet) {})
			if err != nil {
				return err
			}
			if api == "" {
				api = "http://" + cfg.Listen
			}
			if by == "" {
				by = os.Getenv("USER")
			}
			body, _ := json.Marshal(map[string]string{"id": args[0], "by": by})
			resp, err := http.Post(strings.TrimSuffix(api, "/")+"/api/incidents/"+action, "application/json", bytes.NewReader(body))
			if err != nil {
				return fmt.Errorf("reaching the vigil API at %s (is vigil running? set --api): %w", api, err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			if resp.StatusCode != http.StatusAccepted {
				var e struct{ Error string }
				_ = json.Unmarshal(out, &e)
				return fmt.Errorf("%s %s: %s (HTTP %d)", action, args[0], e.Error, resp.StatusCode)
			}
			fmt.Fprintf(g.stdout, "%s sent to incident %s\n", action, args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who acts (default: $USER)")
	cmd.Flags().StringVar(&api, "api", "", "base URL of the vigil API (default: http://<listen> of the configuration)")
	return cmd
}
