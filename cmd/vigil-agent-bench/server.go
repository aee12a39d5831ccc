package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/vigil-dev/vigil/agent/traffic"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listening %s\n", ln.Addr())
	return http.Serve(ln, mux)
}
