package main

import (
	"fmt"
	"net"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/agent/agentcli"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
	"github.com/vigil-dev/vigil/internal/store"
)

func newAgentCmd(g *globalOpts) *cobra.Command {
	return agentcli.NewCommand(g.stdout, g.stderr, &g.configFile)
}

func newSpansCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "spans", Short: "Read stored spans"}
	var q store.SpanQuery
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List spans, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			spans, err := st.ListSpans(cmd.Context(), q)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.stdout, spans)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WHEN\tSERVICE\tKIND\tNAME\tSTATUS\tDURATION\tPEER\tTRACE")
			for _, s := range spans {
				peer := s.Destination
				if s.Span.Kind == "server" {
					peer = s.Source
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Timestamp.Local().Format("2006-01-02 15:04:05.000"),
					s.Service.Name, s.Span.Kind, s.Span.Name, spanStatus(&s), time.Duration(s.Span.Duration.US)*time.Microsecond,
					peerString(peer), s.Trace.ID)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&q.Service, "service", "", "only the spans of this service")
	list.Flags().StringVar(&q.Kind, "kind", "", "only server or client spans")
	list.Flags().StringVar(&q.TraceID, "trace", "", "only the spans of this trace id")
	list.Flags().IntVar(&q.Limit, "limit", 20, "at most this many spans")
	list.Flags().BoolVar(&asJSON, "json", false, "print the span documents as JSON")
	list.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")
	cmd.AddCommand(list)
	return cmd
}

// spanStatus is what answered: an HTTP status, a DNS response code, an SQL
// error code, or the outcome.
func spanStatus(s *span.Span) string {
	switch {
	case s.HTTP != nil && s.HTTP.Response.StatusCode != 0:
		return strconv.Itoa(s.HTTP.Response.StatusCode)
	case s.DNS != nil && s.DNS.ResponseCode != "":
		return s.DNS.ResponseCode
	case s.DB != nil && s.DB.ErrorCode != "":
		return s.DB.ErrorCode
	}
	return s.Event.Outcome
}

func peerString(e span.Endpoint) string {
	host := e.IP
	if host == "" {
		host = e.Domain
	}
	if e.Port == 0 {
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(e.Port))
}
