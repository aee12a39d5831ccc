package demoapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// shutdownTimeout bounds how long stop waits for requests in flight.
const shutdownTimeout = 5 * time.Second

// Start serves the demo app on addr (DefaultAddr when empty; ":0" picks a
// free port) until ctx ends or stop is called. It returns an address clients
// can dial: an unspecified host is reported as 127.0.0.1. stop waits for the
// server to shut down and may be called more than once.
func Start(ctx context.Context, addr string, opts Options) (string, func(), error) {
	if addr == "" {
		addr = DefaultAddr
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("starting demo app: listening on %s: %w", addr, err)
	}
	log := componentLogger(opts.Logger)
	// Requests get a context that stop cancels, so that a sleeping /api/slow
	// does not hold the shutdown.
	base, cancelBase := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           New(opts),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	go func() {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo app stopped serving", "error", err)
		}
	}()

	stopped := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancelBase()
			sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				_ = srv.Close()
			}
			log.Info("demo app stopped")
			close(stopped)
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-stopped:
		}
	}()
	bound := dialable(l.Addr())
	log.Info("demo app listening", "addr", bound)
	return bound, stop, nil
}

// dialable turns a wildcard listen address into a loopback one.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}
