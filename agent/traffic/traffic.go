// Package traffic is the HTTP server and client the agent's tests and
// benchmark run in child processes (the agent never traces itself).
package traffic

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Handler serves the routes the tests call:
//
//	/hello             a short text body
//	/bytes?n=N         N bytes with Content-Length
//	/chunked?n=N&k=K   N bytes in K flushed chunks (Transfer-Encoding: chunked)
//	/echo              the request body back
//	/status?code=C     an empty answer with status C
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello from vigil\n")
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		_, _ = w.Write([]byte(strings.Repeat("x", n)))
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		k, _ := strconv.Atoi(r.URL.Query().Get("k"))
		k = max(k, 1)
		f := w.(http.Flusher)
		for i := 0; i < k; i++ {
			part := n / k
			if i == k-1 {
				part = n - part*(k-1)
			}
			_, _ = w.Write([]byte(strings.Repeat("c", part)))
			f.Flush()
		}
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(body)
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
	})
	return mux
}

// Serve listens on addr, prints "listening HOST:PORT" on out, and serves
// until the process is killed.
func Serve(addr string, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listening %s\n", ln.Addr())
	return http.Serve(ln, Handler())
}

// Call is one request as the client measured it.
type Call struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Status    int    `json:"status"`
	Start     int64  `json:"start"` // unix ns before the request was written
	End       int64  `json:"end"`   // unix ns after the body was read
	BodyBytes int64  `json:"body_bytes"`
	Conn      int    `json:"conn"`
}

// ClientOptions drive Run.
type ClientOptions struct {
	BaseURL  string
	Paths    []string // requested in turn
	Method   string
	Body     int // request body bytes (POST)
	Requests int // per connection
	Conns    int // parallel connections, each keep-alive
	Header   map[string]string
	Insecure bool // https without verifying the server's certificate
}

// Run sends the requests and writes one JSON Call per line to out.
func Run(ctx context.Context, o ClientOptions, out io.Writer) error {
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	var wg sync.WaitGroup
	errs := make(chan error, o.Conns)
	for c := 0; c < o.Conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			// One transport per connection: each goroutine keeps its own.
			tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}
			if o.Insecure {
				tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
			}
			client := &http.Client{Transport: tr}
			defer client.CloseIdleConnections()
			for i := 0; i < o.Requests; i++ {
				call, err := once(ctx, client, o, o.Paths[i%len(o.Paths)])
				if err != nil {
					errs <- err
					return
				}
				call.Conn = c
				mu.Lock()
				_ = enc.Encode(call)
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func once(ctx context.Context, client *http.Client, o ClientOptions, path string) (Call, error) {
	method := o.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if o.Body > 0 {
		body = strings.NewReader(strings.Repeat("b", o.Body))
	}
	req, err := http.NewRequestWithContext(ctx, method, o.BaseURL+path, body)
	if err != nil {
		return Call{}, err
	}
	for k, v := range o.Header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Call{}, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	end := time.Now()
	if err != nil {
		return Call{}, err
	}
	return Call{Method: method, Path: path, Status: resp.StatusCode, Start: start.UnixNano(), End: end.UnixNano(), BodyBytes: n}, nil
}

// ReadCalls parses Run's output.
func ReadCalls(r io.Reader) ([]Call, error) {
	var calls []Call
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var c Call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("client output %q: %w", sc.Text(), err)
		}
		calls = append(calls, c)
	}
	return calls, sc.Err()
}
