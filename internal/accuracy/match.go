package accuracy

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/internal/span"
)

// maxDelta bounds how far apart the truth and the capture may place the
// start of the same exchange: the application's clock reading and the
// syscall's return differ by scheduling, rarely by more than a few ms.
const maxDelta = 200 * time.Millisecond

type connKey struct {
	pid         int
	kind, proto string
	local, peer string
}

// match pairs each captured span with the truth span of the same process,
// kind, protocol and connection (both addresses) whose start is nearest,
// one to one, nearest pairs first. It returns truth index -> span index.
func match(truth []TruthSpan, spans []span.Span) map[int]int {
	type entry struct {
		i     int
		start int64
	}
	byKey := map[connKey][]entry{}
	for i := range truth {
		t := &truth[i]
		k := connKey{t.PID, t.Kind, t.Protocol, normAddr(t.LocalAddr), normAddr(t.PeerAddr)}
		byKey[k] = append(byKey[k], entry{i, t.StartUnixNano})
	}
	for _, es := range byKey {
		sort.Slice(es, func(a, b int) bool { return es[a].start < es[b].start })
	}
	type pair struct {
		t, s  int
		delta int64
	}
	var pairs []pair
	for si := range spans {
		k, ok := keyOf(&spans[si])
		if !ok {
			continue
		}
		es := byKey[k]
		start := spans[si].Timestamp.UnixNano()
		from := sort.Search(len(es), func(i int) bool { return es[i].start >= start-int64(maxDelta) })
		for _, e := range es[from:] {
			if e.start > start+int64(maxDelta) {
				break
			}
			d := e.start - start
			if d < 0 {
				d = -d
			}
			pairs = append(pairs, pair{e.i, si, d})
		}
	}
	sort.Slice(pairs, func(a, b int) bool {
		if pairs[a].delta != pairs[b].delta {
			return pairs[a].delta < pairs[b].delta
		}
		return pairs[a].t < pairs[b].t
	})
	out := map[int]int{}
	used := map[int]bool{}
	for _, p := range pairs {
		if _, done := out[p.t]; done || used[p.s] {
			continue
		}
		out[p.t] = p.s
		used[p.s] = true
	}
	return out
}

// keyOf is a captured span's connection as the truth names it: addresses
// seen from the span's own process.
func keyOf(s *span.Span) (connKey, bool) {
	local, peer := s.Source, s.Destination
	if s.Span.Kind == span.KindServer {
		local, peer = peer, local
	}
	if local.IP == "" || peer.IP == "" {
		return connKey{}, false
	}
	proto := s.Span.Subtype
	if proto == "http2" {
		proto = "http"
	}
	return connKey{s.Process.PID, s.Span.Kind, proto, normAddr(hostPort(local)), normAddr(hostPort(peer))}, true
}

func hostPort(e span.Endpoint) string {
	return e.IP + ":" + strconv.Itoa(e.Port)
}

// normAddr writes ip:port one way (IPv4-mapped IPv6 as IPv4).
func normAddr(a string) string {
	ap, err := netip.ParseAddrPort(a)
	if err != nil {
		// An IPv6 address without brackets, as Endpoint.IP + port gives.
		if i := strings.LastIndexByte(a, ':'); i > 0 {
			if ip, err := netip.ParseAddr(a[:i]); err == nil {
				if p, err := strconv.Atoi(a[i+1:]); err == nil {
					ap = netip.AddrPortFrom(ip, uint16(p))
				}
			}
		}
		if !ap.IsValid() {
			return a
		}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
}
