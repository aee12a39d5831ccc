package ingest

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-dev/vigil/internal/protocol/datagram"
)

// DatagramStats counts what the datagram listener saw.
type DatagramStats struct {
	Received    uint64                     // datagrams read from the socket
	Accepted    uint64                     // turned into spans
	Rejected    map[datagram.Reason]uint64 // by reason
	SocketDrops uint64                     // dropped by the kernel: the socket buffer was full
	SpanDrops   map[string]uint64          // accepted, then lost: "queue_full", "sink_error"
}

type datagramStats struct {
	received, accepted counter
	kernelDrops        atomic.Uint32 // the kernel's running count, from SO_RXQ_OVFL
	mu                 sync.Mutex
	rejected           map[datagram.Reason]uint64
	spanDrops          map[string]uint64
}

func newDatagramStats() *datagramStats {
	return &datagramStats{rejected: map[datagram.Reason]uint64{}, spanDrops: map[string]uint64{}}
}

func (s *datagramStats) reject(r datagram.Reason) {
	s.mu.Lock()
	s.rejected[r]++
	s.mu.Unlock()
}

func (s *datagramStats) dropped(reason string, n int) {
	s.mu.Lock()
	s.spanDrops[reason] += uint64(n)
	s.mu.Unlock()
}

// socketDrops reads the SO_RXQ_OVFL control message: the number of
// datagrams the socket dropped since it was opened.
func (s *datagramStats) socketDrops(oob []byte) {
	if len(oob) == 0 {
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_RXQ_OVFL && len(m.Data) >= 4 {
			s.kernelDrops.Store(binary.NativeEndian.Uint32(m.Data))
		}
	}
}

func (s *datagramStats) snapshot() DatagramStats {
	out := DatagramStats{
		Received: s.received.Load(), Accepted: s.accepted.Load(), SocketDrops: uint64(s.kernelDrops.Load()),
		Rejected: map[datagram.Reason]uint64{}, SpanDrops: map[string]uint64{},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.rejected {
		out.Rejected[k] = v
	}
	for k, v := range s.spanDrops {
		out.SpanDrops[k] = v
	}
	return out
}

// rateLimitedLog lets one line per key through per interval, and says how
// many it held back: a flood of bad datagrams must not flood the log.
type rateLimitedLog struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
	held  map[string]uint64
}

func newRateLimitedLog(every time.Duration) *rateLimitedLog {
	return &rateLimitedLog{every: every, last: map[string]time.Time{}, held: map[string]uint64{}}
}

func (r *rateLimitedLog) allow(key string, now time.Time) (suppressed uint64, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, seen := r.last[key]; seen && now.Sub(last) < r.every {
		r.held[key]++
		return 0, false
	}
	suppressed = r.held[key]
	r.last[key], r.held[key] = now, 0
	return suppressed, true
}
