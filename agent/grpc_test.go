package agent

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
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

	"github.com/vigil-dev/vigil/agent/traffic"
	"github.com/vigil-dev/vigil/internal/config"
	"github.com/vigil-dev/vigil/internal/span"
)

// grpcServe is the child process that serves gRPC health checks: the
// service "shop" is SERVING; any other is NOT_FOUND. With withTLS, over
// TLS with a fresh self-signed certificate.
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
	fmt.Println(ln.Addr().String())
	return s.Serve(ln)
}

// grpcCall is the child process that calls it: n checks of "shop", then one
// of "missing"; withTLS without verifying the certificate.
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
	return nil
}

// TestGRPCSpans traces a grpc-go client and server (two processes): every
// call is one client and one server span named by service and method, with
// its grpc-status; over TLS too, through the probes of Go's crypto/tls
// (HTTP/2 parsed from the plaintext).
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
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr = strings.TrimSpace(addr)
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
	got := a.waitSpans(t, 2*(calls+1), isGRPC)
	a.stop(t)
	count := map[string]int{}
	for _, s := range got {
		key := fmt.Sprintf("%s %s %s %s", s.Span.Kind, s.Span.Name, s.Span.Action, s.Event.Outcome)
		count[key]++
		if s.Vigil.Incomplete {
			t.Errorf("incomplete span %s: %s", s.Span.Name, s.Vigil.Reason)
		}
	}
	want := map[string]int{
		"server grpc.health.v1.Health/Check grpc-status 0 success": calls,
		"client grpc.health.v1.Health/Check grpc-status 0 success": calls,
		"server grpc.health.v1.Health/Check grpc-status 5 success": 1, // NOT_FOUND is the caller's problem
		"client grpc.health.v1.Health/Check grpc-status 5 failure": 1,
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
