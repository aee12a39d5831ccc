package agent

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// procSig tells whether a process's mappings may have changed since its
// maps were last read: its start time (a reused pid) and its virtual size
// (a library mapped later grows it). /proc/PID/stat gives both in constant
// time, where reading /proc/PID/maps walks every mapping (thousands in a
// JVM): the periodic rescan reads maps again only when the signature moved.
type procSig struct{ start, vsize uint64 }

// readProcSig reads the signature of the process whose /proc directory is
// dir; false when it cannot (exited, or an unexpected format).
func readProcSig(dir string) (procSig, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procSig{}, false
	}
	// The command name may hold spaces and parentheses: fields are counted
	// after its closing one. starttime and vsize are fields 22 and 23 of
	// proc(5), the 20th and 21st after the name.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procSig{}, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 21 {
		return procSig{}, false
	}
	start, err1 := strconv.ParseUint(string(f[19]), 10, 64)
	vsize, err2 := strconv.ParseUint(string(f[20]), 10, 64)
	if err1 != nil || err2 != nil {
		return procSig{}, false
	}
	return procSig{start, vsize}, true
}

// rescan is the periodic scan of one process: its maps are read again only
// when its signature changed since they last were. seen collects the pids
// of this pass; sweepSigs then forgets the others.
func (p *tlsProbes) rescan(pid uint32, seen map[uint32]bool) {
	seen[pid] = true
	p.scanSigned(pid, false)
}

// scanSigned reads the maps of process pid, unless its signature is the
// one recorded at their last reading and force is false, and records it.
// The signature is read first: a library mapped in between changes it and
// is found by the next pass.
func (p *tlsProbes) scanSigned(pid uint32, force bool) {
	sig, ok := readProcSig(filepath.Join(p.procRoot, strconv.FormatUint(uint64(pid), 10)))
	if ok && !force && p.sigs[pid] == sig {
		return
	}
	p.scanPID(pid)
	if ok {
		p.sigs[pid] = sig
	}
}

// sweepSigs forgets the signatures of processes a full pass did not see.
func (p *tlsProbes) sweepSigs(seen map[uint32]bool) {
	for pid := range p.sigs {
		if !seen[pid] {
			delete(p.sigs, pid)
		}
	}
}
