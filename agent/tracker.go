package agent

import (
	crand "crypto/rand"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/internal/reassembly"
	"github.com/vigil-dev/vigil/internal/span"
)

type connKey struct {
	tgid uint32
	fd   int32
}

// conn is one followed connection: both byte streams and the HTTP parser.
type conn struct {
	key      connKey
	id       uint64 // kernel open timestamp: tells reused descriptors apart
	role     uint8
	sockType uint16 // sockStream, sockDgram, or 0 when the open event was not seen
	proc     *Process
	joined   bool // seen first on I/O: began before capture
	asm      [2]*reassembly.Reassembler
	proto    protoParser           // nil until the protocol is recognised
	seen     uint64                // bytes looked at while recognising
	unknown  bool                  // no parser recognised the protocol: ignored
	plain    bool                  // followed in a TLS library's plaintext: ciphertext ignored
	held     [2][]reassembly.Piece // first pieces gathered while recognising
	index    int                   // exchanges emitted so far
	lastSeen uint64                // monotonic ns of the last event
	// lastTID is the thread of each direction's latest bytes: a request's
	// thread, for correlation's thread affinity.
	lastTID [2]uint32
	t       *tracker
	// Per-connection values every span of the connection repeats.
	connID   string
	idHash   uint64 // span.IDOf's hash of connID, which span ids continue
	localEP  span.Endpoint
	remoteEP span.Endpoint
	feed     [2]func(reassembly.Piece)
	red      redCache // the RED series of the connection's last span
}

type trackerOptions struct {
	node      string
	procs     *Processes
	clock     clock
	metrics   *Metrics
	log       *slog.Logger
	batchSize int
	submit    func([]span.Span)
	newBatch  func(n int) []span.Span
	forget    func(tgid uint32)
	protocols []detector // nil: defaultDetectors
	// newProcess, when set, hears of each connection's process (for the
	// TLS library scan); it must not block.
	newProcess func(tgid uint32)
	exec       func(tgid uint32) // hears of exec'd processes; must not block
}

// tracker turns ring-buffer events into spans. It is used by the event loop
// goroutine only.
type tracker struct {
	trackerOptions
	conns map[connKey]*conn
	batch []span.Span
	ids   *rand.ChaCha8 // trace ids: unique, not secret
	tok   tokenizer     // correlation tokens of identifying values
	text  spanText      // the strings of the span being built
	data  dataEvent
	cev   connEvent
}

func newTracker(o trackerOptions) *tracker {
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	if o.protocols == nil {
		o.protocols = defaultDetectors()
	}
	return &tracker{trackerOptions: o, conns: map[connKey]*conn{}, batch: make([]span.Span, 0, o.batchSize), ids: rand.NewChaCha8(seed)}
}

// handle dispatches one raw event. Bad events are counted, never fatal.
func (t *tracker) handle(raw []byte) {
	if len(raw) == 0 {
		t.metrics.Dropped.WithLabelValues("empty_event").Inc()
		return
	}
	switch raw[0] {
	case evData:
		if err := decodeData(raw, &t.data); err != nil {
			t.badEvent("data", err)
			return
		}
		t.metrics.evData.Inc()
		t.onData(&t.data)
	case evOpen, evClose, evExit, evExec:
		if err := decodeConn(raw, &t.cev); err != nil {
			t.badEvent("connection", err)
			return
		}
		switch raw[0] {
		case evOpen:
			t.metrics.Events.WithLabelValues("open").Inc()
			t.onOpen(&t.cev)
		case evClose:
			t.metrics.Events.WithLabelValues("close").Inc()
			t.onClose(connKey{t.cev.TGID, t.cev.FD}, t.cev.TS)
		case evExit:
			t.metrics.Events.WithLabelValues("exit").Inc()
			t.onExit(t.cev.TGID, t.cev.TS)
		default:
			t.metrics.Events.WithLabelValues("exec").Inc()
			t.onExec(t.cev.TGID, t.cev.Comm)
		}
	default:
		t.metrics.Dropped.WithLabelValues("unknown_event_type").Inc()
	}
}

func (t *tracker) badEvent(kind string, err error) {
	t.metrics.Dropped.WithLabelValues("malformed_event").Inc()
	t.log.Debug("malformed event", "kind", kind, "err", err)
}

func (t *tracker) onOpen(ev *connEvent) {
	k := connKey{ev.TGID, ev.FD}
	if old := t.conns[k]; old != nil {
		old.end(ev.TS) // the close event was lost: the descriptor was reused
	}
	c := t.newConn(k, ev.ConnID, ev.TS, ev.Role == roleUnknown)
	c.role, c.sockType = ev.Role, ev.SockType
	c.localEP, c.remoteEP = endpoint(ev.Local), endpoint(ev.Remote)
}

func (t *tracker) newConn(k connKey, id, ts uint64, joined bool) *conn {
	c := &conn{key: k, id: id, lastSeen: ts, t: t, proc: t.procs.Get(k.tgid), joined: joined}
	c.asm[reassembly.Ingress] = reassembly.New(reassembly.Options{})
	c.asm[reassembly.Egress] = reassembly.New(reassembly.Options{})
	c.connID = span.IDOf(t.node, uint64(k.tgid), uint64(uint32(k.fd)), id)
	c.idHash = span.IDSeed(c.connID)
	c.feed[reassembly.Ingress] = func(p reassembly.Piece) { c.piece(reassembly.Ingress, p) }
	c.feed[reassembly.Egress] = func(p reassembly.Piece) { c.piece(reassembly.Egress, p) }
	t.conns[k] = c
	if t.newProcess != nil {
		t.newProcess(k.tgid)
	}
	t.metrics.Conns.Set(float64(len(t.conns)))
	return c
}

func (t *tracker) onData(ev *dataEvent) {
	k := connKey{ev.TGID, ev.FD}
	c := t.conns[k]
	if c == nil || c.id != ev.ConnID {
		if c != nil {
			c.end(ev.Start)
		}
		// The open event was lost (full ring): follow without the 4-tuple.
		c = t.newConn(k, ev.ConnID, ev.Start, true)
	}
	c.lastSeen = ev.End
	t.metrics.Captured.Add(float64(len(ev.Data)))
	switch {
	case ev.Flags&flagTLS != 0:
		if !c.plain {
			c.followPlaintext()
		}
	case c.plain:
		t.metrics.Bytes.Add(float64(ev.Len))
		return // ciphertext sent before the kernel knew the connection as TLS
	default:
		t.metrics.Bytes.Add(float64(ev.Len))
	}
	if c.unknown || (c.proto != nil && c.proto.Stopped()) {
		return
	}
	dir := reassembly.Direction(ev.Dir)
	c.lastTID[dir] = ev.TID
	c.asm[dir].Push(reassembly.Segment{Off: ev.Off, Data: ev.Data, Len: int(ev.Len), Start: ev.Start, End: ev.End}, c.feed[dir])
}

// tlsResumer is a parser that negotiates TLS inside its own protocol and
// goes on in the plaintext (MySQL's SSL request comes after the server's
// greeting, in the clear): it stops when TLS is asked for, and resumes
// when the connection's plaintext comes.
type tlsResumer interface {
	AwaitsTLS() bool
	ResumeTLS()
}

// followPlaintext switches the connection to a TLS library's plaintext,
// with the plaintext's own offsets: a parser that asked for TLS goes on;
// otherwise what the ciphertext showed (the handshake, at most a TLS
// record parser) is dropped and protocols are recognised afresh.
func (c *conn) followPlaintext() {
	c.plain = true
	c.asm[reassembly.Ingress] = reassembly.New(reassembly.Options{})
	c.asm[reassembly.Egress] = reassembly.New(reassembly.Options{})
	c.seen, c.held = 0, [2][]reassembly.Piece{}
	c.t.metrics.TLSConns.WithLabelValues("plaintext").Inc()
	if r, ok := c.proto.(tlsResumer); ok && r.AwaitsTLS() {
		r.ResumeTLS()
		return
	}
	c.proto, c.unknown = nil, false
}

// piece takes the next in-order piece of one direction.
func (c *conn) piece(dir reassembly.Direction, p reassembly.Piece) {
	switch {
	case c.unknown:
	case c.proto == nil:
		c.detect(dir, p)
	case !c.proto.Stopped():
		c.proto.Feed(dir, p)
		c.rejectedFirst()
	}
}

// rejectedFirst counts a connection whose parser stopped before its first
// exchange as of no known protocol: its first bytes looked like the
// protocol, the rest was not. TLS ciphertext stops its record parser at
// once by design, and a parser stops when its protocol asks for TLS (the
// plaintext, if any, comes from the library probes).
func (c *conn) rejectedFirst() {
	if r, ok := c.proto.(tlsResumer); ok && r.AwaitsTLS() {
		return
	}
	if _, tls := c.proto.(tlsRecords); !tls && c.proto.Stopped() && c.index == 0 {
		c.markUnknown()
	}
}

// portLabel names a connection by its server port for the unknown-protocol
// counter.
func portLabel(c *conn) string {
	if c.role == roleClient {
		return strconv.Itoa(c.remoteEP.Port)
	}
	return strconv.Itoa(c.localEP.Port)
}

func (t *tracker) onClose(k connKey, ts uint64) {
	if c := t.conns[k]; c != nil {
		c.end(ts)
	}
}

// onExec: the process runs another program, whose facts are read now,
// while it most likely still runs (a short-lived client may be gone by the
// time its connection's events are handled).
func (t *tracker) onExec(tgid uint32, comm string) {
	t.procs.Exec(tgid, comm)
	if t.exec != nil {
		t.exec(tgid)
	}
}

func (t *tracker) onExit(tgid uint32, ts uint64) {
	for k, c := range t.conns {
		if k.tgid == tgid {
			c.end(ts)
		}
	}
	t.procs.Forget(tgid)
	t.forget(tgid)
}

// end flushes the connection's streams and parser and forgets it.
func (c *conn) end(ts uint64) {
	for d := range c.asm {
		c.asm[d].Flush(c.feed[d])
	}
	if c.proto == nil && c.seen > 0 {
		c.markUnknown() // closed before any parser recognised it
	}
	if _, ok := c.proto.(tlsRecords); ok && !c.plain {
		c.t.metrics.TLSConns.WithLabelValues("encrypted_only").Inc()
	}
	if c.proto != nil {
		c.proto.Close(ts)
		for reason, n := range c.proto.Errors() {
			c.t.metrics.ParseErrors.WithLabelValues(c.proto.Name(), reason).Add(float64(n))
		}
	}
	delete(c.t.conns, c.key)
	c.t.metrics.Conns.Set(float64(len(c.t.conns)))
}

// sweep ends connections silent since before the given time.
func (t *tracker) sweep(before time.Time) {
	limit := before.UnixNano() - t.clock.offset
	for _, c := range t.conns {
		if int64(c.lastSeen) < limit {
			c.end(c.lastSeen)
		}
	}
}

// closeAll ends every connection (agent shutdown).
func (t *tracker) closeAll() {
	for _, c := range t.conns {
		c.end(c.lastSeen)
	}
}

// newSpan is the batch's next span, zero, for a builder to fill in and
// emitSpan to finish: built in place, the span is never copied.
func (t *tracker) newSpan() *span.Span {
	t.batch = append(t.batch, span.Span{})
	return &t.batch[len(t.batch)-1]
}

// emitSpan finishes the span newSpan gave out.
func (c *conn) emitSpan(s *span.Span) {
	c.t.text.done()
	c.index++
	c.t.metrics.observeSpan(s, &c.red)
	if len(c.t.batch) >= c.t.batchSize {
		c.t.flush()
	}
}

// flush hands the current batch to the exporter.
func (t *tracker) flush() {
	if len(t.batch) == 0 {
		return
	}
	t.submit(t.batch)
	t.batch = t.newBatch(t.batchSize)
}
