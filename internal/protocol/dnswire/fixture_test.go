package dnswire

// Fixtures are recordings of real DNS traffic, one JSON object a line:
//
//	{"conn":"dig-udp-1","transport":"udp","dir":"egress","data":"<base64>","size":52,"start":123,"end":456}
//
// conn names one client socket (a UDP socket talking to one server, or one
// TCP connection), transport is "udp" or "tcp", dir is as the client (the
// traced process) sees it: "egress" it sent, "ingress" it received. data
// is everything moved by one syscall (a datagram, or one read/write chunk
// of a TCP stream, length prefixes included), size its length; start and
// end are monotonic ns since the recording began. Replay applies the
// agent's 1 KiB capture limit itself, so fixtures keep whole payloads.
//
// Regenerate with: go test ./internal/protocol/dnswire/ -run TestRecord -record

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// record is one fixture line.
type record struct {
	Conn      string `json:"conn"`
	Transport string `json:"transport"`
	Dir       string `json:"dir"`
	Data      []byte `json:"data"` // base64 in JSON
	Size      int    `json:"size"`
	Start     uint64 `json:"start"`
	End       uint64 `json:"end"`
}

func (r *record) dir() reassembly.Direction {
	if r.Dir == "egress" {
		return reassembly.Egress
	}
	return reassembly.Ingress
}

func loadFixture(t testing.TB, name string) []record {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Size != len(r.Data) || (r.Transport != "udp" && r.Transport != "tcp") {
			t.Fatalf("%s: bad record %+v", name, r)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// captureLimit is the agent's default capture of a syscall buffer.
const captureLimit = 1024

// replay feeds a recording as the agent would: one UDP matcher or TCP
// parser per conn, syscall buffers cut at captureLimit.
func replay(recs []record, emit func(Exchange)) (udp map[string]*UDP, tcp map[string]*TCPParser) {
	udp, tcp = map[string]*UDP{}, map[string]*TCPParser{}
	var order []string
	for i := range recs {
		r := &recs[i]
		data := r.Data[:min(len(r.Data), captureLimit)]
		switch r.Transport {
		case "udp":
			u := udp[r.Conn]
			if u == nil {
				u = NewUDP(emit)
				udp[r.Conn] = u
			}
			u.Datagram(r.dir(), data, r.Size, r.Start, r.End)
		case "tcp":
			p := tcp[r.Conn]
			if p == nil {
				p = NewTCPParser(emit, false)
				tcp[r.Conn] = p
				order = append(order, r.Conn)
			}
			p.Feed(r.dir(), reassembly.Piece{Data: data, Skipped: r.Size - len(data), Start: r.Start, End: r.End})
		}
	}
	for _, c := range order {
		tcp[c].Close()
	}
	for _, u := range udp {
		u.Close()
	}
	return udp, tcp
}

// want is an exchange without its times, which are checked for order.
type want struct {
	Name, Type, RCode string
	Answers           int
	Truncated         bool
	Transport         string
	ReqBytes, Resp    int64
}

func checkReplay(t *testing.T, fixture string, expect []want) {
	recs := loadFixture(t, fixture)
	var got []Exchange
	udp, tcp := replay(recs, func(x Exchange) { got = append(got, x) })
	var gw []want
	for _, x := range got {
		if x.Incomplete || x.RequestDir != reassembly.Egress {
			t.Errorf("%s: unexpected exchange %+v", fixture, x)
		}
		if !(x.RequestStart <= x.RequestEnd && x.RequestEnd <= x.ResponseStart+1e6 && x.ResponseStart <= x.ResponseEnd) {
			t.Errorf("%s: times out of order: %+v", fixture, x)
		}
		gw = append(gw, want{x.Name, x.Type, x.RCode, x.Answers, x.Truncated, x.Transport, x.RequestBytes, x.ResponseBytes})
	}
	// Parallel queries complete in recorded order; compare as sets.
	key := func(a, b want) int {
		if c := cmpStr(a.Name+a.Type+a.Transport+a.RCode, b.Name+b.Type+b.Transport+b.RCode); c != 0 {
			return c
		}
		return int(a.ReqBytes - b.ReqBytes)
	}
	slices.SortFunc(gw, key)
	expect = slices.Clone(expect)
	slices.SortFunc(expect, key)
	if !slices.Equal(gw, expect) {
		t.Errorf("%s: exchanges\n got  %+v\n want %+v", fixture, gw, expect)
	}
	for c, u := range udp {
		if len(u.Stats.Errors) != 0 {
			t.Errorf("%s %s: udp errors %v", fixture, c, u.Stats.Errors)
		}
	}
	for c, p := range tcp {
		if len(p.Stats.Errors) != 0 || p.Dead() {
			t.Errorf("%s %s: tcp errors %v", fixture, c, p.Stats.Errors)
		}
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
