package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/internal/alert"
	"github.com/vigil-dev/vigil/internal/attach"
	"github.com/vigil-dev/vigil/internal/browser"
	"github.com/vigil-dev/vigil/internal/check"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/redact"
	"github.com/vigil-dev/vigil/internal/result"
	"github.com/vigil-dev/vigil/internal/store"
	"github.com/vigil-dev/vigil/internal/store/sqlite"
)

func newMonitorCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "monitor", Short: "Validate, run, list monitors and print their JSON Schema"}
	cmd.AddCommand(newMonitorValidateCmd(g), newMonitorRunCmd(g), newMonitorListCmd(g), newMonitorSchemaCmd(g))
	return cmd
}

// loadPaths reads monitor files and directories; errors come back as values.
func loadPaths(paths []string) ([]monitor.Monitor, []monitor.ValidationError) {
	var all []monitor.Monitor
	var errs []monitor.ValidationError
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, monitor.ValidationError{File: p, Message: err.Error()})
			continue
		}
		if st.IsDir() {
			ms, es := monitor.LoadDir(p)
			for i := range ms {
				ms[i].Source.File = filepath.Join(p, ms[i].Source.File)
			}
			for i := range es {
				es[i].File = filepath.Join(p, es[i].File)
			}
			all, errs = append(all, ms...), append(errs, es...)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, monitor.ValidationError{File: p, Message: err.Error()})
			continue
		}
		ms, es := monitor.ParseFile(p, data)
		all, errs = append(all, ms...), append(errs, es...)
	}
	return all, errs
}

// loadAlertDirs validates the alerts/ of every directory among paths
// against the monitors, and counts the valid rules.
func loadAlertDirs(paths []string, ms []monitor.Monitor) (int, []monitor.ValidationError) {
	rules := 0
	var errs []monitor.ValidationError
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			continue
		}
		set, es := alert.LoadDir(p)
		es = append(es, alert.ValidateAgainst(set, ms)...)
		for i := range es {
			es[i].File = filepath.Join(p, es[i].File)
		}
		rules, errs = rules+len(set.Rules), append(errs, es...)
	}
	return rules, errs
}

func newMonitorValidateCmd(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "validate PATH...",
		Short: "Validate monitor files or directories; exit 1 when any is invalid",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ms, errs := loadPaths(args)
			rules, aerrs := loadAlertDirs(args, ms)
			errs = append(errs, aerrs...)
			for _, e := range errs {
				fmt.Fprintln(g.stdout, e.Error())
			}
			if len(errs) > 0 {
				fmt.Fprintf(g.stderr, "%d monitor(s) valid, %d error(s)\n", len(ms), len(errs))
				if rules > 0 {
					fmt.Fprintf(g.stderr, "%d alert rule(s) valid\n", rules)
				}
				return &exitError{code: 1, err: errors.New("invalid monitor or alert definitions")}
			}
			fmt.Fprintf(g.stdout, "%d monitor(s) valid\n", len(ms))
			if rules > 0 {
				fmt.Fprintf(g.stdout, "%d alert rule(s) valid\n", rules)
			}
			return nil
		},
	}
}

func newMonitorRunCmd(g *globalOpts) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run the monitors of a file once, here, without Temporal (exit 0 up, 1 down, 2 could not run)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig(cmd.Flags(), func(c *config.Config, f *pflag.FlagSet) {
				setIf(f, "secrets-file", &c.Secrets.File, f.GetString)
				setIf(f, "attachments", &c.Store.Attachments, f.GetString)
			})
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			ms, errs := loadPaths(args)
			if len(errs) > 0 {
				for _, e := range errs {
					fmt.Fprintln(g.stderr, e.Error())
				}
				return &exitError{code: 2, err: errors.New("the monitor definition is invalid")}
			}
			src, err := secretSource(cfg, nil)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			host, _ := os.Hostname()
			store, err := attach.Open(cmd.Context(), cfg.AttachmentsURL())
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			defer store.Close()
			red, err := redact.New(cfg.Redact)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("redaction rules: %w", err)}
			}
			runner := check.NewRunner(check.Options{Secrets: src, Hostname: host, Logger: newLogger(cfg, g.stderr), Attachments: store, Redact: red.Result,
				ChromiumPath:  cfg.Workers.ChromiumPath,
				BrowserLimits: browser.Limits{CPUs: cfg.Workers.BrowserCPUs, MemoryBytes: cfg.Workers.BrowserMemory}})
			code := 0
			var results []result.Result
			for _, m := range ms {
				r, err := runner.Run(cmd.Context(), m)
				if err != nil {
					return &exitError{code: 2, err: fmt.Errorf("running monitor %s: %w", m.ID, err)}
				}
				results = append(results, r)
				code = max(code, exitCodeOf(r))
			}
			if asJSON {
				if err := printJSON(g.stdout, results); err != nil {
					return err
				}
			} else {
				for _, r := range results {
					printResult(g, r)
					if r.Browser != nil && len(r.Browser.Attachments) > 0 {
						fmt.Fprintf(g.stdout, "  attachments in %s:\n", store.URL())
						for _, a := range r.Browser.Attachments {
							fmt.Fprintf(g.stdout, "    %s (%s, %d bytes)\n", a.Key, a.ContentType, a.Size)
						}
					}
				}
			}
			switch code {
			case 1:
				return &exitError{code: 1, err: errors.New("a monitor is down")}
			case 2:
				return &exitError{code: 2, err: errors.New("a monitor could not run (configuration error)")}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result documents as JSON")
	cmd.Flags().String("secrets-file", "", "YAML file of secrets (NAME: value), besides VIGIL_SECRET_NAME variables")
	cmd.Flags().String("attachments", "", "where browser runs keep their files: a directory or a gocloud bucket URL (default: .vigil/attachments)")
	return cmd
}

// exitCodeOf: 0 up, 1 down (an assertion failed or the target is down), 2
// the check could not run (bad secret or definition).
func exitCodeOf(r result.Result) int {
	switch {
	case r.Up():
		return 0
	case r.Error != nil && r.Error.Type == result.ErrorConfig:
		return 2
	default:
		return 1
	}
}

func printResult(g *globalOpts, r result.Result) {
	fmt.Fprintf(g.stdout, "%s %s (%s) in %s\n", statusWord(r.Monitor.Status), r.Monitor.ID, r.Monitor.Type,
		time.Duration(r.Monitor.Duration.US)*time.Microsecond)
	for _, s := range r.Steps {
		st := s.Synthetics.Step
		line := fmt.Sprintf("  %d. %-4s %s", st.Index, statusWord(st.Status), st.Name)
		if s.HTTP != nil {
			line += fmt.Sprintf("  %s %d", s.HTTP.Request.Method, s.HTTP.Response.StatusCode)
		}
		line += fmt.Sprintf("  total %s", time.Duration(s.Timings.Total.US)*time.Microsecond)
		fmt.Fprintln(g.stdout, line)
		for _, a := range s.Assertions {
			mark := "ok  "
			if !a.Passed {
				mark = "FAIL"
			}
			fmt.Fprintf(g.stdout, "       %s %s", mark, a.Expression)
			if a.Message != "" && !a.Passed {
				fmt.Fprintf(g.stdout, "  (%s)", a.Message)
			}
			fmt.Fprintln(g.stdout)
		}
		if s.Error != nil {
			fmt.Fprintf(g.stdout, "       error (%s): %s\n", s.Error.Type, s.Error.Message)
		}
	}
	if r.Error != nil && len(r.Steps) == 0 {
		fmt.Fprintf(g.stdout, "  error (%s): %s\n", r.Error.Type, r.Error.Message)
	}
	if r.Browser != nil {
		printBrowser(g, r.Browser)
	}
}

// printBrowser shows what a journey measured: vitals, then what went wrong
// in the page.
func printBrowser(g *globalOpts, b *result.Browser) {
	x := b.Experience
	fmt.Fprintf(g.stdout, "  vitals: LCP %.0f ms", x.LCP)
	if x.LCPElement != "" {
		fmt.Fprintf(g.stdout, " (%s)", x.LCPElement)
	}
	fmt.Fprintf(g.stdout, ", CLS %.3f, INP %.0f ms, TBT %.0f ms, FCP %.0f ms, TTFB %.0f ms\n", x.CLS, x.INP, x.TBT, x.FCP, x.TTFB)
	for _, f := range b.Failed {
		fmt.Fprintf(g.stdout, "  failed request: %s", f.URL)
		if f.Status > 0 {
			fmt.Fprintf(g.stdout, " (status %d)", f.Status)
		}
		if f.Reason != "" {
			fmt.Fprintf(g.stdout, " (%s)", f.Reason)
		}
		fmt.Fprintln(g.stdout)
	}
	for _, c := range b.Console {
		fmt.Fprintf(g.stdout, "  console %s: %s", c.Level, c.Text)
		if c.URL != "" {
			fmt.Fprintf(g.stdout, " (%s:%d:%d)", c.URL, c.Line, c.Column)
		}
		fmt.Fprintln(g.stdout)
	}
	if len(b.ThirdParty) > 0 {
		fmt.Fprintf(g.stdout, "  third-party domains: %s\n", strings.Join(b.ThirdParty, ", "))
	}
	if l := b.Limits; l.Cgroup != "" {
		fmt.Fprintf(g.stdout, "  limits: %.1f CPU, %d MiB (cgroup %s), peak memory %d MiB\n", l.CPUs, l.MemoryBytes>>20, l.Cgroup, l.PeakMemoryBytes>>20)
	} else if l.Reason != "" {
		fmt.Fprintf(g.stdout, "  limits: none (%s)\n", l.Reason)
	}
	if b.AttachmentError != "" {
		fmt.Fprintf(g.stdout, "  attachments not kept: %s\n", b.AttachmentError)
	}
}

func statusWord(s string) string {
	if s == result.StatusUp {
		return "UP"
	}
	return "DOWN"
}

func newMonitorSchemaCmd(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of monitor files (for editors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := monitor.Schema()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(g.stdout, string(s))
			return err
		},
	}
}

// openStoreReadOnly opens the embedded store of --data-dir for the CLI.
func openStore(ctx context.Context, g *globalOpts, cmd *cobra.Command) (*sqlite.Store, error) {
	cfg, err := g.loadConfig(cmd.Flags(), func(c *config.Config, f *pflag.FlagSet) {
		setIf(f, "data-dir", &c.DataDir, f.GetString)
	})
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.DataDir, "vigil.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no store in %s (run vigil dev first, or pass --data-dir): %w", cfg.DataDir, err)
	}
	return sqlite.Open(ctx, path, sqlite.Options{})
}

func newMonitorListCmd(g *globalOpts) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the monitors of the last sync with their last status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openStore(cmd.Context(), g, cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			cat, err := st.GetCatalog(cmd.Context())
			if errors.Is(err, store.ErrNotFound) {
				fmt.Fprintln(g.stderr, "no sync has run yet")
				return nil
			}
			if err != nil {
				return err
			}
			latest, err := st.LatestResults(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g.stdout, map[string]any{"catalog": cat, "latest": latest})
			}
			sort.Slice(cat.Monitors, func(i, j int) bool { return cat.Monitors[i].Monitor.ID < cat.Monitors[j].Monitor.ID })
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tSCHEDULE\tLAST\tWHEN\tFILE")
			for _, cm := range cat.Monitors {
				m := cm.Monitor
				last, when := "-", "-"
				if r, ok := latest[m.ID]; ok {
					last, when = r.Monitor.Status, r.Timestamp.Local().Format(time.DateTime)
				}
				if m.Paused {
					last += " (paused)"
				}
				if cm.Stale {
					last += " (stale: file invalid)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s:%d\n", m.ID, m.Type, scheduleText(m.Schedule), last, when, m.Source.File, m.Source.Line)
			}
			_ = tw.Flush()
			fmt.Fprintf(g.stdout, "commit %s, synced %s\n", cat.Commit, cat.SyncedAt.Local().Format(time.DateTime))
			for _, e := range cat.Errors {
				fmt.Fprintln(g.stdout, "invalid:", e.Error())
			}
			if cat.FetchError != "" {
				fmt.Fprintln(g.stdout, "fetch error:", cat.FetchError)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().String("data-dir", config.Default().DataDir, "data directory of the embedded store")
	return cmd
}

func scheduleText(s monitor.Schedule) string {
	if s.Cron != "" {
		return "cron " + s.Cron
	}
	return "every " + time.Duration(s.Every).String()
}
