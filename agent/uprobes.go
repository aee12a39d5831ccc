package agent

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// uprobeFile attaches programs at file offsets of one executable or
// library. Where the kernel has uprobe_multi links (6.6+) one link holds
// every offset of a program; otherwise each offset is its own perf event.
// Detaching costs the kernel a grace period (0.1-0.2 s here) per link, so
// fewer links make the agent stop in well under a second.
type uprobeFile struct {
	ex    *link.Executable
	multi bool
	links []link.Link
}

func openUprobeFile(path string, multi bool) (*uprobeFile, error) {
	ex, err := link.OpenExecutable(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &uprobeFile{ex: ex, multi: multi}, nil
}

// at attaches prog at the file offsets addrs (return probes when ret); name
// only labels the probes.
func (u *uprobeFile) at(name string, prog *ebpf.Program, addrs []uint64, ret bool) error {
	if u.multi {
		attach := u.ex.UprobeMulti
		if ret {
			attach = u.ex.UretprobeMulti
		}
		l, err := attach(nil, prog, &link.UprobeMultiOptions{Addresses: addrs})
		if err != nil {
			return fmt.Errorf("attaching %s at %d places: %w", name, len(addrs), err)
		}
		u.links = append(u.links, l)
		return nil
	}
	attach := u.ex.Uprobe
	if ret {
		attach = u.ex.Uretprobe
	}
	for _, a := range addrs {
		l, err := attach(name, prog, &link.UprobeOptions{Address: a})
		if err != nil {
			return fmt.Errorf("attaching %s at %#x: %w", name, a, err)
		}
		u.links = append(u.links, l)
	}
	return nil
}

// abandon detaches what was attached, after a failure.
func (u *uprobeFile) abandon() {
	closeLinks(u.links)
	u.links = nil
}

// closeLinks detaches links concurrently, so their grace periods overlap.
func closeLinks(links []link.Link) {
	var wg sync.WaitGroup
	for _, l := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = l.Close()
		}()
	}
	wg.Wait()
}

// dynamicSymbolOffsets finds exported functions' file offsets; missing
// names are left out.
func dynamicSymbolOffsets(path string, names []string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, fmt.Errorf("reading the ELF file: %w", err)
	}
	syms, err := ef.DynamicSymbols()
	if errors.Is(err, elf.ErrNoSymbols) {
		return nil, nil // a static executable
	}
	if err != nil {
		return nil, fmt.Errorf("reading dynamic symbols: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]uint64{}
	for _, s := range syms {
		if !want[s.Name] || elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Value == 0 {
			continue
		}
		off, err := fileOffset(ef, s.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		out[s.Name] = off
	}
	return out, nil
}
