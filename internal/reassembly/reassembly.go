// Package reassembly puts the syscall records of one direction of a
// connection back in stream order. The kernel numbers every record with
// the stream offset of its first byte, so lost records show up as gaps of a
// known size and late or duplicated ones are placed or dropped exactly.
package reassembly

// Direction is as seen by the traced process.
type Direction uint8

// Directions.
const (
	Ingress Direction = 0 // bytes the process read
	Egress  Direction = 1 // bytes the process wrote
)

func (d Direction) String() string {
	if d == Ingress {
		return "ingress"
	}
	return "egress"
}

// Segment is one syscall's record.
type Segment struct {
	Off        uint64 // stream offset of the first byte
	Data       []byte // the captured head of the buffer
	Len        int    // bytes the syscall moved; Len-len(Data) were not captured
	Start, End uint64 // syscall entry and exit, monotonic ns
}

// Piece is what comes out, in order: optionally Lost bytes that no record
// carried, then the captured Data, then Skipped bytes that were moved but
// not captured. Data is only valid during the callback.
type Piece struct {
	Lost       uint64
	Data       []byte
	Skipped    int
	Start, End uint64
}

// Stats count what the reassembler had to repair.
type Stats struct {
	LostBytes  uint64
	Duplicates uint64
	Reordered  uint64
}

// Options bound what is held while waiting for a missing record.
type Options struct {
	MaxPending int // records held out of order; 0 means 32
}

// Reassembler orders one direction's records.
type Reassembler struct {
	next    uint64
	pending []Segment // out of order, sorted by Off, data copied
	max     int
	Stats   Stats
}

// New returns a reassembler expecting offset 0 first.
func New(o Options) *Reassembler {
	if o.MaxPending <= 0 {
		o.MaxPending = 32
	}
	return &Reassembler{max: o.MaxPending}
}

// Push takes a record and calls emit for every piece now in order.
func (r *Reassembler) Push(s Segment, emit func(Piece)) {
	if s.Len < len(s.Data) {
		s.Len = len(s.Data) // never trust a record claiming less than it carries
	}
	switch {
	case s.Off == r.next:
		r.emit(s, 0, emit)
		r.drain(emit)
	case s.Off < r.next:
		r.overlap(s, emit)
	default:
		r.Stats.Reordered++
		r.hold(s)
		if len(r.pending) > r.max {
			r.release(emit)
		}
	}
}

// Flush gives up waiting: held records come out with their gaps as lost.
func (r *Reassembler) Flush(emit func(Piece)) {
	for len(r.pending) > 0 {
		r.release(emit)
	}
}

func (r *Reassembler) emit(s Segment, lost uint64, emit func(Piece)) {
	r.next = s.Off + uint64(s.Len)
	r.Stats.LostBytes += lost
	emit(Piece{Lost: lost, Data: s.Data, Skipped: s.Len - len(s.Data), Start: s.Start, End: s.End})
}

// overlap trims what was already emitted from a late or duplicated record.
func (r *Reassembler) overlap(s Segment, emit func(Piece)) {
	end := s.Off + uint64(s.Len)
	if end <= r.next {
		r.Stats.Duplicates++
		return
	}
	cut := r.next - s.Off
	if cut < uint64(len(s.Data)) {
		s.Data = s.Data[cut:]
	} else {
		s.Data = nil
	}
	s.Len = int(end - r.next)
	s.Off = r.next
	r.emit(s, 0, emit)
	r.drain(emit)
}

func (r *Reassembler) hold(s Segment) {
	s.Data = append([]byte(nil), s.Data...)
	i := len(r.pending)
	for i > 0 && r.pending[i-1].Off > s.Off {
		i--
	}
	r.pending = append(r.pending, Segment{})
	copy(r.pending[i+1:], r.pending[i:])
	r.pending[i] = s
}

// drain emits held records that are now next (or overlap what was emitted).
func (r *Reassembler) drain(emit func(Piece)) {
	for len(r.pending) > 0 && r.pending[0].Off <= r.next {
		s := r.pending[0]
		r.pending = r.pending[1:]
		r.overlap(s, emit)
	}
}

// release emits the earliest held record after a lost gap.
func (r *Reassembler) release(emit func(Piece)) {
	s := r.pending[0]
	r.pending = r.pending[1:]
	if s.Off < r.next {
		r.overlap(s, emit)
		return
	}
	r.emit(s, s.Off-r.next, emit)
	r.drain(emit)
}
