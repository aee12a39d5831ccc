package dnswire

import "testing"

// Replays of recorded traffic; sizes are those of the recorded messages
// (TCP ones include the 2-byte length).

func TestReplayDig(t *testing.T) {
	checkReplay(t, "dig.jsonl", []want{
		{"a.vigil.test", "A", "NOERROR", 2, false, "udp", 53, 97},
		{"a.vigil.test", "AAAA", "NOERROR", 1, false, "udp", 53, 81}, // asked as A.Vigil.TEST
		{"txt.vigil.test", "TXT", "NOERROR", 1, false, "udp", 55, 78},
		{"nx.vigil.test", "A", "NXDOMAIN", 0, false, "udp", 54, 113},
		{"fail.vigil.test", "A", "SERVFAIL", 0, false, "udp", 56, 44},
		{"big.vigil.test", "TXT", "NOERROR", 0, true, "udp", 55, 43},
		// dig's retry over TCP; the 3949-byte answer is cut at 1 KiB by
		// the capture, its 64 answers come from ANCOUNT.
		{"big.vigil.test", "TXT", "NOERROR", 64, false, "tcp", 57, 3949},
	})
}

func TestReplayGoResolver(t *testing.T) {
	checkReplay(t, "goresolver.jsonl", []want{
		// LookupHost: A and AAAA in parallel, each on its own socket.
		{"a.vigil.test", "A", "NOERROR", 2, false, "udp", 41, 97},
		{"a.vigil.test", "AAAA", "NOERROR", 1, false, "udp", 41, 81},
		{"txt.vigil.test", "TXT", "NOERROR", 1, false, "udp", 43, 78},
		{"nx.vigil.test", "A", "NXDOMAIN", 0, false, "udp", 42, 113},
		{"nx.vigil.test", "AAAA", "NXDOMAIN", 0, false, "udp", 42, 113},
		{"big.vigil.test", "TXT", "NOERROR", 0, true, "udp", 43, 43},
		// Retried over TCP with the same ID; the resolver reads the
		// length and the message in two syscalls.
		{"big.vigil.test", "TXT", "NOERROR", 64, false, "tcp", 45, 3949},
	})
}

// TestReplayOneSocket merges the Go resolver's UDP sockets into one, in
// time order, as glibc sends A and AAAA on one socket: matching by ID and
// question still pairs every response.
func TestReplayOneSocket(t *testing.T) {
	recs := loadFixture(t, "goresolver.jsonl")
	var got []Exchange
	u := NewUDP(func(x Exchange) { got = append(got, x) })
	// Send every query first, then every response in reverse.
	for _, r := range recs {
		if r.Transport == "udp" && r.Dir == "egress" {
			u.Datagram(r.dir(), r.Data, r.Size, r.Start, r.End)
		}
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if r := recs[i]; r.Transport == "udp" && r.Dir == "ingress" {
			u.Datagram(r.dir(), r.Data, r.Size, r.Start, r.End)
		}
	}
	if len(got) != 6 || u.InFlight() != 0 || len(u.Stats.Errors) != 0 {
		t.Fatalf("got %d exchanges, %d in flight, errors %v", len(got), u.InFlight(), u.Stats.Errors)
	}
	for _, x := range got {
		if x.Incomplete || x.RCode == "" {
			t.Errorf("unexpected %+v", x)
		}
	}
}
