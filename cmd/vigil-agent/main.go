// Command vigil-agent is the node agent alone, for the DaemonSet image: the
// same code as `vigil agent`, without the Temporal server linked in.
package main

import (
	"fmt"
	"os"

	"github.com/vigil-dev/vigil/agent/agentcli"
)

func main() {
	var configFile string
	cmd := agentcli.NewCommand(os.Stdout, os.Stderr, &configFile)
	cmd.Use = "vigil-agent"
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	cmd.PersistentFlags().StringVar(&configFile, "config", "", "YAML configuration file (then VIGIL_* environment, then flags)")
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-agent:", err)
		os.Exit(1)
	}
}
