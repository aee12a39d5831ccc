package h2

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// summary is the part of an exchange the replay tests pin down.
func summary(x Exchange) string {
	s := fmt.Sprintf("%d %s %s %d", x.StreamID, x.Method, x.Path, x.Status)
	if x.GRPC {
		s += fmt.Sprintf(" grpc=%s/%s status=%d", x.GRPCService, x.GRPCMethod, x.GRPCStatus)
		if x.GRPCMessage != "" {
			s += fmt.Sprintf(" msg=%q", x.GRPCMessage)
		}
	}
	if x.Traceparent != "" {
		s += " tp=" + x.Traceparent[:12]
	}
	if x.Incomplete {
		s += " incomplete: " + x.Reason
	}
	return s
}

const (
	check1 = " POST /grpc.health.v1.Health/Check 200 grpc=grpc.health.v1.Health/Check status=0"
	echoOK = " POST /vigil.test.Echo/Unary 200 grpc=vigil.test.Echo/Unary status=0"
	lost   = "   0 incomplete: HPACK state lost"
)

// TestReplay replays the grpc-go and net/http recordings (the client is
// the traced process) and states every exchange expected.
func TestReplay(t *testing.T) {
	long := strings.Repeat("k", 256-len("no such thing: "))
	cases := map[string][]string{
		"unary": {
			"1" + check1, "3" + check1, "5" + echoOK,
			`7 POST /vigil.test.Echo/Missing 200 grpc=vigil.test.Echo/Missing status=12 msg="unknown method Missing for service vigil.test.Echo"`,
		},
		"stream": {
			"1 POST /vigil.test.Echo/Stream 200 grpc=vigil.test.Echo/Stream status=0",
			"3 POST /grpc.health.v1.Health/Watch 200 grpc=grpc.health.v1.Health/Watch status=-1 incomplete: stream reset",
			"5" + check1,
		},
		"error": {
			`1 POST /grpc.health.v1.Health/Check 200 grpc=grpc.health.v1.Health/Check status=5 msg="unknown service"`,
			`3 POST /vigil.test.Echo/Fail 200 grpc=vigil.test.Echo/Fail status=5 msg="no such thing: key-1 (100% sure, ü)"`,
			`5 POST /vigil.test.Echo/Fail 200 grpc=vigil.test.Echo/Fail status=5 msg="no such thing: ` + long + `"`,
		},
		"trace": {"1" + echoOK + " tp=00-4bf92f357", "3" + echoOK + " tp=00-0af765191"},
		"h2c":   {"1 GET /hello 200 tp=00-4bf92f357", "3 POST /upload 201 tp=00-4bf92f357", "5 GET /missing?q=1 404 tp=00-4bf92f357"},
		// The 200 KB call's frames are cut by the 1 KiB capture: both
		// directions lose framing, so the calls after it are reported
		// without values, and the big one only at the close.
		"big": {"1" + echoOK, "5" + lost, "7" + lost, "3" + lost},
	}
	var bench []string
	for i := range 100 {
		bench = append(bench, fmt.Sprint(2*i+1)+check1)
	}
	cases["bench"] = bench
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			got, p := replay(readFixture(t, name), false)
			if p.State() != H2 {
				t.Fatalf("state %v", p.State())
			}
			var sums []string
			for _, x := range got {
				sums = append(sums, summary(x))
				if x.RequestDir != reassembly.Egress {
					t.Errorf("stream %d: request dir %v", x.StreamID, x.RequestDir)
				}
				if !x.Incomplete && (x.RequestStart == 0 || x.RequestEnd < x.RequestStart || x.ResponseStart < x.RequestStart || x.ResponseEnd < x.ResponseStart) {
					t.Errorf("stream %d: times %d-%d %d-%d", x.StreamID, x.RequestStart, x.RequestEnd, x.ResponseStart, x.ResponseEnd)
				}
			}
			if !slices.Equal(sums, want) {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(sums, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestReplaySizes pins the DATA byte counts of a few recorded calls.
func TestReplaySizes(t *testing.T) {
	got, _ := replay(readFixture(t, "h2c"), false)
	if got[1].RequestBytes != 5000 || got[0].ResponseBytes != int64(len("hello, world\n")) {
		t.Fatalf("sizes %+v", got)
	}
	got, _ = replay(readFixture(t, "stream"), false)
	// Five length-prefixed messages "item0".."item4" (5+2+5 bytes each).
	if got[0].RequestBytes != 5+2+4 || got[0].ResponseBytes != 5*12 {
		t.Fatalf("sizes %d %d", got[0].RequestBytes, got[0].ResponseBytes)
	}
	got, _ = replay(readFixture(t, "trace"), false)
	if got[0].Tracestate != "vigil=1,congo=t61rcWkgMzE" || got[0].Authority == "" || got[0].Scheme != "http" {
		t.Fatalf("%+v", got[0])
	}
}

// rechunk cuts every piece into pieces of 1..7 bytes (a frame split over
// many syscalls), or, when merge, joins runs of same-direction pieces
// (many frames per syscall).
func rechunk(recs []record, merge bool) []record {
	var out []record
	for i, r := range recs {
		if merge {
			if n := len(out); n > 0 && out[n-1].Dir == r.Dir && out[n-1].Skipped == 0 && r.Lost == 0 {
				out[n-1].Data = append(out[n-1].Data, r.Data...)
				out[n-1].Skipped, out[n-1].End = r.Skipped, r.End
				continue
			}
			r.Data = slices.Clone(r.Data)
			out = append(out, r)
			continue
		}
		data := r.Data
		for j := 0; len(data) > 0; j++ {
			n := min(len(data), 1+(i+j)%7)
			c := record{Dir: r.Dir, Data: data[:n], Start: r.Start, End: r.End}
			if j == 0 {
				c.Lost = r.Lost
			}
			data = data[n:]
			if len(data) == 0 {
				c.Skipped = r.Skipped
			}
			out = append(out, c)
		}
	}
	return out
}

func TestReplayRechunked(t *testing.T) {
	for _, name := range []string{"unary", "stream", "error", "trace", "h2c", "bench"} {
		want, _ := replay(readFixture(t, name), false)
		for _, merge := range []bool{false, true} {
			got, _ := replay(rechunk(readFixture(t, name), merge), false)
			if len(got) != len(want) {
				t.Fatalf("%s merge=%v: %d exchanges, want %d", name, merge, len(got), len(want))
			}
			for i := range got {
				g, w := got[i], want[i]
				if summary(g) != summary(w) || g.RequestBytes != w.RequestBytes || g.ResponseBytes != w.ResponseBytes {
					t.Fatalf("%s merge=%v: %s %d/%d, want %s %d/%d", name, merge, summary(g), g.RequestBytes, g.ResponseBytes, summary(w), w.RequestBytes, w.ResponseBytes)
				}
			}
		}
	}
}

// TestReplayJoined starts the 100-call recording half-way: the client is
// found from the static-table :method/:status, no value is reported.
func TestReplayJoined(t *testing.T) {
	recs := readFixture(t, "bench")
	got, p := replay(recs[len(recs)/2:], true)
	if p.State() != H2 || len(got) < 45 {
		t.Fatalf("state %v, %d exchanges", p.State(), len(got))
	}
	for _, x := range got {
		if x.Method != "" || x.Path != "" || x.Status != 0 || x.GRPC || x.GRPCStatus != -1 || !x.Incomplete || x.Reason != ReasonJoined {
			t.Fatalf("joined exchange with values: %+v", x)
		}
		if x.RequestDir != reassembly.Egress {
			t.Fatalf("request dir %v", x.RequestDir)
		}
	}
}

// TestReplayHeadersCut truncates one request HEADERS of the 100-call
// recording: that call and every later one lose their values; the ones
// before are untouched.
func TestReplayHeadersCut(t *testing.T) {
	recs := slices.Clone(readFixture(t, "bench"))
	n := 0
cut:
	for i, r := range recs {
		if r.Dir != "egress" || i == 0 {
			continue
		}
		// Pieces of this recording hold whole frames: find the 51st
		// HEADERS and cut the capture two bytes into its block.
		for pos := 0; pos+9 <= len(r.Data); pos += 9 + int(parseHeader(r.Data[pos:]).length) {
			if r.Data[pos+3] != frameHeaders {
				continue
			}
			if n++; n == 51 {
				recs[i].Skipped += len(r.Data) - (pos + 11)
				recs[i].Data = r.Data[:pos+11]
				break cut
			}
		}
	}
	got, _ := replay(recs, false)
	if len(got) != 100 {
		t.Fatalf("%d exchanges", len(got))
	}
	for i, x := range got {
		if i < 50 && summary(x) != fmt.Sprint(2*i+1)+check1 {
			t.Fatalf("before the cut: %s", summary(x))
		}
		if i >= 50 && summary(x) != fmt.Sprint(2*i+1)+lost {
			t.Fatalf("after the cut: %s", summary(x))
		}
	}
}
