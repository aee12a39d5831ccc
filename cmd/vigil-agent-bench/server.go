package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/testserver"
)

// product is one entry of the catalogue the /api/products route serves.
type product struct {
	ID       int      `json:"id"`
	SKU      string   `json:"sku"`
	Name     string   `json:"name"`
	Price    float64  `json:"price"`
	Currency string   `json:"currency"`
	Stock    int      `json:"stock"`
	Tags     []string `json:"tags"`
}

// serve runs the benchmark's server: the agent tests' routes (/hello, a
// 17-byte answer, is the worst case for relative overhead) and
// /api/products?page=N, an API answer of the usual kind: a page of 20
// catalogue entries filtered and encoded as JSON (about 2.5 KB).
func serve(out io.Writer) error {
	catalogue := make([]product, 500)
	for i := range catalogue {
		catalogue[i] = product{ID: i + 1, SKU: fmt.Sprintf("SKU-%06d", 7919*(i+1)%1000003), Name: fmt.Sprintf("Product number %d", i+1),
			Price: float64(100+(i*37)%9000) / 100, Currency: "EUR", Stock: (i * 13) % 97, Tags: []string{"catalogue", "bench", strconv.Itoa(i % 7)}}
	}
	mux := http.NewServeMux()
	mux.Handle("/", traffic.Handler())
	mux.HandleFunc("/api/products", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var items []product
		for i := (page * 20) % len(catalogue); i < len(catalogue) && len(items) < 20; i++ {
			if catalogue[i].Stock > 0 {
				items = append(items, catalogue[i])
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"page": page, "items": items})
	})
	var h http.Handler = mux
	if path := os.Getenv("VIGIL_BENCH_COUNTER"); path != "" {
		served, err := mapCounter(path)
		if err != nil {
			return err
		}
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			atomic.AddUint64(served, 1)
			mux.ServeHTTP(w, r)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listening %s\n", ln.Addr())
	return http.Serve(ln, h)
}

// mapCounter maps the 8-byte request counter the server and the benchmark
// share: counting and reading it take no syscall, so the traced server's
// work is unchanged.
func mapCounter(path string) (*uint64, error) {
	w, err := mapWords(path, 1)
	if err != nil {
		return nil, err
	}
	return w[0], nil
}

// mapWords maps n 64-bit words of the file at path, shared with the other
// processes that map it.
func mapWords(path string, n int) ([]*uint64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Truncate(int64(8 * n)); err != nil {
		return nil, err
	}
	b, err := unix.Mmap(int(f.Fd()), 0, 8*n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	words := make([]*uint64, n)
	for i := range words {
		words[i] = (*uint64)(unsafe.Pointer(&b[8*i]))
	}
	return words, nil
}

// redisCommands reads INFO stats' total_commands_processed (the INFO
// command itself included).
func redisCommands(port int) (uint64, error) {
	v, err := testserver.RedisInfo(port, "stats", "total_commands_processed")
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(v, 10, 64)
}
