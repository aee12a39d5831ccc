package h2

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

var recordFlag = flag.Bool("record", false, "rewrite testdata fixtures from a live grpc-go server and h2c server")

// captureLimit is how much of each syscall the agent captures by default.
const captureLimit = 1024

// proxy sits between a client and a server and records, per accepted
// connection, each read from either side as one syscall of the client.
type proxy struct {
	ln     net.Listener
	target string
	t0     time.Time
	mu     sync.Mutex
	conns  [][]record
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, t0: time.Now()}
	go p.accept()
	return p
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		idx := len(p.conns)
		p.conns = append(p.conns, nil)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(idx, "egress", c, s)
		go p.pipe(idx, "ingress", s, c)
	}
}

// pipe copies src to dst, recording each read before forwarding it so
// that an answer is always recorded after what it answers. Data past
// captureLimit is counted as skipped, as the agent does.
func (p *proxy) pipe(idx int, dir string, src, dst net.Conn) {
	defer p.wg.Done()
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			// The read returned now; when it was called says nothing (it
			// waited for the peer), so the syscall is taken as 1 µs long.
			ts := uint64(time.Since(p.t0))
			data := append([]byte(nil), buf[:min(n, captureLimit)]...)
			p.conns[idx] = append(p.conns[idx], record{Dir: dir, Data: data, Skipped: n - len(data), Start: ts, End: ts + 1000})
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// stop waits for the recorded connections to end and returns them.
func (p *proxy) stop() [][]record {
	p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

// echoDesc is an in-test gRPC service; HealthCheckRequest serves as its
// message type so no generated code is needed.
var echoDesc = grpc.ServiceDesc{
	ServiceName: "vigil.test.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Unary", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(healthpb.HealthCheckRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			return in, nil
		}},
		{MethodName: "Fail", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(healthpb.HealthCheckRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			return nil, status.Errorf(codes.NotFound, "no such thing: %s (100%% sure, ü)", in.Service)
		}},
	},
	Streams: []grpc.StreamDesc{{StreamName: "Stream", ServerStreams: true, Handler: func(_ any, st grpc.ServerStream) error {
		in := new(healthpb.HealthCheckRequest)
		if err := st.RecvMsg(in); err != nil {
			return err
		}
		for i := range 5 {
			if err := st.SendMsg(&healthpb.HealthCheckRequest{Service: fmt.Sprint(in.Service, i)}); err != nil {
				return err
			}
		}
		return nil
	}}},
}

func startGRPC(t *testing.T) (string, *health.Server) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("vigil.Store", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	srv.RegisterService(&echoDesc, struct{}{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), hs
}

// recordGRPC runs fn on a fresh client connection through a proxy and
// returns the one recorded connection.
func recordGRPC(t *testing.T, server string, fn func(ctx context.Context, cc *grpc.ClientConn)) []record {
	px := startProxy(t, server)
	cc, err := grpc.NewClient("passthrough:///"+px.ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fn(ctx, cc)
	cc.Close()
	conns := px.stop()
	if len(conns) != 1 {
		t.Fatalf("recorded %d connections, want 1", len(conns))
	}
	return conns[0]
}

func check(t *testing.T, cc *grpc.ClientConn, ctx context.Context, service string, want codes.Code) {
	t.Helper()
	_, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if status.Code(err) != want {
		t.Fatalf("Check(%q): %v, want %v", service, err, want)
	}
}

func echo(t *testing.T, cc *grpc.ClientConn, ctx context.Context, method, msg string, want codes.Code) {
	t.Helper()
	out := new(healthpb.HealthCheckRequest)
	err := cc.Invoke(ctx, "/vigil.test.Echo/"+method, &healthpb.HealthCheckRequest{Service: msg}, out)
	if status.Code(err) != want {
		t.Fatalf("%s: %v, want %v", method, err, want)
	}
}

// TestRecord rewrites the fixtures; it runs only with -record.
func TestRecord(t *testing.T) {
	if !*recordFlag {
		t.Skip("run with -record to rewrite testdata (the replay tests use it)")
	}
	server, hs := startGRPC(t)
	scenarios := map[string]func(ctx context.Context, cc *grpc.ClientConn){
		"unary": func(ctx context.Context, cc *grpc.ClientConn) {
			check(t, cc, ctx, "", codes.OK)
			check(t, cc, ctx, "vigil.Store", codes.OK)
			echo(t, cc, ctx, "Unary", "hello", codes.OK)
			echo(t, cc, ctx, "Missing", "x", codes.Unimplemented)
		},
		"stream": func(ctx context.Context, cc *grpc.ClientConn) {
			st, err := cc.NewStream(ctx, &echoDesc.Streams[0], "/vigil.test.Echo/Stream")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SendMsg(&healthpb.HealthCheckRequest{Service: "item"}); err != nil {
				t.Fatal(err)
			}
			_ = st.CloseSend()
			n := 0
			for ; ; n++ {
				if err := st.RecvMsg(new(healthpb.HealthCheckRequest)); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if n != 5 {
				t.Fatalf("got %d messages", n)
			}
			// Watch never ends by itself: the client cancels it.
			wctx, cancel := context.WithCancel(ctx)
			w, err := healthpb.NewHealthClient(cc).Watch(wctx, &healthpb.HealthCheckRequest{Service: "vigil.Store"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Recv(); err != nil {
				t.Fatal(err)
			}
			hs.SetServingStatus("vigil.Store", healthpb.HealthCheckResponse_NOT_SERVING)
			if _, err := w.Recv(); err != nil {
				t.Fatal(err)
			}
			cancel()
			time.Sleep(50 * time.Millisecond)
			hs.SetServingStatus("vigil.Store", healthpb.HealthCheckResponse_SERVING)
			check(t, cc, ctx, "vigil.Store", codes.OK)
		},
		"error": func(ctx context.Context, cc *grpc.ClientConn) {
			check(t, cc, ctx, "nope", codes.NotFound)
			echo(t, cc, ctx, "Fail", "key-1", codes.NotFound)
			echo(t, cc, ctx, "Fail", strings.Repeat("k", 400), codes.NotFound)
		},
		"trace": func(ctx context.Context, cc *grpc.ClientConn) {
			ctx = metadata.AppendToOutgoingContext(ctx,
				"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate", "vigil=1,congo=t61rcWkgMzE")
			echo(t, cc, ctx, "Unary", "traced", codes.OK)
			ctx = metadata.AppendToOutgoingContext(context.Background(),
				"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
			echo(t, cc, ctx, "Unary", "traced again", codes.OK)
		},
		"bench": func(ctx context.Context, cc *grpc.ClientConn) {
			for i := range 100 {
				check(t, cc, ctx, []string{"", "vigil.Store"}[i%2], codes.OK)
			}
		},
		// A 200 KB message: with 1 KiB captured per syscall, frames after
		// the DATA in the same write (the trailers) are not captured.
		"big": func(ctx context.Context, cc *grpc.ClientConn) {
			echo(t, cc, ctx, "Unary", "small", codes.OK)
			echo(t, cc, ctx, "Unary", strings.Repeat("x", 200000), codes.OK)
			echo(t, cc, ctx, "Unary", "after", codes.OK)
			check(t, cc, ctx, "vigil.Store", codes.OK)
		},
	}
	for name, fn := range scenarios {
		recs := recordGRPC(t, server, fn)
		if err := writeFixture(filepath.Join("testdata", name+".jsonl"), recs); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeFixture(filepath.Join("testdata", "h2c.jsonl"), recordH2C(t)); err != nil {
		t.Fatal(err)
	}
}

// recordH2C serves plain HTTP/2 and calls it with a client that speaks
// h2c by prior knowledge.
func recordH2C(t *testing.T) []record {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello, world\n") })
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%d bytes\n", n)
	})
	// net/http's own h2c (Protocols), as x/net's h2c and http2.Transport
	// are deprecated in the x/net this module uses.
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: mux, Protocols: &protos}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	px := startProxy(t, ln.Addr().String())
	tr := &http.Transport{Protocols: &protos, DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return net.Dial(network, px.ln.Addr().String())
	}}
	client := &http.Client{Transport: tr}
	base := "http://" + px.ln.Addr().String()
	for _, c := range []struct {
		method, path string
		body         string
		want         int
	}{{"GET", "/hello", "", 200}, {"POST", "/upload", strings.Repeat("u", 5000), 201}, {"GET", "/missing?q=1", "", 404}} {
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		if c.body == "" {
			req.Body = nil
		}
		req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Fatalf("%s %s: %d", c.method, c.path, resp.StatusCode)
		}
	}
	tr.CloseIdleConnections()
	conns := px.stop()
	if len(conns) != 1 {
		t.Fatalf("recorded %d connections, want 1", len(conns))
	}
	return conns[0]
}
