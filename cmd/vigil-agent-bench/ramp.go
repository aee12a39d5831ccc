package main

import (
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A ramp finds the highest event rate the agent takes with zero drops: a
// child process exchanges HTTP/1.1 requests and responses with itself over
// loopback connections (both ends traced: four data events and two spans
// an exchange) at a rate raised step by step, until the ring buffer or the
// agent's user space drops something, or the child cannot go faster.

const (
	blastConns = 16
	rampStart  = 20000 // events/s of the first step
	rampFactor = 1.25
	rampSteps  = 24
	// Events per exchange: the request written and read, the response
	// written and read.
	eventsPerExchange = 4
)

var rampRequest = []byte("GET /api/orders/42?expand=items HTTP/1.1\r\nHost: ramp.internal\r\nUser-Agent: vigil-agent-bench\r\n\r\n")
var rampResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"id\":42,\"status\":\"placed\"}")

// rampWords is the memory the bench and its child share: exchanges done
// so far (the child counts), and the rate asked, exchanges per second as
// float64 bits (the bench sets).
type rampWords struct{ done, rate *uint64 }

func mapRampWords(path string) (rampWords, error) {
	w, err := mapWords(path, 2)
	if err != nil {
		return rampWords{}, err
	}
	return rampWords{done: w[0], rate: w[1]}, nil
}

// blastPair is one loopback connection's two ends as blocking descriptors;
// the files are kept so no finalizer closes them.
type blastPair struct {
	client, server int
	files          [2]*os.File
}

func blastPairs(n int) ([]blastPair, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	pairs := make([]blastPair, n)
	for i := range pairs {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return nil, err
		}
		s, err := ln.Accept()
		if err != nil {
			return nil, err
		}
		// File returns a blocking duplicate: plain read(2) and write(2)
		// on one locked thread, without Go's poller in between.
		cf, err := c.(*net.TCPConn).File()
		if err != nil {
			return nil, err
		}
		sf, err := s.(*net.TCPConn).File()
		if err != nil {
			return nil, err
		}
		c.Close()
		s.Close()
		pairs[i] = blastPair{client: int(cf.Fd()), server: int(sf.Fd()), files: [2]*os.File{cf, sf}}
	}
	return pairs, nil
}

// blast is the child -ramp starts (VIGIL_BENCH_BLAST names the shared
// file): exchanges at the rate the bench asks, in 1 ms ticks, round robin
// over its connections, until killed.
func blast(path string) error {
	w, err := mapRampWords(path)
	if err != nil {
		return err
	}
	pairs, err := blastPairs(blastConns)
	if err != nil {
		return fmt.Errorf("opening loopback connections: %w", err)
	}
	runtime.LockOSThread()
	buf := make([]byte, 4096)
	const tick = time.Millisecond
	next, carry, k := time.Now(), 0.0, 0
	for {
		carry += math.Float64frombits(atomic.LoadUint64(w.rate)) * tick.Seconds()
		n := int(carry)
		carry -= float64(n)
		for range n {
			if err := exchange(pairs[k], buf); err != nil {
				return err
			}
			k = (k + 1) % len(pairs)
		}
		atomic.AddUint64(w.done, uint64(n))
		next = next.Add(tick)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		} else if d < -10*tick {
			// Behind: the rate asked is out of reach. No burst to catch
			// up; the bench sees the rate fall short.
			next, carry = time.Now(), 0
		}
	}
}

// exchange sends one request over p and its response back.
func exchange(p blastPair, buf []byte) error {
	if err := writeAll(p.client, rampRequest); err != nil {
		return err
	}
	if err := readN(p.server, buf, len(rampRequest)); err != nil {
		return err
	}
	if err := writeAll(p.server, rampResponse); err != nil {
		return err
	}
	return readN(p.client, buf, len(rampResponse))
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		b = b[n:]
	}
	return nil
}

func readN(fd int, buf []byte, n int) error {
	for n > 0 {
		got, err := unix.Read(fd, buf[:min(n, len(buf))])
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if got == 0 {
			return fmt.Errorf("read: connection closed")
		}
		n -= got
	}
	return nil
}

// blastFromEnv runs the ramp's child when the bench started one.
func blastFromEnv() (bool, error) {
	path := os.Getenv("VIGIL_BENCH_BLAST")
	if path == "" {
		return false, nil
	}
	return true, blast(path)
}

// blastTarget starts the ramp's child, traced by its pid.
func blastTarget() (*target, rampWords, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, rampWords{}, err
	}
	f, err := os.CreateTemp("", "vigil-bench-ramp-")
	if err != nil {
		return nil, rampWords{}, err
	}
	f.Close()
	defer os.Remove(f.Name()) // both ends map it before it goes
	w, err := mapRampWords(f.Name())
	if err != nil {
		return nil, rampWords{}, err
	}
	cmd := loadCommand(self)
	cmd.Env = append(os.Environ(), "VIGIL_BENCH_BLAST="+f.Name())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, rampWords{}, err
	}
	// Wait for the child to map the file and open its connections.
	time.Sleep(300 * time.Millisecond)
	t := &target{
		describe: fmt.Sprintf("%d loopback HTTP/1.1 connections in one process (pid %d), both ends traced", blastConns, cmd.Process.Pid),
		pid:      cmd.Process.Pid,
		stop:     func() { _ = cmd.Process.Kill(); _ = cmd.Wait() },
	}
	return t, w, nil
}

// rampStep is what one step of the ramp measured, per second.
type rampStep struct {
	asked, sent, seen float64 // events: asked for, written and read by the child, seen by the kernel programs
	ringDrops         uint64
	userDrops         float64 // events or spans the agent's user space dropped
	agentCPU          float64 // share of one core
}

// rampPassed says whether a step passed: no drop of any kind, and the rate
// asked reached. The ramp stops at the first step that did not: a drop, or
// the child falling short of the rate by more than a tenth (the load
// generator, not the agent, is then the limit).
func rampPassed(s rampStep) bool {
	return s.ringDrops == 0 && s.userDrops == 0 && s.sent >= 0.9*s.asked
}

// ramp runs the steps and prints the highest clean rate.
func ramp(w time.Duration) error {
	t, words, err := blastTarget()
	if err != nil {
		return err
	}
	defer t.stop()
	if pin {
		if err := pinTree(t.pid); err != nil {
			return fmt.Errorf("pinning the load to CPU 0: %w", err)
		}
	}
	ba, err := startBenchAgent(t)
	if err != nil {
		return err
	}
	defer ba.close()
	capture := ba.emb.Agent().Capture()
	fmt.Printf("ramp: %s; steps of %s from %d events/s, x%.2f each, until the first drop\n", t.describe, w, rampStart, rampFactor)
	var best *rampStep
	var last rampStep
	asked := float64(rampStart)
	me := os.Getpid()
	for i := 0; i < rampSteps; i++ {
		atomic.StoreUint64(words.rate, math.Float64bits(asked/eventsPerExchange))
		time.Sleep(300 * time.Millisecond) // the new rate settles
		k0, _ := capture.Stats()
		u0 := counterSum(ba.reg, "vigil_agent_dropped_total")
		d0, a0, t0 := atomic.LoadUint64(words.done), taskRuntime(me), time.Now()
		time.Sleep(w)
		el := time.Since(t0).Seconds()
		k1, _ := capture.Stats()
		s := rampStep{
			asked:     asked,
			sent:      float64(atomic.LoadUint64(words.done)-d0) * eventsPerExchange / el,
			seen:      float64(k1.DataEvents-k0.DataEvents) / el,
			ringDrops: k1.DataDrops + k1.CtrlDrops - k0.DataDrops - k0.CtrlDrops,
			userDrops: counterSum(ba.reg, "vigil_agent_dropped_total") - u0,
			agentCPU:  (taskRuntime(me) - a0).Seconds() / el,
		}
		passed := rampPassed(s)
		fmt.Printf("  asked %7.0f events/s: sent %7.0f, seen by the programs %7.0f; ring drops %d, user-space drops %.0f; agent %.0f%% of one core\n",
			s.asked, s.sent, s.seen, s.ringDrops, s.userDrops, 100*s.agentCPU)
		last = s
		if passed {
			best = &s
		}
		if !passed {
			break
		}
		asked *= rampFactor
	}
	atomic.StoreUint64(words.rate, 0)
	if best == nil {
		return fmt.Errorf("the first step (%d events/s) already dropped or fell short", rampStart)
	}
	why := "the next step dropped"
	if last.ringDrops == 0 && last.userDrops == 0 {
		why = "the next step was beyond the load generator (" + strconv.FormatFloat(last.sent, 'f', 0, 64) + " events/s sent)"
	}
	fmt.Printf("highest event rate with zero drops: %.0f events/s (%.0f spans/s), agent %.0f%% of one core, max RSS %d MiB; %s\n",
		best.seen, best.seen/eventsPerExchange*2, 100*best.agentCPU, maxRSS()>>20, why)
	return nil
}
