package redis

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// writeFixture writes path, gzipped (path + ".gz") when large.
func writeFixture(path string, recs []record) error {
	size := 0
	for _, r := range recs {
		size += len(r.Data)
	}
	if size > 64<<10 {
		path += ".gz"
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var w io.Writer = f
	var zw *gzip.Writer
	if size > 64<<10 {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return f.Close()
}

func readFixture(t testing.TB, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	var recs []record
	sc := bufio.NewScanner(rd)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// scenarioFiles lists a scenario's connections in order.
func scenarioFiles(t testing.TB, name string) []string {
	files, err := filepath.Glob(filepath.Join("testdata", name+"-[0-9]*.jsonl*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures for %s: %v", name, err)
	}
	sort.Strings(files)
	return files
}

// replay feeds connections to fresh parsers and returns all exchanges and
// the summed stats.
func replay(conns [][]record) ([]Exchange, Stats, []State) {
	var got []Exchange
	var st Stats
	var states []State
	for _, recs := range conns {
		p := NewParser(func(x Exchange) { got = append(got, x) }, false)
		for _, r := range recs {
			p.Feed(r.piece())
		}
		p.Close()
		st.Pushes += p.Stats.Pushes
		for k, v := range p.Stats.Dropped {
			st.add(k)
			st.Dropped[k] += v - 1
		}
		states = append(states, p.State())
	}
	return got, st, states
}
