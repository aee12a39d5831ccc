package redis

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/internal/reassembly"
)

// wire is a scripted connection: each step is one syscall in a direction,
// with its captured head and the count of bytes not captured.
type wire struct {
	dir     reassembly.Direction
	data    string
	skipped int
	lost    uint64
}

const (
	in  = reassembly.Ingress
	out = reassembly.Egress
)

func feed(joined bool, steps []wire) ([]Exchange, *Parser) {
	var got []Exchange
	p := NewParser(func(x Exchange) { got = append(got, x) }, joined)
	for i, s := range steps {
		ts := uint64(i+1) * 1000
		p.Feed(s.dir, reassembly.Piece{Lost: s.lost, Data: []byte(s.data), Skipped: s.skipped, Start: ts, End: ts + 10})
	}
	p.Close()
	return got, p
}

// short renders an exchange for comparison: "CMD key args reply error
// flags", flags being p (pipelined), t=... (transaction), i=reason.
func short(x Exchange) string {
	s := fmt.Sprintf("%s %q %d %s", x.Command, x.Key, x.Args, x.ReplyType)
	if x.Error != "" {
		s += " " + x.Error
	}
	if x.Pipelined {
		s += " p"
	}
	if x.Transaction != "" {
		s += " t=" + x.Transaction
	}
	if x.Incomplete {
		s += " i=" + x.Reason
	}
	return s
}

// cmd encodes a command as a RESP array of bulk strings.
func cmd(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

func splitEvery(dir reassembly.Direction, s string, n int) []wire {
	var w []wire
	for i := 0; i < len(s); i += n {
		w = append(w, wire{dir, s[i:min(i+n, len(s))], 0, 0})
	}
	return w
}

func cat(parts ...[]wire) []wire {
	var w []wire
	for _, p := range parts {
		w = append(w, p...)
	}
	return w
}

func TestParser(t *testing.T) {
	set := cmd("SET", "k1", "v")
	get := cmd("get", "k1")
	big := strings.Repeat("x", 100000)
	cases := []struct {
		name   string
		joined bool
		steps  []wire
		want   []string
		state  State
	}{
		{name: "client get/set", steps: []wire{{out, set, 0, 0}, {in, "+OK\r\n", 0, 0}, {out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}},
			want: []string{`SET "k1" 2 simple`, `GET "k1" 1 bulk`}, state: Redis},
		{name: "server side", steps: []wire{{in, get, 0, 0}, {out, "$-1\r\n", 0, 0}}, want: []string{`GET "k1" 1 null`}},
		{name: "error reply", steps: []wire{{out, cmd("LPUSH", "k1", "a"), 0, 0}, {in, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", 0, 0}},
			want: []string{`LPUSH "k1" 2 error WRONGTYPE Operation against a key holding the wrong kind of value`}},
		{name: "pipelined", steps: []wire{{out, set + get + cmd("INCR", "n"), 0, 0}, {in, "+OK\r\n$1\r\nv\r\n", 0, 0}, {in, ":1\r\n", 0, 0}},
			want: []string{`SET "k1" 2 simple`, `GET "k1" 1 bulk p`, `INCR "n" 1 integer p`}},
		{name: "split frames", steps: cat(splitEvery(out, set+get, 3), splitEvery(in, "+OK\r\n$5\r\nhello\r\n", 2)),
			want: []string{`SET "k1" 2 simple`, `GET "k1" 1 bulk p`}},
		{name: "inline", steps: []wire{{out, "PING\r\n", 0, 0}, {in, "+PONG\r\n", 0, 0}, {out, "set 'a b' \"c\"\n", 0, 0}, {in, "+OK\r\n", 0, 0}, {out, "\r\n", 0, 0}, {out, "EXISTS \"e\\x41\"\r\n", 0, 0}, {in, ":0\r\n", 0, 0}},
			want: []string{`PING "" 0 simple`, `SET "a b" 2 simple`, `EXISTS "" 1 integer i=key not captured`}},
		{name: "large value skipped by count", steps: []wire{{out, cmd("SET", "big", big)[:1024], len(cmd("SET", "big", big)) - 1024, 0}, {in, "+OK\r\n", 0, 0},
			{out, get, 0, 0}, {in, "$100000\r\n" + big[:1014], 100000 + 2 - 1014, 0}, {out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}},
			want: []string{`SET "big" 2 simple`, `GET "k1" 1 bulk`, `GET "k1" 1 bulk`}},
		{name: "binary values", steps: []wire{{out, cmd("SET", "k\x00\r\n", "\r\n*1\r\n$4\r\nPING\r\n\xff"), 0, 0}, {in, "+OK\r\n", 0, 0}},
			want: []string{"SET \"k\\x00\\r\\n\" 2 simple"}},
		{name: "multi exec", steps: []wire{{out, cmd("MULTI"), 0, 0}, {in, "+OK\r\n", 0, 0}, {out, set, 0, 0}, {in, "+QUEUED\r\n", 0, 0},
			{out, cmd("INCR", "k1"), 0, 0}, {in, "+QUEUED\r\n", 0, 0}, {out, cmd("EXEC"), 0, 0}, {in, "*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n", 0, 0}},
			want: []string{`MULTI "" 0 simple t=MULTI`, `SET "k1" 2 queued t=queued`, `INCR "k1" 1 queued t=queued`, `EXEC "" 0 array t=EXEC`}},
		{name: "pubsub resp2", steps: []wire{{out, cmd("SUBSCRIBE", "a", "b"), 0, 0},
			{in, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n", 0, 0},
			{in, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n", 0, 0},
			{out, cmd("PING"), 0, 0}, {in, "*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$2\r\nho\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n", 0, 0},
			{out, cmd("UNSUBSCRIBE"), 0, 0}, {in, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n", 0, 0}, {in, "*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n", 0, 0},
			{out, cmd("LRANGE", "l", "0", "-1"), 0, 0}, {in, "*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$2\r\nho\r\n", 0, 0}},
			want: []string{`SUBSCRIBE "" 2 array`, `PING "" 0 array`, `UNSUBSCRIBE "" 0 array`, `LRANGE "l" 3 array`}},
		{name: "pubsub resp3 pushes", steps: []wire{{out, cmd("HELLO", "3"), 0, 0}, {in, "%1\r\n+proto\r\n:3\r\n", 0, 0},
			{out, cmd("SUBSCRIBE", "a"), 0, 0}, {in, ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", 0, 0},
			{out, cmd("GET", "k"), 0, 0}, {in, ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", 0, 0},
			{out, cmd("LRANGE", "l", "0", "-1"), 0, 0}, {in, "*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$2\r\nho\r\n", 0, 0}},
			want: []string{`HELLO "" 1 map`, `SUBSCRIBE "" 1 push`, `GET "k" 1 bulk`, `LRANGE "l" 3 array`}},
		{name: "resp3 types", steps: []wire{{out, cmd("A") + cmd("B") + cmd("C") + cmd("D") + cmd("E") + cmd("F") + cmd("G"), 0, 0},
			{in, "_\r\n,3.14\r\n#t\r\n=7\r\ntxt:abc\r\n(123456789012345678901234567890\r\n~1\r\n:1\r\n!9\r\nERR x\r\nyz\r\n", 0, 0}},
			want: []string{`A "" 0 null`, `B "" 0 double p`, `C "" 0 boolean p`, `D "" 0 verbatim p`, `E "" 0 bignum p`, `F "" 0 set p`, `G "" 0 error ERR x p`}},
		{name: "gap in replies drops waiting", steps: []wire{{out, get + get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}, {in, "$1\r\nv\r\n", 0, 7},
			{out, set, 0, 0}, {in, "+OK\r\n", 0, 0}, {out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}},
			want: []string{`GET "k1" 1 bulk`, `GET "k1" 1  p i=replies: framing lost`}},
		{name: "gap in requests, resync at quiet point", steps: []wire{{out, set, 0, 0}, {in, "+OK\r\n", 0, 0}, {out, "", 0, 20}, {in, "+OK\r\n", 0, 0},
			{out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}},
			want: []string{`SET "k1" 2 simple`, `GET "k1" 1 bulk`}},
		{name: "gap on a pipelining connection never resyncs", steps: []wire{{out, set + set, 0, 0}, {in, "+OK\r\n+OK\r\n", 0, 0}, {out, "", 0, 20}, {in, "+OK\r\n", 0, 0},
			{out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}},
			want: []string{`SET "k1" 2 simple`, `SET "k1" 2 simple p`}},
		{name: "framing not captured in a pipelined write", steps: []wire{{out, (set + get + get)[:40], len(set+get+get) - 40, 0}, {in, "+OK\r\n$1\r\nv\r\n$1\r\nv\r\n", 0, 0}},
			want: []string{`SET "k1" 2  i=requests: framing not captured`}},
		{name: "joined mid-way", joined: true, steps: []wire{{in, "1\r\nv\r\n", 0, 0}, {out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}, {out, set, 0, 0}, {in, "+OK\r\n", 0, 0}},
			want: []string{`SET "k1" 2 simple`}},
		{name: "closed before reply", steps: []wire{{out, get, 0, 0}}, want: []string{`GET "k1" 1  i=closed before reply`}},
		{name: "client reply off", steps: []wire{{out, cmd("CLIENT", "REPLY", "OFF") + set + cmd("client", "reply", "on"), 0, 0}, {in, "+OK\r\n", 0, 0}},
			want: []string{`CLIENT REPLY "" 2 none`, `SET "k1" 2 none`, `CLIENT REPLY "" 2 simple`}},
		{name: "eval key", steps: []wire{{out, cmd("EVAL", "return 1", "1", "key:a", "secret") + cmd("EVALSHA", "abc", "0", "x") + cmd("OBJECT", "encoding", "o"), 0, 0}, {in, ":1\r\n:1\r\n+raw\r\n", 0, 0}},
			want: []string{`EVAL "key:a" 4 integer`, `EVALSHA "" 3 integer p`, `OBJECT ENCODING "o" 2 simple p`}},
		{name: "reply without command", steps: []wire{{out, get, 0, 0}, {in, "$1\r\nv\r\n+OK\r\n", 0, 0}, {out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}},
			want: []string{`GET "k1" 1 bulk`, `GET "k1" 1 bulk`}},
		{name: "lost bytes inside a reply payload", steps: []wire{{out, get, 0, 0}, {in, "$10\r\nab", 0, 0}, {in, "\r\n", 0, 8}, {out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}},
			want: []string{`GET "k1" 1 bulk`, `GET "k1" 1 bulk`}},
		{name: "pipelined with pushes between replies", steps: []wire{{out, cmd("HELLO", "3"), 0, 0}, {in, "%0\r\n", 0, 0}, {out, get + get + get, 0, 0},
			{in, "$1\r\na\r\n>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n$1\r\nb\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n", 0, 0}, {in, ":3\r\n", 0, 0}},
			want: []string{`HELLO "" 1 map`, `GET "k1" 1 bulk`, `GET "k1" 1 bulk p`, `GET "k1" 1 integer p`}},
		{name: "key cut to 256 bytes", steps: []wire{{out, cmd("GET", strings.Repeat("k", 300)), 0, 0}, {in, "$-1\r\n", 0, 0}},
			want: []string{`GET "` + strings.Repeat("k", 256) + `" 1 null`}},
		{name: "key not captured", steps: []wire{{out, cmd("GET", strings.Repeat("k", 300))[:20], len(cmd("GET", strings.Repeat("k", 300))) - 20, 0}, {in, "$-1\r\n", 0, 0}},
			want: []string{`GET "" 1 null i=key not captured`}},
		{name: "joined at a reply waits for a command", joined: true, steps: []wire{{in, "+OK\r\n", 0, 0}, {out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}, {out, get, 0, 0}, {in, "$-1\r\n", 0, 0}},
			want: []string{`GET "k1" 1 null`}},
		{name: "subscribe inside multi", steps: []wire{{out, cmd("MULTI") + cmd("SUBSCRIBE", "a") + cmd("EXEC"), 0, 0},
			{in, "+OK\r\n+QUEUED\r\n*1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", 0, 0}, {in, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n", 0, 0}, {out, get, 0, 0}},
			want: []string{`MULTI "" 0 simple t=MULTI`, `SUBSCRIBE "" 1 queued p t=queued`, `EXEC "" 0 array p t=EXEC`}},
		{name: "other direction held while detecting", steps: []wire{{out, "*", 0, 0}, {in, "+", 0, 0}, {out, "1\r\n$4\r\nPING\r\n", 0, 0}, {in, "PONG\r\n", 0, 0}},
			want: []string{`PING "" 0 simple`}},
		{name: "monitor output is not replies", steps: []wire{{out, cmd("MONITOR"), 0, 0}, {in, "+OK\r\n", 0, 0}, {in, "+1700000000.123 [0 127.0.0.1:1] \"get\" \"k\"\r\n", 0, 0}, {out, cmd("QUIT"), 0, 0}},
			want: []string{`MONITOR "" 0 simple`}},
		{name: "unsubscribe all ends at the next frame", steps: []wire{{out, cmd("SUBSCRIBE", "a") + cmd("PSUBSCRIBE", "p*"), 0, 0},
			{in, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:2\r\n", 0, 0},
			{out, cmd("UNSUBSCRIBE") + cmd("PING"), 0, 0}, {in, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n", 0, 0}},
			want: []string{`SUBSCRIBE "" 1 array`, `PSUBSCRIBE "" 1 array p`, `UNSUBSCRIBE "" 0 array`, `PING "" 0 array p`}},
		{name: "not redis", steps: []wire{{out, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, 0}, {in, "HTTP/1.1 200 OK\r\n\r\n", 0, 0}}, state: NotRedis},
		{name: "tls is not redis", steps: []wire{{out, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, 0}}, state: NotRedis},
		{name: "tiny first writes", steps: cat(splitEvery(out, "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n", 1), []wire{{in, "$-1\r\n", 0, 0}}),
			want: []string{`GET "k1" 1 null`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, p := feed(tc.joined, tc.steps)
			var gotS []string
			for _, x := range got {
				gotS = append(gotS, short(x))
			}
			if strings.Join(gotS, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("exchanges\n got %q\nwant %q\nstats %v", gotS, tc.want, p.Stats)
			}
			if tc.state != Detecting && p.State() != tc.state {
				t.Errorf("state %s, want %s", p.State(), tc.state)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		in      string
		req, ok bool
	}{
		{cmd("GET", "k"), true, true},
		{cmd("JSON.GET", "k"), true, true},
		{"PING\r\n", true, true},
		{"hgetall h\n", true, true},
		{"+OK\r\n", false, true},
		{"-ERR unknown command\r\n", false, true},
		{":12\r\n", false, true},
		{"$5\r\nhello\r\n", false, true},
		{"*2\r\n$3\r\n123\r\n", false, true},
		{"%1\r\n+a\r\n:1\r\n", false, true},
		{"_\r\n", false, true},
		{",1.5\r\n", false, true},
		{"#t\r\n", false, true},
		{">3\r\n", false, true},
		{"(12345678901234567890\r\n", false, true},
		{"=5\r\ntxt:a\r\n", false, true},
		{"GET / HTTP/1.1\r\n", false, false},
		{"HTTP/1.1 200 OK\r\n", false, false},
		{"+OK", false, false},   // no CRLF yet: cannot tell
		{"+OK\n", false, false}, // LF alone is not RESP
		{":x\r\n", false, false},
		{"\x16\x03\x01", false, false},
		{"SSH-2.0-OpenSSH_9.6\r\n", false, false},
	}
	for _, c := range cases {
		req, ok := Detect([]byte(c.in))
		if req != c.req || ok != c.ok {
			t.Errorf("Detect(%q) = %v %v, want %v %v", c.in, req, ok, c.req, c.ok)
		}
	}
}

// TestJoiningCountedApart: on a connection found mid-way, what comes before
// the first quiet point is counted as joining (expected after the agent
// starts); once matching was on, lost framing counts as unsynchronised.
func TestJoiningCountedApart(t *testing.T) {
	get := cmd("GET", "k1")
	got, p := feed(true, []wire{
		{in, "$1\r\nv\r\n", 0, 0},                   // a reply to a command sent before capture: the reply side resyncs on it
		{out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}, // joining: no quiet point yet
		{out, get, 0, 0}, {in, "$1\r\nv\r\n", 0, 0}, // a quiet point: matched
		{in, "+OK\r\n", 0, 0},                    // a reply without command: matching off
		{in, "$5\r\nab", 0, 0}, {out, get, 0, 0}, // not at a quiet point
	})
	if len(got) != 1 || short(got[0]) != `GET "k1" 1 bulk` {
		t.Fatalf("exchanges %v, want the GET at the quiet point", got)
	}
	want := map[string]uint64{"reply while joining": 1, "command while joining": 1, "reply without command": 1, "command while unsynchronised": 1}
	for reason, n := range want {
		if got := p.Stats.Dropped[reason]; got != n {
			t.Errorf("%q counted %d times, want %d (all: %v)", reason, got, n, p.Stats.Dropped)
		}
	}
}
