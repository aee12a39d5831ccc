package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/vigil-dev/vigil/internal/protocol/datagram"
	"github.com/vigil-dev/vigil/internal/span"
)

// DefaultDatagramAddr is where in-process agents send by default; loopback
// only unless configured otherwise.
const DefaultDatagramAddr = "127.0.0.1:51712"

// DatagramOptions configure the datagram listener; zero values mean the
// defaults.
type DatagramOptions struct {
	Addr          string        // default DefaultDatagramAddr
	Service       string        // service.name of the spans; default "datagram:<sender address>"
	Node          string        // service.node.name: the receiving host
	Routes        []Route       // name the API and operation of matching calls
	ReadBuffer    int           // SO_RCVBUF in bytes; default 8 MiB
	BatchSize     int           // spans per write; default 1000
	BatchInterval time.Duration // longest a span waits for its batch; default 200 ms
	Queue         int           // batches waiting for the sink; default 64
	// Filter redacts a span before it goes anywhere (sink, spool, logs).
	Filter func(*span.Span)
	// RedactText cleans rejected datagrams' error messages before they are
	// logged: they quote the datagram, which may carry a secret.
	RedactText func(string) string
	Now        func() time.Time
}

func (o *DatagramOptions) defaults() {
	if o.Addr == "" {
		o.Addr = DefaultDatagramAddr
	}
	if o.ReadBuffer <= 0 {
		o.ReadBuffer = 8 << 20
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.BatchInterval <= 0 {
		o.BatchInterval = 200 * time.Millisecond
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RedactText == nil {
		o.RedactText = func(string) string { return "(message withheld: no redaction configured)" }
	}
}

// DatagramListener receives datagrams on one UDP socket.
type DatagramListener struct {
	*handler
	conn   *net.UDPConn
	pc     *ipv4.PacketConn // recvmmsg: a batch of datagrams per system call
	writer *writer
}

// handler turns datagrams into spans; it knows nothing of sockets.
type handler struct {
	opts    DatagramOptions
	senders senders
	hosts   hostCache
	router  *router
	stats   *datagramStats
	log     *slog.Logger
	logs    *rateLimitedLog
}

func newHandler(opts DatagramOptions, log *slog.Logger) (*handler, error) {
	opts.defaults()
	rt, err := newRouter(opts.Routes)
	if err != nil {
		return nil, fmt.Errorf("datagram routes: %w", err)
	}
	return &handler{opts: opts, router: rt, stats: newDatagramStats(), log: log, logs: newRateLimitedLog(10 * time.Second),
		senders: senders{node: opts.Node, service: opts.Service}}, nil
}

// ListenDatagrams binds the socket; Run reads from it.
func ListenDatagrams(opts DatagramOptions, sink Sink, log *slog.Logger) (*DatagramListener, error) {
	h, err := newHandler(opts, log)
	if err != nil {
		return nil, err
	}
	opts = h.opts
	addr, err := net.ResolveUDPAddr("udp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("datagram listener address %q: %w", opts.Addr, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for datagrams on %s: %w", opts.Addr, err)
	}
	if err := tuneSocket(conn, opts.ReadBuffer); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("configuring the datagram socket on %s: %w", opts.Addr, err)
	}
	l := &DatagramListener{handler: h, conn: conn, pc: ipv4.NewPacketConn(conn)}
	l.writer = newWriter(sink, opts.Queue, l.stats.dropped, log)
	return l, nil
}

// tuneSocket sizes the receive buffer and asks the kernel to report, with
// each datagram, how many it dropped because the buffer was full.
func tuneSocket(conn *net.UDPConn, readBuffer int) error {
	if err := conn.SetReadBuffer(readBuffer); err != nil {
		return err
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
	}); err != nil {
		return err
	}
	return serr
}

// Addr is the bound address (useful with port 0).
func (l *DatagramListener) Addr() netip.AddrPort {
	return l.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Stats returns the counters so far.
func (l *DatagramListener) Stats() DatagramStats { return l.stats.snapshot() }

// batchMessages is how many datagrams one recvmmsg may return.
const batchMessages = 64

// Run reads datagrams until ctx ends, then writes what it holds, closes
// the socket and returns.
func (l *DatagramListener) Run(ctx context.Context) error {
	l.writer.start(context.WithoutCancel(ctx)) // the last batches still get written
	defer l.writer.stop()
	defer func() { _ = l.conn.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = l.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	msgs := make([]ipv4.Message, batchMessages)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, datagram.MaxSize+1)} // +1: an oversized one is seen as such
		msgs[i].OOB = make([]byte, unix.CmsgSpace(4))
	}
	batch := l.writer.batch(l.opts.BatchSize)
	flushAt := l.opts.Now().Add(l.opts.BatchInterval)
	var seq uint64
	for {
		if err := l.conn.SetReadDeadline(flushAt); err != nil && ctx.Err() == nil {
			return fmt.Errorf("setting the datagram read deadline: %w", err)
		}
		n, err := l.pc.ReadBatch(msgs, 0)
		now := l.opts.Now()
		for i := range n {
			seq++
			m := &msgs[i]
			l.stats.socketDrops(m.OOB[:m.NN])
			l.handle(m.Buffers[0][:m.N], m.Addr.(*net.UDPAddr).AddrPort(), now, seq, &batch)
			if len(batch) >= l.opts.BatchSize {
				l.writer.submit(batch)
				batch = l.writer.batch(l.opts.BatchSize)
			}
		}
		if now.After(flushAt) || ctx.Err() != nil {
			l.writer.submit(batch)
			batch = l.writer.batch(l.opts.BatchSize)
			flushAt = now.Add(l.opts.BatchInterval)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			l.log.ErrorContext(ctx, "reading datagrams failed; retrying", "error", err)
			time.Sleep(10 * time.Millisecond) // a persistent error must not spin
		}
	}
}

// handle parses one datagram into the batch, or counts and logs why not.
func (l *handler) handle(payload []byte, from netip.AddrPort, now time.Time, seq uint64, batch *[]span.Span) {
	l.stats.received.Add(1)
	d, err := datagram.Parse(payload)
	if err != nil {
		var perr *datagram.Error
		reason := datagram.Reason("unknown")
		if errors.As(err, &perr) {
			reason = perr.Reason
		}
		l.stats.reject(reason)
		if suppressed, ok := l.logs.allow(string(reason), now); ok {
			l.log.Warn("datagram rejected", "reason", reason, "from", from.Addr().String(),
				"error", l.opts.RedactText(err.Error()), "suppressed_since_last", suppressed)
		}
		return
	}
	// Built in place in the batch: a span passed to Filter by address
	// would otherwise escape to the heap, an allocation per datagram.
	hi := l.hosts.get(d.Method, d.Host, l.router)
	*batch = append(*batch, datagramSpan(&d, l.senders.get(from.Addr()), now, seq, &l.opts, hi))
	if l.opts.Filter != nil {
		l.opts.Filter(&(*batch)[len(*batch)-1])
	}
	l.stats.accepted.Add(1)
}

// counter is an atomic counter, for stats read while the listener runs.
type counter = atomic.Uint64
