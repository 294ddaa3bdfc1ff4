package fault_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/fault"
)

// echoServer answers every line with the same line, on loopback.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func newProxy(t *testing.T) *fault.Proxy {
	t.Helper()
	p, err := fault.NewProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// client is one connection through the proxy.
type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, p *fault.Proxy) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, r: bufio.NewReader(c)}
}

// roundTrip sends line and reads the echo, waiting at most wait.
func (c *client) roundTrip(line string, wait time.Duration) (string, error) {
	_ = c.c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c.c, line+"\n"); err != nil {
		return "", err
	}
	got, err := c.r.ReadString('\n')
	if err != nil {
		return got, err
	}
	return got[:len(got)-1], nil
}

func (c *client) mustEcho(line string) {
	c.t.Helper()
	got, err := c.roundTrip(line, 2*time.Second)
	if err != nil || got != line {
		c.t.Fatalf("echo of %q = %q, %v", line, got, err)
	}
}

// broken reports whether err is what a reset or refused connection gives:
// a reset, an end of stream or a broken pipe, not a timeout.
func broken(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// refused reports whether a new connection through p fails: at connect,
// or at its first round trip.
func refused(t *testing.T, p *fault.Proxy) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		return broken(err) || errors.Is(err, syscall.ECONNREFUSED)
	}
	defer c.Close()
	cl := &client{t: t, c: c, r: bufio.NewReader(c)}
	_, err = cl.roundTrip("probe", time.Second)
	return broken(err)
}

func TestProxyForwards(t *testing.T) {
	p := newProxy(t)
	a, b := dial(t, p), dial(t, p)
	a.mustEcho("hello")
	b.mustEcho("world")
	// A large message crosses in several chunks, in order.
	big := make([]byte, 200<<10)
	for i := range big {
		big[i] = 'a' + byte(i%26)
	}
	a.mustEcho(string(big))
	if s := p.Stats(); s.Accepted != 2 || s.Reset != 0 {
		t.Errorf("stats = %+v, want 2 accepted, 0 reset", s)
	}
}

func TestProxyLatency(t *testing.T) {
	p := newProxy(t)
	c := dial(t, p)
	c.mustEcho("warm")
	const d = 60 * time.Millisecond
	p.SetLatency(d)
	start := time.Now()
	c.mustEcho("slow")
	if rtt := time.Since(start); rtt < 2*d {
		t.Errorf("round trip with latency %v took %v, want >= %v", d, rtt, 2*d)
	}
	// Latency delays without serialising: ten lines sent at once arrive
	// about one round trip later, not ten.
	start = time.Now()
	for range 10 {
		if _, err := io.WriteString(c.c, "x\n"); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		if _, err := c.r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el > 8*d {
		t.Errorf("ten pipelined lines took %v, want about %v", el, 2*d)
	}
	p.SetLatency(0)
	start = time.Now()
	c.mustEcho("fast")
	if rtt := time.Since(start); rtt >= 2*d {
		t.Errorf("round trip after removing latency took %v", rtt)
	}
}

func TestProxyReset(t *testing.T) {
	p := newProxy(t)
	a, b := dial(t, p), dial(t, p)
	a.mustEcho("1")
	b.mustEcho("2")
	if n := p.Reset(); n != 2 {
		t.Errorf("Reset reset %d connections, want 2", n)
	}
	for _, c := range []*client{a, b} {
		if _, err := c.roundTrip("after", time.Second); !broken(err) {
			t.Errorf("a reset connection answered %v, want a reset or EOF", err)
		}
	}
	// New connections work at once.
	dial(t, p).mustEcho("again")
	if s := p.Stats(); s.Reset != 2 || s.Accepted != 3 {
		t.Errorf("stats = %+v, want 3 accepted, 2 reset", s)
	}
}

func TestProxyCutRefuse(t *testing.T) {
	p := newProxy(t)
	old := dial(t, p)
	old.mustEcho("before")
	p.Cut(fault.Refuse)
	if p.Cutting() != fault.Refuse {
		t.Fatalf("Cutting = %v", p.Cutting())
	}
	if _, err := old.roundTrip("during", time.Second); !broken(err) {
		t.Errorf("an open connection during a refuse cut answered %v, want a reset", err)
	}
	start := time.Now()
	if !refused(t, p) {
		t.Error("a new connection during a refuse cut was answered, want a reset")
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("refusal took %v; a refused connection fails at once", el)
	}
	p.Heal()
	dial(t, p).mustEcho("after")
	if s := p.Stats(); s.Refused != 1 || s.Cuts != 1 {
		t.Errorf("stats = %+v, want 1 refused, 1 cut", s)
	}
}

func TestProxyCutBlackhole(t *testing.T) {
	p := newProxy(t)
	old := dial(t, p)
	old.mustEcho("before")
	p.Cut(fault.Blackhole)
	// Nothing moves: the caller's deadline expires.
	if _, err := old.roundTrip("held", 150*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("during a blackhole = %v, want a timeout", err)
	}
	fresh := dial(t, p) // accepted, but not answered
	_ = fresh.c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(fresh.c, "new\n"); err != nil {
		t.Fatal(err)
	}
	p.Heal()
	// What was held is delivered after the heal, as TCP retransmits.
	_ = old.c.SetDeadline(time.Now().Add(2 * time.Second))
	if got, err := old.r.ReadString('\n'); err != nil || got != "held\n" {
		t.Errorf("held line after heal = %q, %v", got, err)
	}
	if got, err := fresh.r.ReadString('\n'); err != nil || got != "new\n" {
		t.Errorf("line of a connection made during the cut = %q, %v", got, err)
	}
	old.mustEcho("after")
}

func TestProxyCutForHeals(t *testing.T) {
	p := newProxy(t)
	p.CutFor(fault.Refuse, 100*time.Millisecond)
	if !refused(t, p) {
		t.Error("a new connection during CutFor was answered, want a reset")
	}
	deadline := time.Now().Add(2 * time.Second)
	for p.Cutting() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("CutFor did not heal")
		}
		time.Sleep(10 * time.Millisecond)
	}
	dial(t, p).mustEcho("healed")
	// A later cut is not healed by an earlier CutFor's timer.
	p.CutFor(fault.Blackhole, 50*time.Millisecond)
	p.Cut(fault.Refuse)
	time.Sleep(150 * time.Millisecond)
	if p.Cutting() != fault.Refuse {
		t.Errorf("an earlier CutFor healed a later Cut: mode %v", p.Cutting())
	}
}

// TestProxyBlackholeThenReset: a connection stalled by a blackhole and
// then reset ends at once, and Close returns (no goroutine waits for a
// heal that never comes).
func TestProxyBlackholeThenReset(t *testing.T) {
	p := newProxy(t)
	c := dial(t, p)
	c.mustEcho("before")
	p.Cut(fault.Blackhole)
	if _, err := c.roundTrip("held", 100*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("during a blackhole = %v, want a timeout", err)
	}
	if n := p.Reset(); n != 1 {
		t.Errorf("Reset = %d, want 1", n)
	}
	_ = c.c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.r.ReadString('\n'); !broken(err) {
		t.Errorf("a reset connection during a blackhole = %v, want a reset", err)
	}
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close hung while blackholed")
	}
}

func TestProxyClose(t *testing.T) {
	p, err := fault.NewProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	c.mustEcho("x")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.roundTrip("y", time.Second); !broken(err) {
		t.Errorf("after Close = %v, want a reset", err)
	}
	if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("the proxy still listens after Close")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
