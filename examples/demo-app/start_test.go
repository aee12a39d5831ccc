package demoapp

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func get(t *testing.T, url string) (*http.Response, error) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestStartAndStop(t *testing.T) {
	addr, stop, err := Start(t.Context(), "127.0.0.1:0", testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := get(t, "http://"+addr+"/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	stop()
	stop() // idempotent
	if _, err := get(t, "http://"+addr+"/healthz"); err == nil {
		t.Fatal("server still answers after stop")
	}
}

func TestStartWildcardAddressIsDialable(t *testing.T) {
	addr, stop, err := Start(t.Context(), ":0", testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("addr = %s", addr)
	}
	if resp, err := get(t, "http://"+addr+"/"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("home: %v %v", resp, err)
	}
}

func TestStartStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	opts := testOptions(t)
	entered := make(chan struct{})
	var once sync.Once
	opts.Rand = func() float64 { once.Do(func() { close(entered) }); return 0 }
	opts.SlowDelay = time.Hour
	addr, stop, err := Start(ctx, "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	// A request sleeping in /api/slow must not hold the shutdown.
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = get(t, "http://"+addr+"/api/slow")
	}()
	<-entered
	cancel()
	<-done
	waitClosed(t, addr)
}

func TestStartBusyAddress(t *testing.T) {
	addr, stop, err := Start(t.Context(), "127.0.0.1:0", testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if _, _, err := Start(t.Context(), addr, testOptions(t)); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("second Start on %s: err = %v", addr, err)
	}
}

// waitClosed polls until the server refuses connections; shutdown happens
// in the background after the context ends.
func waitClosed(t *testing.T, addr string) {
	t.Helper()
	for range 500 {
		if _, err := get(t, "http://"+addr+"/healthz"); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("server still answers after its context ended")
}
