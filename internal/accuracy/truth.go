// Package accuracy scores assembled traces against ground truth: what the
// traced applications themselves recorded about every request and call.
// Any topology can write the truth format, one JSON object per line.
package accuracy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// TruthSpan is one line of a ground-truth file.
type TruthSpan struct {
	TraceID       string `json:"trace_id"`       // 32 hex digits
	SpanID        string `json:"span_id"`        // 16 hex digits
	ParentSpanID  string `json:"parent_span_id"` // 16 hex digits, or empty for a root
	Service       string `json:"service"`
	Kind          string `json:"kind"`     // server or client
	Protocol      string `json:"protocol"` // http, redis, postgresql, mysql, grpc, dns
	Operation     string `json:"operation"`
	StartUnixNano int64  `json:"start_unix_nano"`
	EndUnixNano   int64  `json:"end_unix_nano"`
	LocalAddr     string `json:"local_addr"` // ip:port of this end of the connection used
	PeerAddr      string `json:"peer_addr"`  // ip:port of the other end
	PID           int    `json:"pid"`
}

// Protocols a truth span may name.
var protocols = map[string]bool{"http": true, "redis": true, "postgresql": true, "mysql": true, "grpc": true, "dns": true}

// ReadTruth reads a ground-truth file; an invalid line is an error naming
// the line and the field.
func ReadTruth(r io.Reader) ([]TruthSpan, error) {
	var out []TruthSpan
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var t TruthSpan
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("truth line %d: %w", n, err)
		}
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("truth line %d: %w", n, err)
		}
		k := t.TraceID + t.SpanID
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("truth line %d: span %s of trace %s already on line %d", n, t.SpanID, t.TraceID, prev)
		}
		seen[k] = n
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading truth: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("truth has no spans")
	}
	return out, nil
}

func (t *TruthSpan) validate() error {
	switch {
	case !isHex(t.TraceID, 32):
		return fmt.Errorf("trace_id %q is not 32 hex digits", t.TraceID)
	case !isHex(t.SpanID, 16):
		return fmt.Errorf("span_id %q is not 16 hex digits", t.SpanID)
	case t.ParentSpanID != "" && !isHex(t.ParentSpanID, 16):
		return fmt.Errorf("parent_span_id %q is neither empty nor 16 hex digits", t.ParentSpanID)
	case t.Service == "":
		return errors.New("service is empty")
	case t.Kind != "server" && t.Kind != "client":
		return fmt.Errorf("kind %q is neither server nor client", t.Kind)
	case !protocols[t.Protocol]:
		return fmt.Errorf("protocol %q is not one of http, redis, postgresql, mysql, grpc, dns", t.Protocol)
	case t.StartUnixNano <= 0 || t.EndUnixNano < t.StartUnixNano:
		return fmt.Errorf("start_unix_nano %d and end_unix_nano %d do not make a span", t.StartUnixNano, t.EndUnixNano)
	case t.PID <= 0:
		return fmt.Errorf("pid %d is not a process id", t.PID)
	}
	for name, a := range map[string]string{"local_addr": t.LocalAddr, "peer_addr": t.PeerAddr} {
		if _, err := netip.ParseAddrPort(a); err != nil {
			return fmt.Errorf("%s %q is not ip:port: %w", name, a, err)
		}
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}
