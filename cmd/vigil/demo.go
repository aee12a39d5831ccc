package main

import (
	"context"
	"log/slog"

	demoapp "github.com/vigil-dev/vigil/examples/demo-app"
	"github.com/vigil-dev/vigil/internal/secrets"
)

// startDemo runs the demo application in-process and returns its URL and
// the secret the example monitors log in with.
func startDemo(ctx context.Context, addr string, log *slog.Logger) (string, secrets.Source, func(), error) {
	bound, stop, err := demoapp.Start(ctx, addr, demoapp.Options{Logger: log})
	if err != nil {
		return "", nil, nil, err
	}
	// The demo's own password is no secret; real secrets come from
	// VIGIL_SECRET_* variables or --secrets-file, which take precedence.
	src := secrets.FromMap(map[string]string{"DEMO_PASSWORD": demoapp.DefaultPassword, "DEMO_WEBHOOK_SECRET": demoapp.DefaultWebhookSecret})
	return "http://" + bound, src, stop, nil
}
