package h2

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// record is one line of a fixture (testdata/*.jsonl, see
// testdata/README.md): one syscall of the traced client as the agent would
// report it. encoding/json writes Data as base64.
type record struct {
	Dir     string `json:"dir"` // "egress": the client wrote; "ingress": it read
	Data    []byte `json:"data"`
	Skipped int    `json:"skipped,omitempty"`
	Lost    uint64 `json:"lost,omitempty"`
	Start   uint64 `json:"start"`
	End     uint64 `json:"end"`
}

func (r record) piece() (reassembly.Direction, reassembly.Piece) {
	dir := reassembly.Ingress
	if r.Dir == "egress" {
		dir = reassembly.Egress
	}
	return dir, reassembly.Piece{Lost: r.Lost, Data: r.Data, Skipped: r.Skipped, Start: r.Start, End: r.End}
}

func writeFixture(path string, recs []record) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func readFixture(t testing.TB, name string) []record {
	t.Helper()
	f, err := os.Open("testdata/" + name + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// replay feeds one connection to a fresh parser.
func replay(recs []record, joined bool) ([]Exchange, *Parser) {
	var got []Exchange
	p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
	var end uint64
	for _, r := range recs {
		dir, pc := r.piece()
		p.Feed(dir, pc)
		end = max(end, r.End)
	}
	p.Close(end + 1)
	return got, p
}
