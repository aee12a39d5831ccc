package main

import (
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/internal/config"
)

func newWorkerCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run only worker pools against a Temporal cluster (the production shape)",
		Long: `vigil worker connects to the Temporal frontend of --temporal and runs the
check pools of each --location. With --control (the default) it also runs the
workflows, the store activities and the monitors sync, which need the store;
a private location runs --control=false --location office and holds only the
credentials of its own monitors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig(cmd.Flags(), func(c *config.Config, f *pflag.FlagSet) {
				applyWorkerFlags(c, f)
				setIf(f, "control", &c.Workers.Control, f.GetBool)
				if c.Temporal.Address == "" {
					c.Temporal.Address = "127.0.0.1:7233"
				}
			})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			log := newLogger(cfg, g.stderr)
			sync, _ := cmd.Flags().GetBool("sync")
			n, err := startNode(ctx, cfg, log, nodeOptions{api: cfg.Listen != "", sync: sync && cfg.Workers.Control})
			if err != nil {
				return err
			}
			defer n.Close()
			fmt.Fprintf(g.stdout, "vigil worker %s connected to %s (namespace %s), locations %v, control %v\n",
				version, cfg.Temporal.Address, cfg.Temporal.Namespace, cfg.Workers.Locations, cfg.Workers.Control)
			<-ctx.Done()
			return nil
		},
	}
	addWorkerFlags(cmd.Flags())
	cmd.Flags().Bool("control", true, "run workflows, store and sync activities (needs the store)")
	cmd.Flags().Bool("sync", true, "create or update the SyncMonitors schedule for --monitors (with --control)")
	return cmd
}
