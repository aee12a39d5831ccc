package agent

import (
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"errors"
	"fmt"
	"go/version"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/arch/x86/x86asm"

	"github.com/vigil-dev/vigil/bpf"
)

// errNotGo: the executable is not a Go program with crypto/tls.
var errNotGo = errors.New("not a Go program using crypto/tls")

// goProbe is the program at a probed method's entry and at its RETs.
type goProbe struct{ entry, ret *ebpf.Program }

// goTLSFuncs are the crypto/tls methods probed in Go programs: Read and
// Write move plaintext; handshakeContext only binds a connection to its
// socket (its reads may already hold the first request).
func goTLSFuncs(p *bpf.CapturePrograms) map[string]goProbe {
	return map[string]goProbe{
		"crypto/tls.(*Conn).Read":             {p.VigilGoTlsRead, p.VigilGoTlsReturn},
		"crypto/tls.(*Conn).Write":            {p.VigilGoTlsWrite, p.VigilGoTlsReturn},
		"crypto/tls.(*Conn).handshakeContext": {p.VigilGoTlsHandshake, p.VigilGoTlsHandshakeReturn},
	}
}

// goFunc is a probed function: its entry as a file offset (what a uprobe
// takes) and its RET instructions as offsets from the entry.
type goFunc struct {
	entry uint64
	rets  []uint64
}

// goTLSReturns finds the probed functions of a Go program from its
// .gopclntab, which stripped programs (go build -ldflags=-s, and go test's
// binaries) keep. Go 1.17 is the first with the register ABI the BPF side
// reads, on amd64 only.
func goTLSReturns(path string) (map[string]goFunc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bi, err := buildinfo.Read(f)
	if err != nil {
		return nil, errNotGo
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, fmt.Errorf("reading the ELF file: %w", err)
	}
	pcln, text := ef.Section(".gopclntab"), ef.Section(".text")
	if pcln == nil || text == nil {
		return nil, errNotGo
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, fmt.Errorf("reading .gopclntab: %w", err)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, fmt.Errorf("reading .gopclntab: %w", err)
	}
	var found []*gosym.Func
	for name := range goTLSFuncs(&bpf.CapturePrograms{}) {
		if fn := table.LookupFunc(name); fn != nil {
			found = append(found, fn)
		}
	}
	if len(found) == 0 {
		return nil, errNotGo
	}
	if ef.Machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("%s: Go TLS probes are implemented for amd64 only", ef.Machine)
	}
	if v := bi.GoVersion; !version.IsValid(v) || version.Compare(v, "go1.17") < 0 {
		return nil, fmt.Errorf("built with %s: Go TLS probes need the register ABI of go1.17 or newer", v)
	}
	out := map[string]goFunc{}
	for _, fn := range found {
		code := make([]byte, fn.End-fn.Entry)
		if _, err := text.ReadAt(code, int64(fn.Entry-text.Addr)); err != nil {
			return nil, fmt.Errorf("reading %s: %w", fn.Name, err)
		}
		rets, err := retOffsets(code)
		if err != nil {
			return nil, fmt.Errorf("disassembling %s: %w", fn.Name, err)
		}
		entry, err := fileOffset(ef, fn.Entry)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name, err)
		}
		out[fn.Name] = goFunc{entry: entry, rets: rets}
	}
	return out, nil
}

// fileOffset turns a code address into its offset in the file.
func fileOffset(ef *elf.File, addr uint64) (uint64, error) {
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && p.Vaddr <= addr && addr < p.Vaddr+p.Memsz {
			return addr - p.Vaddr + p.Off, nil
		}
	}
	return 0, fmt.Errorf("no executable segment holds %#x", addr)
}

// retOffsets decodes x86-64 code instruction by instruction (so no byte
// inside an instruction is taken for a RET) and lists the RETs.
func retOffsets(code []byte) ([]uint64, error) {
	var out []uint64
	for off := 0; off < len(code); {
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			return nil, fmt.Errorf("at %#x: %w", off, err)
		}
		if inst.Op == x86asm.RET {
			out = append(out, uint64(off))
		}
		off += inst.Len
	}
	if len(out) == 0 {
		return nil, errors.New("no RET instruction")
	}
	return out, nil
}

// attachGo puts the RET probes, then the entry probes, on a Go program's
// crypto/tls methods: RETs first, so that no call is recorded at its entry
// without its return being seen.
func (p *tlsProbes) attachGo(path string, funcs map[string]goFunc) ([]link.Link, error) {
	u, err := openUprobeFile(path, p.multi)
	if err != nil {
		return nil, err
	}
	probes := goTLSFuncs(p.progs)
	rets := map[*ebpf.Program][]uint64{}
	for name, fn := range funcs {
		for _, off := range fn.rets {
			rets[probes[name].ret] = append(rets[probes[name].ret], fn.entry+off)
		}
	}
	for prog, addrs := range rets {
		if err := u.at("go_tls_ret", prog, addrs, false); err != nil {
			u.abandon()
			return nil, err
		}
	}
	for name, fn := range funcs {
		if err := u.at(name, probes[name].entry, []uint64{fn.entry}, false); err != nil {
			u.abandon()
			return nil, err
		}
	}
	return u.links, nil
}
