package agent

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statLine is a /proc/PID/stat line with the given start time and
// virtual size (fields 22 and 23), the command name holding what trips a
// naive split.
func statLine(pid int, start, vsize uint64) string {
	f := make([]string, 50)
	for i := range f {
		f[i] = "0"
	}
	f[0] = "S"
	f[19], f[20] = fmt.Sprint(start), fmt.Sprint(vsize)
	return fmt.Sprintf("%d (web) (x 1) %s\n", pid, strings.Join(f, " "))
}

func TestReadProcSig(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, stat string
		want       procSig
		ok         bool
	}{
		{"name with spaces and parentheses", statLine(7, 12345, 987654), procSig{12345, 987654}, true},
		{"truncated", "7 (web) S 1 2 3\n", procSig{}, false},
		{"no name", "garbage", procSig{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(c.stat), 0o644); err != nil {
				t.Fatal(err)
			}
			got, ok := readProcSig(dir)
			if got != c.want || ok != c.ok {
				t.Errorf("readProcSig = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
		})
	}
	if _, ok := readProcSig(filepath.Join(dir, "gone")); ok {
		t.Error("a process that is gone has no signature")
	}
}

// TestRescanReadsMapsOnlyWhenChanged: the periodic TLS library scan reads a
// process's maps again only when its start time or virtual size moved (a
// library mapped, a pid reused), always for a process reported new, and
// forgets processes that are gone.
func TestRescanReadsMapsOnlyWhenChanged(t *testing.T) {
	root := t.TempDir()
	pdir := filepath.Join(root, "4242")
	if err := os.Mkdir(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	setStat := func(start, vsize uint64) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(pdir, "stat"), []byte(statLine(4242, start, vsize)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setStat(100, 1<<20)
	maps := "00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/web\n"
	if err := os.WriteFile(filepath.Join(pdir, "maps"), []byte(maps), 0o644); err != nil {
		t.Fatal(err)
	}
	// closed: files are looked at but nothing is attached (no programs here).
	p := &tlsProbes{procRoot: root, pids: map[uint32]bool{}, files: map[fileID]bool{}, scanned: map[uint32]bool{},
		sigs: map[uint32]procSig{}, closed: true, log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	steps := []struct {
		name  string
		do    func()
		reads int // maps reads after the step
	}{
		{"first pass", p.scanAll, 1},
		{"nothing changed", p.scanAll, 1},
		{"a library mapped", func() { setStat(100, 2<<20); p.scanAll() }, 2},
		{"pid reused", func() { setStat(200, 2<<20); p.scanAll() }, 3},
		{"reported new", func() { p.scanSigned(4242, true) }, 4},
		{"unchanged again", p.scanAll, 4},
	}
	for _, s := range steps {
		s.do()
		if p.mapsRead != s.reads {
			t.Fatalf("after %q: maps read %d times, want %d", s.name, p.mapsRead, s.reads)
		}
	}
	if err := os.RemoveAll(pdir); err != nil {
		t.Fatal(err)
	}
	p.scanAll()
	if len(p.sigs) != 0 {
		t.Errorf("signatures of processes gone are kept: %v", p.sigs)
	}
}

// BenchmarkTLSRescan is one periodic pass over this machine's processes,
// with the signatures recorded (steady state) and with every maps file read
// (as before signatures).
func BenchmarkTLSRescan(b *testing.B) {
	for _, force := range []bool{false, true} {
		b.Run(fmt.Sprintf("read-every-maps=%v", force), func(b *testing.B) {
			p := &tlsProbes{procRoot: "/proc", pids: map[uint32]bool{}, files: map[fileID]bool{}, scanned: map[uint32]bool{},
				sigs: map[uint32]procSig{}, closed: true, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			p.scanAll()
			for b.Loop() {
				if force {
					clear(p.sigs)
				}
				p.scanAll()
			}
		})
	}
}
