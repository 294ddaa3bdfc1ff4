package fault

// A TCP proxy that injects network faults between a process and a
// backend (PostgreSQL), below every driver: what the store sees is a slow,
// reset or partitioned network, not an error it was handed.

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// CutMode says how a Proxy behaves while it is cut.
type CutMode int

const (
	// Refuse resets every open connection and every new one at once: the
	// backend's host is up, its port refuses (a crashed server, a
	// firewall that rejects).
	Refuse CutMode = iota + 1
	// Blackhole moves no byte in either direction and holds new
	// connections unanswered until the proxy heals, then delivers what
	// was held, as TCP does after a partition shorter than its timeouts:
	// callers see only time passing, and must give up by their own
	// deadlines.
	Blackhole
)

func (m CutMode) String() string {
	switch m {
	case Refuse:
		return "refuse"
	case Blackhole:
		return "blackhole"
	}
	return "none"
}

// ProxyStats counts what a Proxy did.
type ProxyStats struct {
	Accepted int // connections accepted from clients
	Reset    int // connections reset (by Reset, a Refuse cut, or Close)
	Refused  int // connections refused at accept during a Refuse cut
	Cuts     int // calls of Cut and CutFor
}

// Proxy forwards TCP connections from a loopback listener to a target
// address and injects faults: latency, resets, cuts. The zero value is not
// usable; call NewProxy. Its methods are safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	latency time.Duration
	cut     CutMode
	healed  chan struct{} // closed when a Blackhole cut heals; nil when not blackholed
	timer   *time.Timer   // the pending heal of CutFor
	cutGen  int           // counts cuts and heals, so a stale CutFor timer heals nothing
	conns   map[*proxyConn]struct{}
	stats   ProxyStats
	closed  bool

	wg sync.WaitGroup
}

// proxyConn is one client connection and its upstream.
type proxyConn struct {
	client   net.Conn
	upstream net.Conn // nil until dialled; set under Proxy.mu
	once     sync.Once
	dead     chan struct{} // closed by end
}

func newProxyConn(client net.Conn) *proxyConn {
	return &proxyConn{client: client, dead: make(chan struct{})}
}

// reset closes both sides with an RST (SO_LINGER 0), so the peers see
// "connection reset by peer", not an orderly end of stream.
func (c *proxyConn) reset() { c.end(true) }

// end closes both sides once, with an RST if rst.
func (c *proxyConn) end(rst bool) {
	c.once.Do(func() {
		close(c.dead)
		for _, nc := range []net.Conn{c.client, c.upstream} {
			if nc == nil {
				continue
			}
			if tc, ok := nc.(*net.TCPConn); ok && rst {
				_ = tc.SetLinger(0)
			}
			_ = nc.Close()
		}
	})
}

// NewProxy listens on 127.0.0.1 on a free port and forwards every
// connection to target (host:port). Close it when done.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: make(map[*proxyConn]struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address (host:port), to give clients in
// place of the target's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetLatency delays every chunk of bytes by d in each direction (so a
// round trip takes 2d more), without reordering or limiting throughput. 0
// removes the delay; chunks already in flight keep theirs.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = max(d, 0)
	p.mu.Unlock()
}

// Reset resets every open connection (both sides get an RST) and returns
// how many; new connections are accepted as before.
func (p *Proxy) Reset() int {
	p.mu.Lock()
	conns := p.takeConnsLocked()
	p.stats.Reset += len(conns)
	p.mu.Unlock()
	for _, c := range conns {
		c.reset()
	}
	return len(conns)
}

func (p *Proxy) takeConnsLocked() []*proxyConn {
	conns := make([]*proxyConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
		delete(p.conns, c)
	}
	return conns
}

// Cut cuts the proxy in mode m until Heal. A Refuse cut resets every open
// connection; a Blackhole cut stalls them. Cutting a cut proxy switches
// its mode (from Blackhole to Refuse, the held bytes are dropped with
// their connections).
func (p *Proxy) Cut(m CutMode) {
	if m != Refuse && m != Blackhole {
		panic("fault.Proxy.Cut: unknown mode")
	}
	p.mu.Lock()
	p.stats.Cuts++
	p.cutGen++
	p.stopTimerLocked()
	var conns []*proxyConn
	if m == Refuse {
		conns = p.takeConnsLocked()
		p.stats.Reset += len(conns)
		if p.healed != nil {
			close(p.healed)
			p.healed = nil
		}
	} else if p.healed == nil {
		p.healed = make(chan struct{})
	}
	p.cut = m
	p.mu.Unlock()
	for _, c := range conns {
		c.reset()
	}
}

// CutFor cuts the proxy in mode m and heals it after d, without waiting.
// A later Cut, CutFor or Heal replaces the pending heal.
func (p *Proxy) CutFor(m CutMode, d time.Duration) {
	p.Cut(m)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	gen := p.cutGen
	p.timer = time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.cutGen == gen {
			p.healLocked()
		}
	})
}

func (p *Proxy) stopTimerLocked() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}

// Heal ends a cut: bytes held by a Blackhole flow again, and new
// connections are forwarded. Latency stays as set.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.healLocked()
}

func (p *Proxy) healLocked() {
	p.cutGen++
	p.stopTimerLocked()
	p.cut = 0
	if p.healed != nil {
		close(p.healed)
		p.healed = nil
	}
}

// Cutting reports the current cut mode (0 when healed).
func (p *Proxy) Cutting() CutMode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// Stats returns the counts so far.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Close stops listening, resets every connection and waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.stopTimerLocked()
	conns := p.takeConnsLocked()
	p.stats.Reset += len(conns)
	if p.healed != nil {
		close(p.healed)
		p.healed = nil
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, c := range conns {
		c.reset()
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient accept error (too many files): back off a little.
			time.Sleep(5 * time.Millisecond)
			continue
		}
		c := newProxyConn(nc)
		p.mu.Lock()
		if p.closed || p.cut == Refuse {
			if !p.closed {
				p.stats.Refused++
			}
			p.mu.Unlock()
			c.reset()
			continue
		}
		p.stats.Accepted++
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
}

// waitOpen blocks until bytes may move on c (at once unless the proxy is
// blackholed); false if c was reset meanwhile.
func (p *Proxy) waitOpen(c *proxyConn) bool {
	for {
		p.mu.Lock()
		healed := p.healed
		p.mu.Unlock()
		select {
		case <-c.dead:
			return false
		default:
		}
		if healed == nil {
			return true
		}
		select {
		case <-healed: // healed, switched to Refuse, or closed: look again
		case <-c.dead:
			return false
		}
	}
}

func (p *Proxy) forget(c *proxyConn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) serve(c *proxyConn) {
	defer p.wg.Done()
	defer p.forget(c)
	// After an orderly end of both directions this closes gently; after
	// a fault, c is already reset.
	defer c.end(false)
	// A connection accepted during a blackhole gets no answer until the
	// cut heals (a SYN nobody answers, retried by the kernel).
	if !p.waitOpen(c) {
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	p.mu.Lock()
	_, open := p.conns[c]
	if open {
		c.upstream = up
	}
	p.mu.Unlock()
	if !open { // reset while dialling
		_ = up.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(c, up, c.client) }()
	go func() { defer wg.Done(); p.pipe(c, c.client, up) }()
	wg.Wait()
}

// chunk is bytes read from one side, due for the other at due.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst through a queue: the reader stamps each chunk
// with its due time (now + latency), the writer waits until then, and
// while the proxy is blackholed. At src's end of stream it half-closes
// dst; on any error it resets the connection.
func (p *Proxy) pipe(c *proxyConn, dst, src net.Conn) {
	queue := make(chan chunk, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ch := range queue {
			if d := time.Until(ch.due); d > 0 {
				time.Sleep(d)
			}
			if !p.waitOpen(c) {
				return
			}
			if _, err := dst.Write(ch.data); err != nil {
				c.reset()
				return
			}
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	defer func() { <-done }()
	defer close(queue)
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			lat := p.latency
			p.mu.Unlock()
			select {
			case queue <- chunk{data: buf[:n], due: time.Now().Add(lat)}:
			case <-done: // the writer gave up
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.reset()
			}
			return
		}
	}
}
