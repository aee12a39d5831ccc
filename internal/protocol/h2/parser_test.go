package h2

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

const (
	in  = reassembly.Ingress // the server's frames (the traced client reads)
	out = reassembly.Egress  // the client's frames
)

// wire is one syscall of a scripted connection.
type wire struct {
	dir     reassembly.Direction
	data    []byte
	skipped int
	lost    uint64
}

// kit builds frames with one HPACK encoder per direction, as real peers.
type kit struct {
	enc [2]*hpack.Encoder
	buf [2]*bytes.Buffer
}

func newKit() *kit {
	k := &kit{}
	for d := range 2 {
		k.buf[d] = new(bytes.Buffer)
		k.enc[d] = hpack.NewEncoder(k.buf[d])
	}
	return k
}

func (k *kit) block(dir reassembly.Direction, kv ...string) []byte {
	k.buf[dir].Reset()
	for i := 0; i < len(kv); i += 2 {
		_ = k.enc[dir].WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return slices.Clone(k.buf[dir].Bytes())
}

func frames(fn func(fr *http2.Framer)) []byte {
	var b bytes.Buffer
	fr := http2.NewFramer(&b, nil)
	fr.AllowIllegalWrites = true
	fn(fr)
	return b.Bytes()
}

var reqKV = []string{":method", "POST", ":scheme", "http", ":path", "/pkg.Svc/Call", ":authority", "a:1", "content-type", "application/grpc", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}

func (k *kit) req(id uint32, end bool) []byte {
	b := k.block(out, reqKV...)
	return frames(func(fr *http2.Framer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b, EndHeaders: true, EndStream: end})
	})
}

func (k *kit) data(dir reassembly.Direction, id uint32, n int, end bool) []byte {
	return frames(func(fr *http2.Framer) { _ = fr.WriteData(id, end, make([]byte, n)) })
}

func (k *kit) head(id uint32, end bool, kv ...string) []byte {
	b := k.block(in, append([]string{":status", "200", "content-type", "application/grpc"}, kv...)...)
	return frames(func(fr *http2.Framer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b, EndHeaders: true, EndStream: end})
	})
}

func (k *kit) trailers(id uint32, code string) []byte {
	b := k.block(in, "grpc-status", code, "grpc-message", "x%20y")
	return frames(func(fr *http2.Framer) {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b, EndHeaders: true, EndStream: true})
	})
}

func cat(b ...[]byte) []byte { return bytes.Join(b, nil) }

// call is a complete unary call on stream id.
func (k *kit) call(id uint32) []wire {
	return []wire{{dir: out, data: cat(k.req(id, false), k.data(out, id, 7, true))},
		{dir: in, data: cat(k.head(id, false), k.data(in, id, 9, false), k.trailers(id, "0"))}}
}

var preface = wire{dir: out, data: cat([]byte(Preface), frames(func(fr *http2.Framer) { _ = fr.WriteSettings() }))}

func run(t testing.TB, joined bool, steps []wire) ([]Exchange, *Parser) {
	var got []Exchange
	p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
	for i, s := range steps {
		ts := uint64(i+1) * 1000
		p.Feed(s.dir, reassembly.Piece{Lost: s.lost, Data: s.data, Skipped: s.skipped, Start: ts, End: ts + 10})
	}
	p.Close(uint64(len(steps)+1) * 1000)
	return got, p
}

const okCall = " POST /pkg.Svc/Call 200 grpc=pkg.Svc/Call status=0 msg=\"x y\" tp=00-4bf92f357"

func TestParser(t *testing.T) {
	cases := []struct {
		name   string
		joined bool
		steps  func(k *kit) []wire
		want   []string
	}{
		{name: "unary calls", steps: func(k *kit) []wire {
			return slices.Concat([]wire{preface}, k.call(1), k.call(3))
		}, want: []string{"1" + okCall, "3" + okCall}},
		{name: "server settings first", steps: func(k *kit) []wire {
			return slices.Concat([]wire{{dir: in, data: frames(func(fr *http2.Framer) {
				_ = fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100})
			})}, preface}, k.call(1))
		}, want: []string{"1" + okCall}},
		{name: "every frame split in bytes", steps: func(k *kit) []wire {
			var w []wire
			for _, s := range slices.Concat([]wire{preface}, k.call(1), k.call(3)) {
				for _, b := range s.data {
					w = append(w, wire{dir: s.dir, data: []byte{b}})
				}
			}
			return w
		}, want: []string{"1" + okCall, "3" + okCall}},
		{name: "continuation, padding, priority", steps: func(k *kit) []wire {
			b := k.block(out, reqKV...)
			h := frames(func(fr *http2.Framer) {
				_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:5], PadLength: 7,
					Priority: http2.PriorityParam{StreamDep: 0, Weight: 15, Exclusive: true}})
				_ = fr.WriteContinuation(1, false, b[5:9])
				_ = fr.WriteContinuation(1, true, b[9:])
				_ = fr.WriteDataPadded(1, true, make([]byte, 10), make([]byte, 20))
			})
			return slices.Concat([]wire{preface, {dir: out, data: h}}, k.call(1)[1:])
		}, want: []string{"1" + okCall}},
		{name: "trailers-only error", steps: func(k *kit) []wire {
			return []wire{preface, {dir: out, data: cat(k.req(1, false), k.data(out, 1, 5, true))},
				{dir: in, data: k.head(1, true, "grpc-status", "5", "grpc-message", "not%20found")}}
		}, want: []string{`1 POST /pkg.Svc/Call 200 grpc=pkg.Svc/Call status=5 msg="not found" tp=00-4bf92f357`}},
		{name: "reset before the response", steps: func(k *kit) []wire {
			return slices.Concat([]wire{preface, {dir: out, data: k.req(1, true)},
				{dir: out, data: frames(func(fr *http2.Framer) { _ = fr.WriteRSTStream(1, http2.ErrCodeCancel) })}}, k.call(3))
		}, want: []string{"1 POST /pkg.Svc/Call 0 grpc=pkg.Svc/Call status=-1 tp=00-4bf92f357 incomplete: stream reset", "3" + okCall}},
		{name: "reset after a complete response", steps: func(k *kit) []wire {
			r := k.req(1, false) // the client never half-closes
			resp := cat(k.head(1, false), k.data(in, 1, 9, false), k.trailers(1, "0"))
			return []wire{preface, {dir: out, data: r}, {dir: in, data: resp},
				{dir: in, data: frames(func(fr *http2.Framer) { _ = fr.WriteRSTStream(1, http2.ErrCodeNo) })}}
		}, want: []string{"1" + okCall}},
		{name: "goaway", steps: func(k *kit) []wire {
			return slices.Concat([]wire{preface, {dir: out, data: cat(k.req(1, true), k.req(3, true), k.req(5, true))},
				{dir: in, data: frames(func(fr *http2.Framer) { _ = fr.WriteGoAway(1, http2.ErrCodeNo, []byte("bye")) })}},
				k.call(1)[1:])
		}, want: []string{
			"3 POST /pkg.Svc/Call 0 grpc=pkg.Svc/Call status=-1 tp=00-4bf92f357 incomplete: GOAWAY: stream not processed",
			"5 POST /pkg.Svc/Call 0 grpc=pkg.Svc/Call status=-1 tp=00-4bf92f357 incomplete: GOAWAY: stream not processed",
			"1" + okCall}},
		{name: "connection closed mid-response", steps: func(k *kit) []wire {
			return []wire{preface, {dir: out, data: k.req(1, true)}, {dir: in, data: k.head(1, false)}}
		}, want: []string{"1 POST /pkg.Svc/Call 200 grpc=pkg.Svc/Call status=-1 tp=00-4bf92f357 incomplete: connection closed"}},
		{name: "DATA not captured and lost", steps: func(k *kit) []wire {
			d := k.data(in, 1, 5000, false)
			return []wire{preface, {dir: out, data: k.req(1, true)}, {dir: in, data: k.head(1, false)},
				{dir: in, data: d[:100], skipped: 2000}, {dir: in, data: d[2100:3000], lost: 1000}, {dir: in, data: d[4000:]},
				{dir: in, data: k.trailers(1, "0")}}
		}, want: []string{"1" + okCall}},
		{name: "request HEADERS not captured", steps: func(k *kit) []wire {
			// Frames are encoded in the order they are fed: the encoders' tables.
			c1 := k.call(1)
			c3 := k.call(3)
			r := c3[0].data
			return slices.Concat([]wire{preface}, c1, []wire{{dir: out, data: r[:12], skipped: len(r) - 12}}, c3[1:], k.call(5))
		}, want: []string{"1" + okCall, "3" + lost, "5" + lost}},
		{name: "response HEADERS lost in a gap", steps: func(k *kit) []wire {
			h := k.head(1, false)
			return slices.Concat([]wire{preface, {dir: out, data: k.req(1, true)}, {dir: in, data: h[:10]},
				{dir: in, data: h[15:], lost: 5}, {dir: in, data: k.trailers(1, "0")}}, k.call(3))
		}, want: []string{"1" + lost, "3" + lost}},
		{name: "header block interrupted", steps: func(k *kit) []wire {
			b := k.block(out, reqKV...)
			h := frames(func(fr *http2.Framer) {
				_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:5]})
				_ = fr.WriteData(1, true, []byte("x"))
			})
			return slices.Concat([]wire{preface, {dir: out, data: h}}, k.call(1)[1:], k.call(3))
		}, want: []string{"1" + lost, "3" + lost}},
		{name: "framing lost then resynced", steps: func(k *kit) []wire {
			c1 := k.call(1)
			c := k.call(3)
			return slices.Concat([]wire{preface}, c1, []wire{{dir: out, data: c[0].data[:4], skipped: 30}, {dir: out, data: k.data(out, 3, 3, true)}},
				c[1:], k.call(5))
		}, want: []string{"1" + okCall, "3" + lost, "5" + lost}},
		{name: "push promise keeps the table in step", steps: func(k *kit) []wire {
			pb := k.block(in, ":method", "GET", ":scheme", "http", ":path", "/pushed.css", ":authority", "a:1")
			push := frames(func(fr *http2.Framer) {
				_ = fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: pb, EndHeaders: true, PadLength: 3})
			})
			ph := k.block(in, ":status", "200")
			pushed := frames(func(fr *http2.Framer) {
				_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 2, BlockFragment: ph, EndHeaders: true})
				_ = fr.WriteData(2, true, make([]byte, 4))
			})
			c := k.call(1)
			return slices.Concat([]wire{preface, c[0], {dir: in, data: push}, {dir: in, data: pushed}, c[1]}, k.call(3))
		}, want: []string{"2 GET /pushed.css 200", "1" + okCall, "3" + okCall}},
		{name: "larger table announced", steps: func(k *kit) []wire {
			set := frames(func(fr *http2.Framer) {
				_ = fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 8192})
			})
			k.enc[out].SetMaxDynamicTableSizeLimit(8192)
			k.enc[out].SetMaxDynamicTableSize(8192)
			return slices.Concat([]wire{{dir: in, data: set}, preface}, k.call(1), k.call(3))
		}, want: []string{"1" + okCall, "3" + okCall}},
		{name: "table size above the announced one", steps: func(k *kit) []wire {
			k.enc[out].SetMaxDynamicTableSizeLimit(8192)
			k.enc[out].SetMaxDynamicTableSize(8192)
			return slices.Concat([]wire{preface}, k.call(1))
		}, want: []string{"1" + lost}},
		{name: "joined mid-frame", joined: true, steps: func(k *kit) []wire {
			c1, c3 := k.call(1), k.call(3)
			return []wire{{dir: out, data: c1[0].data[3:]}, {dir: in, data: c1[1].data[5:]}, c3[0], c3[1]}
		}, want: []string{"3" + strings.TrimSuffix(lost, "HPACK state lost") + ReasonJoined}},
		{name: "joined but the preface is there", joined: true, steps: func(k *kit) []wire {
			return slices.Concat([]wire{preface}, k.call(1))
		}, want: []string{"1" + okCall}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, p := run(t, c.joined, c.steps(newKit()))
			var sums []string
			for _, x := range got {
				sums = append(sums, summary(x))
			}
			if !slices.Equal(sums, c.want) {
				t.Fatalf("got\n%s\nwant\n%s\nstats %v", strings.Join(sums, "\n"), strings.Join(c.want, "\n"), p.Stats.Errors)
			}
		})
	}
}

func TestSizesAndTimes(t *testing.T) {
	k := newKit()
	got, _ := run(t, false, slices.Concat([]wire{preface}, k.call(1)))
	x := got[0]
	if x.RequestBytes != 7 || x.ResponseBytes != 9 || x.RequestStart != 2000 || x.RequestEnd != 2010 || x.ResponseStart != 3000 || x.ResponseEnd != 3010 {
		t.Fatalf("%+v", x)
	}
	if x.Authority != "a:1" || x.Scheme != "http" || x.RequestDir != out {
		t.Fatalf("%+v", x)
	}
}

func TestNotH2(t *testing.T) {
	for _, c := range []struct {
		joined bool
		data   string
	}{{false, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"}, {false, "PRI * HTTP/1.1\r\n"}, {true, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"}} {
		p := NewParser(func(Exchange) { t.Fatal("exchange") }, c.joined)
		for range 3000 {
			p.Feed(out, reassembly.Piece{Data: []byte(c.data)})
		}
		if p.State() != NotH2 {
			t.Fatalf("%q joined=%v: %v", c.data, c.joined, p.State())
		}
	}
	p := NewParser(nil, false)
	p.Feed(out, reassembly.Piece{Data: []byte("PRI * HTTP/2")})
	if p.State() != Detecting {
		t.Fatalf("split preface: %v", p.State())
	}
}

func TestDetect(t *testing.T) {
	settings := frames(func(fr *http2.Framer) {
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 20})
	})
	for _, c := range []struct {
		data               string
		isClient, ok, sure bool
	}{
		{Preface + "\x00\x00", true, true, true},
		{"PRI * HTTP/2.0", true, true, false},
		{"PRI * HTTP/1.1\r\n", false, false, true},
		{string(settings), false, true, true},
		{string(settings[:4]), false, true, false},
		{"\x00\x00\x06\x01\x04\x00\x00\x00\x01", false, false, true}, // HEADERS
		{"\x00\x00\x05\x04\x00\x00\x00\x00\x00", false, false, true}, // not a multiple of 6
		{"GET / HTTP/1.1", false, false, true},
		{"", false, true, false},
	} {
		isClient, ok, sure := Detect([]byte(c.data))
		if isClient != c.isClient || ok != c.ok || sure != c.sure {
			t.Errorf("Detect(%q) = %v %v %v", c.data, isClient, ok, sure)
		}
	}
}
