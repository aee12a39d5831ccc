package mysql

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// A fixture is one recorded connection, as JSON lines in stream order of
// recording, one syscall (proxy read) per line:
//
//	{"dir":"egress","start":123,"end":124,"data":"<base64>","skipped":0,"lost":0}
//
// dir is as seen by the client (the traced process): egress = bytes the
// client wrote. data is what the capture kept, skipped the bytes moved but
// not captured, lost the bytes before it that no record carried; start and
// end are monotonic nanoseconds since the recording began.
type record struct {
	Dir     string `json:"dir"`
	Start   uint64 `json:"start"`
	End     uint64 `json:"end"`
	Data    string `json:"data"`
	Skipped int    `json:"skipped,omitempty"`
	Lost    uint64 `json:"lost,omitempty"`
}

type step struct {
	dir reassembly.Direction
	pc  reassembly.Piece
}

func loadFixture(t testing.TB, path string) []step {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var steps []step
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		data, err := base64.StdEncoding.DecodeString(r.Data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		dir := reassembly.Ingress
		if r.Dir == "egress" {
			dir = reassembly.Egress
		}
		steps = append(steps, step{dir, reassembly.Piece{Lost: r.Lost, Data: data, Skipped: r.Skipped, Start: r.Start, End: r.End}})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}

func saveFixture(t testing.TB, path string, steps []step) {
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(fh)
	enc := json.NewEncoder(w)
	for _, s := range steps {
		r := record{Dir: s.dir.String(), Start: s.pc.Start, End: s.pc.End, Data: base64.StdEncoding.EncodeToString(s.pc.Data), Skipped: s.pc.Skipped, Lost: s.pc.Lost}
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

// capture truncates each syscall's data to limit bytes as the agent does,
// counting the rest as skipped.
func capture(steps []step, limit int) []step {
	out := make([]step, len(steps))
	for i, s := range steps {
		if len(s.pc.Data) > limit {
			s.pc.Skipped += len(s.pc.Data) - limit
			s.pc.Data = s.pc.Data[:limit]
		}
		out[i] = s
	}
	return out
}

// replay feeds steps to a parser and returns its exchanges.
func replay(steps []step, joined bool) ([]Exchange, *Parser) {
	var got []Exchange
	p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
	for _, s := range steps {
		p.Feed(s.dir, s.pc)
	}
	p.Close()
	return got, p
}
