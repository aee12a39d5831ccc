package agent

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/vigil-dev/vigil/bpf"
)

// sslPrograms are the entry uprobes by OpenSSL symbol; one uretprobe
// (VigilSslReturn) serves them all.
func sslPrograms(p *bpf.CapturePrograms) map[string]*ebpf.Program {
	return map[string]*ebpf.Program{
		"SSL_read": p.VigilSslRead, "SSL_read_ex": p.VigilSslReadEx,
		"SSL_write": p.VigilSslWrite, "SSL_write_ex": p.VigilSslWriteEx,
	}
}

// libsslName matches OpenSSL's libssl (libssl.so, libssl.so.3,
// libssl.so.1.1), not NSS's libssl3.so.
var libsslName = regexp.MustCompile(`^libssl\.so(\.[0-9.]+)?$`)

// tlsRescanEvery is how often every traced process's maps are read again
// (libraries opened long after exec and before any connection).
var tlsRescanEvery = 5 * time.Second

// fileID names a library file across mount namespaces and hard links.
type fileID struct{ dev, ino uint64 }

// tlsProbes attaches the TLS uprobes to each libssl file the traced
// processes map and to each Go program among them, once per file: a uprobe
// on a file fires in every process that maps it, now or later, and the BPF
// side applies the pid and cgroup filters.
type tlsProbes struct {
	progs    *bpf.CapturePrograms
	multi    bool // uprobe_multi links (see uprobeFile)
	procRoot string
	pids     map[uint32]bool // the pid filter
	cgroups  []Cgroup        // the cgroup filter; with pids empty: every process
	every    time.Duration   // rescan period of every process's maps
	metrics  *Metrics
	log      *slog.Logger
	wake     chan uint32

	// seenMu guards scanned, which the event loop touches: never held
	// while attaching (tens of milliseconds).
	seenMu  sync.Mutex
	scanned map[uint32]bool

	// sigs, of the run goroutine only: each process's signature when its
	// maps were last read (tlsscan.go).
	sigs     map[uint32]procSig
	mapsRead int // maps files read, for tests

	mu     sync.Mutex
	files  map[fileID]bool // attached, or failed and not retried
	links  []link.Link
	closed bool
}

func newTLSProbes(c *Capture, procRoot string, f Filter, m *Metrics, log *slog.Logger) *tlsProbes {
	p := &tlsProbes{
		progs: &c.objs.CapturePrograms, multi: c.uprobeMulti, procRoot: procRoot, pids: map[uint32]bool{}, every: tlsRescanEvery,
		metrics: m, log: log, wake: make(chan uint32, 256),
		files: map[fileID]bool{}, scanned: map[uint32]bool{}, sigs: map[uint32]procSig{},
	}
	for _, pid := range f.PIDs {
		p.pids[pid] = true
	}
	p.cgroups = f.Cgroups
	return p
}

// start attaches to the libraries found now: unless only given pids are
// traced, the system's own libssl first, so that processes started later
// are covered from their first call; then those the traced processes map.
func (p *tlsProbes) start() {
	if len(p.pids) == 0 || len(p.cgroups) > 0 {
		root := filepath.Join(p.procRoot, "1", "root")
		if _, err := os.Stat(root); err != nil {
			root = "/" // pid 1's root is not readable here: ours
		}
		for _, path := range systemLibSSL(root) {
			p.attachFile(path, tlsOpenSSL)
		}
	}
	p.scanAll()
}

// run rescans every process periodically and the processes the tracker
// reports as they appear, until ctx ends.
func (p *tlsProbes) run(ctx context.Context) {
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case pid := <-p.wake:
			p.scanSigned(pid, true) // new, or just exec'd
		case <-tick.C:
			p.scanAll()
		}
	}
}

// notice asks for a scan of a process seen for the first time; it never
// blocks the event loop.
func (p *tlsProbes) notice(pid uint32) {
	p.seenMu.Lock()
	seen := p.scanned[pid]
	p.scanned[pid] = true
	p.seenMu.Unlock()
	if !seen {
		select {
		case p.wake <- pid:
		default: // the periodic scan will see it
		}
	}
}

// exec looks at a process that just exec'd once its dynamic loader has
// mapped its libraries (the usual case takes milliseconds; libraries
// opened later are found by the connection and periodic scans).
func (p *tlsProbes) exec(pid uint32) {
	p.forget(pid)
	for _, d := range []time.Duration{20 * time.Millisecond, 250 * time.Millisecond, time.Second} {
		time.AfterFunc(d, func() {
			select {
			case p.wake <- pid:
			default:
			}
		})
	}
}

// forget drops an exited process.
func (p *tlsProbes) forget(pid uint32) {
	p.seenMu.Lock()
	delete(p.scanned, pid)
	p.seenMu.Unlock()
}

func (p *tlsProbes) scanAll() {
	seen := make(map[uint32]bool, len(p.sigs))
	defer p.sweepSigs(seen)
	if len(p.pids) > 0 && len(p.cgroups) == 0 {
		for pid := range p.pids {
			p.rescan(pid, seen)
		}
		return
	}
	entries, err := os.ReadDir(p.procRoot)
	if err != nil {
		p.log.Warn("listing processes for TLS libraries", "err", err)
		return
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		p.rescan(uint32(pid), seen)
	}
}

// scanPID attaches to the libssl files a process maps, opened through the
// process's root so that containers' own copies are found, and to its
// executable when it is a Go program using crypto/tls.
func (p *tlsProbes) scanPID(pid uint32) {
	dir := filepath.Join(p.procRoot, strconv.FormatUint(uint64(pid), 10))
	if !p.traced(pid, dir) {
		return
	}
	f, err := os.Open(filepath.Join(dir, "maps"))
	if err != nil {
		return // exited, or a kernel thread
	}
	p.mapsRead++
	libs := mappedLibSSL(f)
	f.Close()
	for _, lib := range libs {
		p.attachFile(filepath.Join(dir, "root", lib), tlsOpenSSL)
	}
	p.attachFile(filepath.Join(dir, "exe"), tlsExe)
}

// traced mirrors the kernel's filter: a process is traced when it is one
// of the pids or in one of the cgroups, or when neither is chosen.
func (p *tlsProbes) traced(pid uint32, dir string) bool {
	if len(p.pids) == 0 && len(p.cgroups) == 0 {
		return true
	}
	if p.pids[pid] {
		return true
	}
	return len(p.cgroups) > 0 && inCgroups(readCgroupPath(filepath.Join(dir, "cgroup")), p.cgroups)
}

// inCgroups says whether a process's cgroup path (as /proc/PID/cgroup
// gives it, relative to its hierarchy's root) is one of the chosen cgroup
// directories, absolute paths ending with it. A path that merely ends the
// same way over-matches: a few more probes, the kernel still filters.
func inCgroups(path string, cgroups []Cgroup) bool {
	if !strings.HasPrefix(path, "/") || path == "/" {
		return false
	}
	for _, cg := range cgroups {
		if strings.HasSuffix(cg.Path, path) {
			return true
		}
	}
	return false
}

// mappedLibSSL lists the distinct libssl paths of a /proc/PID/maps.
func mappedLibSSL(r io.Reader) []string {
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// address perms offset dev inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		path := strings.Join(fields[5:], " ")
		if !strings.HasPrefix(path, "/") || !libsslName.MatchString(filepath.Base(path)) || seen[path] {
			continue
		}
		seen[path] = true
		out = append(out, path)
	}
	return out
}

// systemLibSSL lists the libssl files of the usual library directories
// under root.
func systemLibSSL(root string) []string {
	var out []string
	for _, pattern := range []string{"lib/*/libssl.so*", "usr/lib/*/libssl.so*", "lib64/libssl.so*", "usr/lib64/libssl.so*", "usr/lib/libssl.so*"} {
		matches, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, m := range matches {
			if libsslName.MatchString(filepath.Base(m)) {
				out = append(out, m)
			}
		}
	}
	return out
}

// Kinds of probed files, the label of vigil_agent_tls_libraries; an
// executable is a Go program or has OpenSSL linked in (and exported), or
// is left alone.
const (
	tlsOpenSSL = "openssl"
	tlsGo      = "go"
	tlsExe     = "exe"
)

// errNoOpenSSL: the file does not export SSL_read and SSL_write.
var errNoOpenSSL = errors.New("no OpenSSL SSL_read and SSL_write exported")

// attachFile attaches the uprobes of kind to one file unless that file was
// tried before. The probes are created through an open descriptor: the
// kernel resolves the path at attach time, and a /proc/PID/root path dies
// with its process.
func (p *tlsProbes) attachFile(path, kind string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return
	}
	id := fileID{uint64(st.Dev), st.Ino}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, done := p.files[id]; done || p.closed {
		return
	}
	began := time.Now()
	fdPath := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	var links []link.Link
	if kind == tlsExe {
		var funcs map[string]goFunc
		if funcs, err = goTLSReturns(fdPath); err == nil {
			kind = tlsGo
			links, err = p.attachGo(fdPath, funcs)
		} else if errors.Is(err, errNotGo) {
			kind = tlsOpenSSL
			links, err = p.attachOpenSSL(fdPath)
		}
	} else {
		links, err = p.attachOpenSSL(fdPath)
	}
	p.files[id] = err == nil
	if errors.Is(err, errNotGo) || errors.Is(err, errNoOpenSSL) {
		return
	}
	if real, rerr := filepath.EvalSymlinks(path); rerr == nil {
		path = real
	}
	if err != nil {
		p.metrics.TLSAttachErrors.Inc()
		p.log.Warn("TLS plaintext of this file will not be captured", "file", path, "kind", kind, "err", err)
		return
	}
	p.links = append(p.links, links...)
	p.metrics.TLSLibraries.WithLabelValues(kind).Inc()
	p.log.Info("capturing TLS plaintext", "file", path, "kind", kind, "links", len(links), "took", time.Since(began).Round(time.Microsecond))
}

// attachOpenSSL puts the uretprobe, then the entry uprobes, on the OpenSSL
// functions the library exports (returns first: a call recorded at its
// entry must have its return seen); SSL_read and SSL_write are required,
// the _ex pair exists from OpenSSL 1.1.1.
func (p *tlsProbes) attachOpenSSL(path string) ([]link.Link, error) {
	names := []string{"SSL_read", "SSL_write", "SSL_read_ex", "SSL_write_ex"}
	offs, err := dynamicSymbolOffsets(path, names)
	if err != nil {
		return nil, err
	}
	_, read := offs["SSL_read"]
	_, write := offs["SSL_write"]
	if !read || !write {
		return nil, errNoOpenSSL
	}
	u, err := openUprobeFile(path, p.multi)
	if err != nil {
		return nil, err
	}
	var all []uint64
	for _, n := range names {
		if off, ok := offs[n]; ok {
			all = append(all, off)
		}
	}
	if err := u.at("SSL_rw", p.progs.VigilSslReturn, all, true); err != nil {
		u.abandon()
		return nil, err
	}
	for _, n := range names {
		if off, ok := offs[n]; ok {
			if err := u.at(n, sslPrograms(p.progs)[n], []uint64{off}, false); err != nil {
				u.abandon()
				return nil, err
			}
		}
	}
	return u.links, nil
}

// close detaches every probe.
func (p *tlsProbes) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	closeLinks(p.links)
	p.links, p.closed = nil, true
}
