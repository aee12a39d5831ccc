package topology

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

// RedisPool is a small Redis client over a pool of connections, enough for
// the shop: commands as arrays of bulk strings, replies read whole.
type RedisPool struct {
	addr  string
	conns chan *redisConn
}

type redisConn struct {
	net.Conn
	r *bufio.Reader
}

// NewRedisPool keeps up to size idle connections to addr.
func NewRedisPool(addr string, size int) *RedisPool {
	return &RedisPool{addr: addr, conns: make(chan *redisConn, size)}
}

func (p *RedisPool) get(ctx context.Context) (*redisConn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	default:
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to redis %s: %w", p.addr, err)
	}
	return &redisConn{Conn: c, r: bufio.NewReader(c)}, nil
}

func (p *RedisPool) put(c *redisConn) {
	select {
	case p.conns <- c:
	default:
		c.Close()
	}
}

// Do runs one command and records its truth span for the request ctx.
func (p *RedisPool) Do(ctx context.Context, rec *Recorder, tc Context, args ...string) (any, error) {
	c, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	t := clientSpan(tc, "redis", args[0], c)
	t.StartUnixNano = nowNano()
	buf := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		buf = append(buf, "$"+strconv.Itoa(len(a))+"\r\n"+a+"\r\n"...)
	}
	if _, err := c.Write(buf); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis %s: %w", args[0], err)
	}
	v, err := readReply(c.r)
	t.EndUnixNano = nowNano()
	rec.Record(t)
	if err != nil && !errors.As(err, new(redisError)) {
		c.Close()
		return nil, err
	}
	p.put(c)
	return v, err
}

type redisError string

func (e redisError) Error() string { return string(e) }

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("reading redis reply: %w", err)
	}
	if len(line) < 3 {
		return nil, fmt.Errorf("short redis reply %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, redisError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, _ := strconv.Atoi(body)
		out := make([]any, 0, max(n, 0))
		for range n {
			v, err := readReply(r)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown redis reply %q", line)
}
