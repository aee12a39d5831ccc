package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/internal/monitor"
)

// dialTimed resolves host (timed as DNS unless it is an address) and
// connects to the first address that answers (timed as connect). The
// connection's deadline is the run's and it is closed early if the run is
// cancelled.
func (rn *run) dialTimed(host string, port int) (net.Conn, monitor.Timings, error) {
	var t monitor.Timings
	addrs := []string{host}
	if net.ParseIP(host) == nil {
		start := time.Now()
		var err error
		addrs, err = (&net.Resolver{}).LookupHost(rn.ctx, host)
		t.DNS = time.Since(start)
		if err != nil {
			return nil, t, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	var d net.Dialer
	var errs []error
	for _, a := range addrs {
		start := time.Now()
		conn, err := d.DialContext(rn.ctx, "tcp", net.JoinHostPort(a, strconv.Itoa(port)))
		if err != nil {
			errs = append(errs, err)
			if rn.ctx.Err() != nil {
				break
			}
			continue
		}
		t.Connect = time.Since(start)
		rn.bindConn(conn)
		return conn, t, nil
	}
	return nil, t, errors.Join(errs...)
}

// bindConn ties a connection to the run's deadline and cancellation.
func (rn *run) bindConn(conn net.Conn) {
	if d, ok := rn.ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	// Harmless when it fires after the connection is closed.
	context.AfterFunc(rn.ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
}
