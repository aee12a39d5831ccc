// Command demo-app runs the Vigil demo shop that the example monitors watch.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	demoapp "github.com/vigil-dev/vigil/examples/demo-app"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo-app:", err)
		os.Exit(1)
	}
}

func run() error {
	var opts demoapp.Options
	listen := flag.String("listen", demoapp.DefaultAddr, "address to listen on")
	flag.StringVar(&opts.Password, "password", demoapp.DefaultPassword, "password of the user \"demo\"")
	flag.Float64Var(&opts.SlowProbability, "slow-probability", demoapp.DefaultSlowProbability, "chance that /api/slow is slow (0: never)")
	flag.Float64Var(&opts.FailProbability, "fail-probability", demoapp.DefaultFailProbability, "chance that /api/flaky fails (0: never)")
	flag.DurationVar(&opts.SlowDelay, "slow-delay", demoapp.DefaultSlowDelay, "how long a slow /api/slow takes")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()
	// Options treats 0 as "default"; on the command line 0 means never.
	if opts.SlowProbability == 0 {
		opts.SlowProbability = -1
	}
	if opts.FailProbability == 0 {
		opts.FailProbability = -1
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	_, stop, err := demoapp.Start(ctx, *listen, opts)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop()
	return nil
}
