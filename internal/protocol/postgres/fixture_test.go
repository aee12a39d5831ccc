package postgres

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// Fixture format (testdata/*.jsonl): one JSON object a line, one line per
// read the recording proxy did, in the order they happened across both
// directions:
//
//	{"conn":0,"dir":"egress","data":"<base64>","skipped":0,"lost":0,"start":123,"end":456}
//
// conn numbers the connections of the recording; dir is as seen by the
// client (the traced process): egress = client to server. data is the
// captured head, at most 1 KiB as the agent captures by default, skipped
// the bytes after it that were moved but not captured, lost the bytes
// before it no record carried; start and end are monotonic ns.
type record struct {
	Conn    int    `json:"conn"`
	Dir     string `json:"dir"`
	Data    string `json:"data"`
	Skipped int    `json:"skipped,omitempty"`
	Lost    uint64 `json:"lost,omitempty"`
	Start   uint64 `json:"start"`
	End     uint64 `json:"end"`
}

// step is a decoded record.
type step struct {
	conn int
	dir  reassembly.Direction
	pc   reassembly.Piece
}

func loadFixture(t testing.TB, name string) []step {
	t.Helper()
	f, err := os.Open("testdata/" + name + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []step
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		data, err := base64.StdEncoding.DecodeString(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		dir := reassembly.Ingress
		if r.Dir == "egress" {
			dir = reassembly.Egress
		}
		steps = append(steps, step{r.Conn, dir, reassembly.Piece{Lost: r.Lost, Data: data, Skipped: r.Skipped, Start: r.Start, End: r.End}})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}

// replay feeds a recording, one parser per connection; capture cuts every
// piece's data further (0: as recorded).
func replay(steps []step, capture int, joined bool) ([]Exchange, map[int]*Parser) {
	var got []Exchange
	parsers := map[int]*Parser{}
	for _, s := range steps {
		p := parsers[s.conn]
		if p == nil {
			p = NewParser(func(x Exchange) { got = append(got, x) }, joined)
			parsers[s.conn] = p
		}
		pc := s.pc
		if capture > 0 && len(pc.Data) > capture {
			pc.Skipped += len(pc.Data) - capture
			pc.Data = pc.Data[:capture]
		}
		p.Feed(s.dir, pc)
	}
	for _, p := range parsers {
		p.Close()
	}
	return got, parsers
}

func writeFixture(t testing.TB, name string, recs []record) {
	t.Helper()
	f, err := os.Create("testdata/" + name + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
