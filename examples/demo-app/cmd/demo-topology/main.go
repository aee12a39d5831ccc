// Command demo-topology runs the multi-service shop of `make accuracy`
// under the vigil agent and writes its ground truth:
//
//	demo-topology run --agent bin/vigil-agent --out .accuracy [--requests N] [--concurrency C]
//
// then `vigil accuracy score --truth .accuracy/truth.jsonl --data-dir
// .accuracy/data` prints the table. `demo-topology serve` is how run starts
// each Go service.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigil-dev/vigil/examples/demo-app/topology"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: demo-topology run|serve [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "run":
		err = run(ctx, os.Args[2:])
	case "serve":
		err = serve(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want run or serve)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo-topology:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	o := topology.Options{Stdout: os.Stdout}
	fs.StringVar(&o.Out, "out", ".accuracy", "directory for the truth, the logs and the agent's store")
	fs.StringVar(&o.Agent, "agent", "bin/vigil-agent", "the vigil-agent binary (empty: run without the agent)")
	fs.StringVar(&o.Python, "python", "python3", "the Python interpreter of the users service")
	fs.IntVar(&o.Requests, "requests", 2000, "checkouts to send through the gateway")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "clients sending them at once")
	_ = fs.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.Self = self
	res, err := topology.Run(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("%d checkouts (%d failed) from %d clients in %s (%.0f/s); truth %s, agent store %s\n",
		res.Requests, res.Failed, o.Concurrency, res.Elapsed.Round(1e6), float64(res.Requests)/res.Elapsed.Seconds(), res.Truth, res.DataDir)
	for _, f := range res.Failures {
		fmt.Printf("  a failed checkout: %s\n", f)
	}
	return nil
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	var o topology.ServeOptions
	fs.StringVar(&o.Service, "service", "", "gateway, cart or orders")
	fs.StringVar(&o.Listen, "listen", "", "address to serve on")
	fs.StringVar(&o.Truth, "truth", "", "truth file to write")
	fs.StringVar(&o.Redis, "redis", "", "redis address")
	fs.StringVar(&o.PG, "pg", "", "postgresql URL")
	fs.StringVar(&o.UsersURL, "users", "", "users service URL")
	fs.StringVar(&o.CartURL, "cart", "", "cart service URL")
	fs.StringVar(&o.OrdersURL, "orders", "", "orders service URL")
	_ = fs.Parse(args)
	return topology.Serve(ctx, o)
}
