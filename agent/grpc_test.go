package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// streamDesc is an in-test gRPC service of two streaming methods, with
// HealthCheckRequest as its message type so no generated code is needed:
// Items answers one request with itemsPerCall messages (server streaming),
// Chat echoes each message until the client closes its side (bidirectional).
var streamDesc = grpc.ServiceDesc{
	ServiceName: "vigil.test.Stock",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{
		{StreamName: "Items", ServerStreams: true, Handler: func(_ any, st grpc.ServerStream) error {
			in := new(healthpb.HealthCheckRequest)
			if err := st.RecvMsg(in); err != nil {
				return err
			}
			for i := range itemsPerCall {
				if err := st.SendMsg(itemMsg(in.Service, i)); err != nil {
					return err
				}
			}
			return nil
		}},
		{StreamName: "Chat", ServerStreams: true, ClientStreams: true, Handler: func(_ any, st grpc.ServerStream) error {
			for {
				in := new(healthpb.HealthCheckRequest)
				if err := st.RecvMsg(in); errors.Is(err, io.EOF) {
					return nil
				} else if err != nil {
					return err
				}
				if err := st.SendMsg(in); err != nil {
					return err
				}
			}
		}},
	},
}

const itemsPerCall = 5

var chatMsgs = []string{"a", "bb", "ccc"}

func itemMsg(prefix string, i int) *healthpb.HealthCheckRequest {
	return &healthpb.HealthCheckRequest{Service: fmt.Sprint(prefix, "-item-", i)}
}

// grpcBodyBytes is what messages take in DATA frames: each a 5-byte
// prefix (compression flag, length) and its encoding.
func grpcBodyBytes(msgs ...*healthpb.HealthCheckRequest) int64 {
	var n int64
	for _, m := range msgs {
		n += 5 + int64(proto.Size(m))
	}
	return n
}

// grpcServe is the child process that serves gRPC health checks: the
// service "shop" is SERVING; any other is NOT_FOUND; and streamDesc. With
// withTLS, over TLS with a fresh self-signed certificate.
func grpcServe(withTLS bool) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var opts []grpc.ServerOption
	if withTLS {
		cert, err := traffic.SelfSigned()
		if err != nil {
			return err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	}
	s := grpc.NewServer(opts...)
	h := health.NewServer()
	h.SetServingStatus("shop", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, h)
	s.RegisterService(&streamDesc, struct{}{})
	fmt.Println(ln.Addr().String())
	return s.Serve(ln)
}

// grpcCall is the child process that calls it: n checks of "shop", one of
// "missing", one Items and one Chat call; withTLS without verifying the
// certificate.
func grpcCall(addr string, n int, withTLS bool) error {
	creds := insecure.NewCredentials()
	if withTLS {
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: true})
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer cc.Close()
	c := healthpb.NewHealthClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range n {
		if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: "shop"}); err != nil {
			return err
		}
	}
	if _, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: "missing"}); status.Code(err) != codes.NotFound {
		return fmt.Errorf("check of a missing service: %v", err)
	}
	if err := callItems(ctx, cc); err != nil {
		return fmt.Errorf("Items: %w", err)
	}
	if err := callChat(ctx, cc); err != nil {
		return fmt.Errorf("Chat: %w", err)
	}
	return nil
}

func callItems(ctx context.Context, cc *grpc.ClientConn) error {
	st, err := cc.NewStream(ctx, &streamDesc.Streams[0], "/vigil.test.Stock/Items")
	if err != nil {
		return err
	}
	if err := st.SendMsg(&healthpb.HealthCheckRequest{Service: "shelf"}); err != nil {
		return err
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		m := new(healthpb.HealthCheckRequest)
		if err := st.RecvMsg(m); errors.Is(err, io.EOF) {
			if i != itemsPerCall {
				return fmt.Errorf("got %d messages, want %d", i, itemsPerCall)
			}
			return nil
		} else if err != nil {
			return err
		}
	}
}

func callChat(ctx context.Context, cc *grpc.ClientConn) error {
	st, err := cc.NewStream(ctx, &streamDesc.Streams[1], "/vigil.test.Stock/Chat")
	if err != nil {
		return err
	}
	for _, m := range chatMsgs {
		if err := st.SendMsg(&healthpb.HealthCheckRequest{Service: m}); err != nil {
			return err
		}
		got := new(healthpb.HealthCheckRequest)
		if err := st.RecvMsg(got); err != nil {
			return err
		}
		if got.Service != m {
			return fmt.Errorf("echo of %q: %q", m, got.Service)
		}
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	if err := st.RecvMsg(new(healthpb.HealthCheckRequest)); !errors.Is(err, io.EOF) {
		return fmt.Errorf("after the last echo: %v", err)
	}
	return nil
}

// TestGRPCSpans traces a grpc-go client and server (two processes): every
// call, unary, server streaming or bidirectional, is one client and one
// server span named by service and method, with its grpc-status and the
// bytes of all its messages; over TLS too, through the probes of Go's
// crypto/tls (HTTP/2 parsed from the plaintext).
func TestGRPCSpans(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"plaintext", false}, {"tls", true}} {
		t.Run(tc.name, func(t *testing.T) { testGRPCSpans(t, tc.tls) })
	}
}

func testGRPCSpans(t *testing.T, withTLS bool) {
	needBPF(t)
	tlsEnv := "VIGIL_TRAFFIC_TLS="
	if withTLS {
		tlsEnv += "1"
	}
	srv := exec.Command(os.Args[0], "-test.run=^$")
	srv.Env = append(os.Environ(), "VIGIL_TRAFFIC=grpc-server", tlsEnv)
	addr := startReadingLine(t, srv)
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	a := startAgent(t, func(c *config.Agent) { c.Ports = []int{port} })
	time.Sleep(200 * time.Millisecond)
	const calls = 20
	client := exec.Command(os.Args[0], "-test.run=^$")
	client.Env = append(os.Environ(), "VIGIL_TRAFFIC=grpc-client", "VIGIL_TRAFFIC_URL="+addr, "VIGIL_TRAFFIC_REQUESTS="+strconv.Itoa(calls), tlsEnv)
	if b, err := client.CombinedOutput(); err != nil {
		t.Fatalf("grpc client: %v %s", err, b)
	}
	isGRPC := func(s *span.Span) bool { return s.Span.Subtype == "grpc" }
	var items, chat []*healthpb.HealthCheckRequest
	for i := range itemsPerCall {
		items = append(items, itemMsg("shelf", i))
	}
	for _, m := range chatMsgs {
		chat = append(chat, &healthpb.HealthCheckRequest{Service: m})
	}
	streamBytes := map[string][2]int64{ // request, response
		"vigil.test.Stock/Items": {grpcBodyBytes(&healthpb.HealthCheckRequest{Service: "shelf"}), grpcBodyBytes(items...)},
		"vigil.test.Stock/Chat":  {grpcBodyBytes(chat...), grpcBodyBytes(chat...)},
	}
	got := a.waitSpans(t, 2*(calls+3), isGRPC)
	a.stop(t)
	count := map[string]int{}
	for _, s := range got {
		key := fmt.Sprintf("%s %s %s %s", s.Span.Kind, s.Span.Name, s.Span.Action, s.Event.Outcome)
		count[key]++
		if s.Vigil.Incomplete {
			t.Errorf("incomplete span %s: %s", s.Span.Name, s.Vigil.Reason)
		}
		if want, ok := streamBytes[s.Span.Name]; ok && (s.HTTP.Request.BodyBytes != want[0] || s.HTTP.Response.BodyBytes != want[1]) {
			t.Errorf("%s span %s: request %d response %d bytes, want %d and %d", s.Span.Kind, s.Span.Name,
				s.HTTP.Request.BodyBytes, s.HTTP.Response.BodyBytes, want[0], want[1])
		}
	}
	want := map[string]int{
		"server grpc.health.v1.Health/Check grpc-status 0 success": calls,
		"client grpc.health.v1.Health/Check grpc-status 0 success": calls,
		"server grpc.health.v1.Health/Check grpc-status 5 success": 1, // NOT_FOUND is the caller's problem
		"client grpc.health.v1.Health/Check grpc-status 5 failure": 1,
		"server vigil.test.Stock/Items grpc-status 0 success":      1,
		"client vigil.test.Stock/Items grpc-status 0 success":      1,
		"server vigil.test.Stock/Chat grpc-status 0 success":       1,
		"client vigil.test.Stock/Chat grpc-status 0 success":       1,
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		// What the agent counted helps tell a lost stream from a parser fault.
		fams, _ := a.reg.Gather()
		for _, f := range fams {
			if strings.Contains(f.GetName(), "tls") || strings.Contains(f.GetName(), "parse") || strings.Contains(f.GetName(), "drop") || strings.Contains(f.GetName(), "ringbuf") {
				for _, m := range f.GetMetric() {
					t.Logf("%s %v = %v", f.GetName(), m.GetLabel(), metricValue(m))
				}
			}
		}
		t.Fatalf("gRPC spans by kind, name, status, outcome:\n%v\nwant\n%v", count, want)
	}
}
