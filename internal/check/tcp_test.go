package check

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// lineServer greets with a banner, then answers each line: PING with PONG,
// QUIT by closing, anything else with ERR.
func lineServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go serveLines(conn)
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func serveLines(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte("220 ready\r\n"))
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		switch strings.TrimSpace(sc.Text()) {
		case "PING":
			conn.Write([]byte("+PONG\r\n"))
		case "QUIT":
			return
		default:
			conn.Write([]byte("-ERR\r\n"))
		}
	}
}

func tcpMonitor(port int, send, expect string, asserts ...string) monitor.Monitor {
	return monitor.Monitor{
		ID: "tcp1", Type: monitor.TypeTCP, Timeout: monitor.Duration(2 * time.Second),
		TCP:    &monitor.TCPCheck{Host: "127.0.0.1", Port: port, Send: send, Expect: expect},
		Assert: asserts,
	}
}

func TestTCP(t *testing.T) {
	port := lineServer(t)
	tests := []struct {
		name    string
		m       monitor.Monitor
		up      bool
		errType string
		errMsg  string
	}{
		{"connect only", tcpMonitor(port, "", ""), true, "", ""},
		{"banner", tcpMonitor(port, "", "220"), true, "", ""},
		{"send and expect", tcpMonitor(port, "PING\r\n", "+PONG"), true, "", ""},
		{"send without expect reads first reply", tcpMonitor(port, "PING\r\n", "", `reply startsWith "220"`), true, "", ""},
		{"expect not in reply", tcpMonitor(port, "QUIT\r\n", "+PONG"), false, result.ErrorAssertion, `assertion failed: reply contains "+PONG"`},
		{"custom assertion", tcpMonitor(port, "", "", `timings.connect > duration("0s") && connected`), true, "", ""},
		{"secret payload", tcpMonitor(port, "${secrets.CMD}\r\n", "+PONG"), true, "", ""},
		{"missing secret", tcpMonitor(port, "${secrets.NOPE}", ""), false, result.ErrorConfig, `secret "NOPE" is not set`},
		{"refused", tcpMonitor(closedPort(t), "", ""), false, result.ErrorIO, "connection refused"},
		{"expect times out", withTimeout(tcpMonitor(port, "", "never"), 300*time.Millisecond), false, result.ErrorIO, "timed out after 300ms"},
	}
	r := newTestRunner(t, "VIGIL_SECRET_CMD=PING")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runOnce(t, r, tt.m)
			if len(res.Steps) != 1 || res.Steps[0].Synthetics.Step.Name != "tcp connect" {
				t.Fatalf("steps = %+v; want one step named tcp connect", res.Steps)
			}
			if tt.up {
				wantStatus(t, res, result.StatusUp)
				if res.Steps[0].Timings.Connect.US <= 0 || res.URL.Full != "tcp://"+res.URL.Domain+":"+itoa(res.URL.Port) {
					t.Errorf("timings %+v url %+v", res.Steps[0].Timings, res.URL)
				}
				return
			}
			wantStatus(t, res, result.StatusDown)
			wantError(t, res, tt.errType, tt.errMsg)
		})
	}
}

func TestTCPExpectReadsAtMostOneKiB(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte(strings.Repeat("x", 4096) + "needle"))
		time.Sleep(2 * time.Second)
	}()
	start := time.Now()
	res := runOnce(t, newTestRunner(t), tcpMonitor(l.Addr().(*net.TCPAddr).Port, "", "needle"))
	wantStatus(t, res, result.StatusDown)
	wantError(t, res, result.ErrorAssertion, "reply contains")
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v; want it to stop reading at 1 KiB", d)
	}
	if got := len(res.Steps[0].Details["reply"].(string)); got != 1024 {
		t.Errorf("reply detail has %d bytes, want 1024", got)
	}
}
