package topology

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func nowNano() int64 { return time.Now().UnixNano() }

// Backends are what a service calls; the zero values of those it does not.
type Backends struct {
	Rec       *Recorder
	HTTP      *http.Client
	Redis     *RedisPool
	PG        *pgxpool.Pool
	UsersURL  string // base URLs
	CartURL   string
	OrdersURL string
}

// NewHTTPClient pools keep-alive connections to each service.
func NewHTTPClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: time.Minute}}
}

// call makes one HTTP request for the request tc, passing the trace on,
// and records its truth with the connection it used.
func (b *Backends) call(ctx context.Context, tc Context, method, url, op string) error {
	// The call starts when it has a connection: waiting for one from the
	// pool is not on the wire.
	var conn net.Conn
	var start int64
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { conn, start = i.Conn, nowNano() }})
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return err
	}
	spanID := hexID(16)
	req.Header.Set("traceparent", "00-"+tc.TraceID+"-"+spanID+"-01")
	resp, err := b.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	t := clientSpan(tc, "http", op, conn)
	t.SpanID, t.StartUnixNano, t.EndUnixNano = spanID, start, nowNano()
	b.Rec.Record(t)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: status %d", method, url, resp.StatusCode)
	}
	return nil
}

// query runs one SQL statement on a pooled connection, recording its truth.
func (b *Backends) query(ctx context.Context, tc Context, op, sql string, args ...any) (int64, error) {
	c, err := b.PG.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("acquiring a postgres connection: %w", err)
	}
	defer c.Release()
	t := clientSpan(tc, "postgresql", op, c.Conn().PgConn().Conn())
	t.StartUnixNano = nowNano()
	var n int64
	err = c.QueryRow(ctx, sql, args...).Scan(&n)
	t.EndUnixNano = nowNano()
	b.Rec.Record(t)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, nil
}

// handle wraps a handler with its server span's truth.
func (b *Backends) handle(op string, h func(ctx context.Context, tc Context, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, tc := serverSpan(r, op)
		v, err := h(r.Context(), tc, r)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			v = map[string]string{"error": err.Error()}
		}
		_ = json.NewEncoder(w).Encode(v)
		t.EndUnixNano = nowNano()
		b.Rec.Record(t)
	}
}

// Gateway serves GET /checkout/{user}?order=O: the user and the cart in
// parallel, then the order.
func (b *Backends) Gateway() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /checkout/{user}", b.handle("GET /checkout/{user}", func(ctx context.Context, tc Context, r *http.Request) (any, error) {
		user, order := r.PathValue("user"), r.URL.Query().Get("order")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs[0] = b.call(ctx, tc, "GET", b.UsersURL+"/users/"+user, "GET /users/{id}")
		}()
		go func() { defer wg.Done(); errs[1] = b.call(ctx, tc, "GET", b.CartURL+"/cart/"+user, "GET /cart/{id}") }()
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		if err := b.call(ctx, tc, "POST", b.OrdersURL+"/orders/"+order+"?user="+user, "POST /orders/{id}"); err != nil {
			return nil, err
		}
		return map[string]string{"user": user, "order": order}, nil
	}))
	return mux
}

// Cart serves GET /cart/{user}: the cart from Redis, the user's items
// from PostgreSQL.
func (b *Backends) Cart() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /cart/{user}", b.handle("GET /cart/{id}", func(ctx context.Context, tc Context, r *http.Request) (any, error) {
		user, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", r.PathValue("user"), err)
		}
		if _, err := b.Redis.Do(ctx, b.Rec, tc, "HGETALL", "cart:"+strconv.FormatInt(user, 10)); err != nil {
			return nil, err
		}
		n, err := b.query(ctx, tc, "SELECT items", "SELECT count(*) FROM items WHERE owner = $1", user)
		return map[string]int64{"items": n}, err
	}))
	return mux
}

// Orders serves POST /orders/{order}?user=U: the order into PostgreSQL,
// the cart out of Redis.
func (b *Backends) Orders() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /orders/{order}", b.handle("POST /orders/{id}", func(ctx context.Context, tc Context, r *http.Request) (any, error) {
		order, user := r.PathValue("order"), r.URL.Query().Get("user")
		uid, err := strconv.ParseInt(user, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", user, err)
		}
		if _, err := b.query(ctx, tc, "INSERT orders",
			"WITH o AS (INSERT INTO orders (id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM o", order, uid); err != nil {
			return nil, err
		}
		if _, err := b.Redis.Do(ctx, b.Rec, tc, "DEL", "cart:"+user); err != nil {
			return nil, err
		}
		return map[string]string{"order": order}, nil
	}))
	return mux
}

// Schema creates the tables the services use.
const Schema = `CREATE TABLE IF NOT EXISTS items (id bigserial PRIMARY KEY, owner bigint NOT NULL, name text);
CREATE INDEX IF NOT EXISTS items_owner ON items (owner);
CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, user_id bigint NOT NULL, created timestamptz DEFAULT now());
INSERT INTO items (owner, name) SELECT (random()*1000000)::bigint, 'item ' || g FROM generate_series(1, 20000) g;`
