package topology

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ServeOptions start one Go service.
type ServeOptions struct {
	Service, Listen, Truth, Redis, PG string
	UsersURL, CartURL, OrdersURL      string
}

// Serve runs one Go service of the topology until ctx ends, then flushes
// its truth.
func Serve(ctx context.Context, o ServeOptions) error {
	rec, err := NewRecorder(o.Truth, o.Service)
	if err != nil {
		return err
	}
	b := &Backends{Rec: rec, HTTP: NewHTTPClient(), Redis: NewRedisPool(o.Redis, 16),
		UsersURL: o.UsersURL, CartURL: o.CartURL, OrdersURL: o.OrdersURL}
	var h http.Handler
	switch o.Service {
	case "gateway":
		h = b.Gateway()
	case "cart", "orders":
		cfg, err := pgxpool.ParseConfig(o.PG)
		if err != nil {
			return fmt.Errorf("postgresql address: %w", err)
		}
		cfg.MaxConns = 16
		if b.PG, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			return fmt.Errorf("postgresql pool: %w", err)
		}
		defer b.PG.Close()
		h = b.Cart()
		if o.Service == "orders" {
			h = b.Orders()
		}
	default:
		return fmt.Errorf("unknown service %q (want gateway, cart or orders)", o.Service)
	}
	// Bound before "ready": the runner waits for that line, so a port
	// another process took meanwhile is an exit, not someone else's server
	// answering in this one's place.
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, rec.Close())
}
