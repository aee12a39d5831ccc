package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/internal/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globalOpts are the flags every subcommand shares.
type globalOpts struct {
	configFile string
	stdout     io.Writer
	stderr     io.Writer
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOpts{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "vigil",
		Short:         "Synthetic monitors as code and zero-instrumentation tracing, orchestrated by Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.configFile, "config", "", "YAML configuration file (then VIGIL_* environment, then flags)")
	root.AddCommand(newDevCmd(g), newWorkerCmd(g), newAgentCmd(g), newMonitorCmd(g), newRunsCmd(g), newSpansCmd(g), newIngestCmd(g), newIncidentsCmd(g), newTracesCmd(g), newAccuracyCmd(g), newVersionCmd(g))
	return root
}

// loadConfig applies defaults, the config file, the environment, then the
// flags the user set, and validates the result.
func (g *globalOpts) loadConfig(flags *pflag.FlagSet, apply func(*config.Config, *pflag.FlagSet)) (config.Config, error) {
	c, err := config.Load(g.configFile, os.Environ())
	if err != nil {
		return c, err
	}
	if apply != nil {
		apply(&c, flags)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

func newLogger(c config.Config, w io.Writer) *slog.Logger { return c.NewLogger(w) }

// setIf copies a flag's value into the config only when the user set it, so
// the file and environment keep precedence over flag defaults.
func setIf[T any](flags *pflag.FlagSet, name string, dst *T, get func(string) (T, error)) {
	if f := flags.Lookup(name); f == nil || !f.Changed {
		return
	}
	if v, err := get(name); err == nil {
		*dst = v
	}
}

func newVersionCmd(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of vigil and of the Temporal SDK and server it embeds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(g.stdout, "vigil %s\n", version)
			if bi, ok := debug.ReadBuildInfo(); ok {
				fmt.Fprintf(g.stdout, "go %s\n", bi.GoVersion)
				for _, d := range bi.Deps {
					switch d.Path {
					case "go.temporal.io/sdk", "go.temporal.io/server", "github.com/temporalio/ui-server/v2":
						fmt.Fprintf(g.stdout, "%s %s\n", d.Path, d.Version)
					}
				}
			}
			return nil
		},
	}
}

// printJSON writes v as indented JSON, the --json output of every command.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
