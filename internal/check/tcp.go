package check

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
	"github.com/vigil-dev/vigil/internal/result"
)

// maxReply is how much of a tcp reply is read.
const maxReply = 1 << 10

// tcpCheck connects, sends the payload if any and reads the reply when one
// is expected.
func (rn *run) tcpCheck(m monitor.Monitor) ([]result.Step, *result.Error) {
	if m.TCP == nil {
		return nil, configError("tcp monitor has no tcp section")
	}
	s := beginStep(1, "tcp connect")
	spec, err := rn.expandTCP(*m.TCP)
	if err != nil {
		s.failf(result.ErrorConfig, "%v", err)
		return []result.Step{s.end()}, nil
	}
	addr := net.JoinHostPort(spec.Host, strconv.Itoa(spec.Port))
	s.step.URL = resultURL("tcp://" + addr)

	conn, timings, err := rn.dialTimed(spec.Host, spec.Port)
	if err != nil {
		s.setTimings(withTotal(timings, s.start))
		s.fail(rn.ioError("connect to "+addr, err))
		return []result.Step{s.end()}, nil
	}
	defer conn.Close()
	env := monitor.TCPEnv{Connected: true}
	reply, err := exchange(conn, spec.Send, spec.Expect)
	env.Reply = string(reply)
	env.Timings = withTotal(timings, s.start)
	s.setTimings(env.Timings)
	if len(reply) > 0 {
		s.detail("reply", env.Reply)
	}
	if err != nil {
		s.fail(rn.ioError("exchange with "+addr, err))
		return []result.Step{s.end()}, nil
	}
	rn.assertAll(s, env, tcpAsserts(m.Assert, spec.Expect))
	return []result.Step{s.end()}, nil
}

func (rn *run) expandTCP(spec monitor.TCPCheck) (monitor.TCPCheck, error) {
	var err error
	if spec.Host, err = rn.expand(spec.Host, nil); err != nil {
		return spec, fmt.Errorf("host: %w", err)
	}
	if spec.Send, err = rn.expand(spec.Send, nil); err != nil {
		return spec, fmt.Errorf("send: %w", err)
	}
	if spec.Expect, err = rn.expand(spec.Expect, nil); err != nil {
		return spec, fmt.Errorf("expect: %w", err)
	}
	return spec, nil
}

// tcpAsserts are the monitor's, or "connected" and the expected reply.
func tcpAsserts(asserts []string, expect string) []string {
	if len(asserts) > 0 {
		return asserts
	}
	out := []string{"connected"}
	if expect != "" {
		out = append(out, "reply contains "+strconv.Quote(expect))
	}
	return out
}

// exchange sends send and reads until expect is seen, the peer closes or
// maxReply bytes came. With send but no expect it returns the first chunk.
// With neither it reads nothing.
func exchange(conn net.Conn, send, expect string) ([]byte, error) {
	if send != "" {
		if _, err := io.WriteString(conn, send); err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
	}
	if send == "" && expect == "" {
		return nil, nil
	}
	buf := make([]byte, 0, maxReply)
	for len(buf) < maxReply {
		n, err := conn.Read(buf[len(buf):maxReply])
		buf = buf[:len(buf)+n]
		if expect == "" && len(buf) > 0 || expect != "" && bytes.Contains(buf, []byte(expect)) {
			return buf, nil
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, fmt.Errorf("read reply: %w", err)
		}
	}
	return buf, nil
}

func withTotal(t monitor.Timings, start time.Time) monitor.Timings {
	t.Total = time.Since(start)
	return t
}
