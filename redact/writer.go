package redact

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// ErrClosed is returned by Write and Flush after Close.
var ErrClosed error = &errcode.Error{Code: errcode.FailedPrecondition, Op: "redact", Msg: "writer closed"}

// Writer redacts a stream of bytes written to it and passes the result to
// an underlying io.Writer. A secret split across any number of writes is
// redacted as if the stream had been written at once.
//
// To do that it holds back the end of the stream that could still turn out
// to be the start of a secret: never more than the longest variant minus
// one byte, and only from the first position where some variant could
// start. Flush and Close release it. Writer is safe for concurrent use;
// concurrent writes are redacted in the order they take the lock.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	r      *Redactor
	buf    []byte // held bytes, not yet emitted or known to be covered
	inRun  bool   // output ends with a marker that a match may still extend
	cover  int    // when inRun, buf[:cover] is covered by that marker (cover may exceed len(buf) only transiently)
	out    []byte
	junc   []byte // held bytes and the start of the next write
	ms     []match
	ms2    []match
	part   []int // per segment: earliest proper prefix seen by find
	err    error
	closed bool
}

// String, GoString, Format, MarshalText, MarshalJSON and LogValue show
// only the type: a Writer holds the bytes it held back and copies of what
// it was given, which can be whole secrets.
func (w *Writer) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, "redact.Writer") }
func (w *Writer) MarshalText() ([]byte, error) { return []byte("redact.Writer"), nil }

// NewWriter returns a Writer that writes the redacted stream to w.
func NewWriter(w io.Writer, r *Redactor) *Writer {
	return &Writer{w: w, r: r}
}

// Write redacts p and writes what is final to the underlying writer. It
// returns len(p) unless the underlying writer failed; after such a failure
// every call returns that error.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	if err := w.process(p, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes the held-back tail. A secret that straddles a Flush is not
// redacted as a whole: after Flush the stream behaves as a new one. Flush
// also flushes the underlying writer if it has a Flush() error method.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	if err := w.process(nil, true); err != nil {
		return err
	}
	if f, ok := w.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			w.err = err
			return err
		}
	}
	return nil
}

// Close flushes and makes later writes fail. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	err := w.flushLocked()
	w.closed = true
	w.buf, w.out, w.junc, w.ms, w.ms2 = nil, nil, nil, nil, nil
	return err
}

// buffered returns the number of bytes held back.
func (w *Writer) buffered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.buf)
}

// process redacts the stream held ++ p and emits what is final. To avoid
// copying p, the stream is seen as two slices, a (held bytes) and b (p),
// whenever p is long enough that the possible tail lies inside it;
// otherwise p is appended to the held bytes.
func (w *Writer) process(p []byte, final bool) error {
	e := w.r.engine()
	if len(e.segs) == 0 && len(w.buf) == 0 {
		w.inRun = false
		return w.emit(p)
	}
	L := max(e.maxLen, 1)
	var a, b []byte
	var ms []match
	if len(p) >= L-1 && len(p) > 0 {
		a, b = w.buf, p
		switch {
		case len(a) == 0:
			ms = w.ms[:0]
		case !e.tiny && !e.mayStartBefore(b, len(a)):
			// The first samples of p rule out every pattern that could
			// start in the held bytes, from the filter words that find
			// reads anyway (see matcher.mayStartBefore).
			ms = w.ms[:0]
		case len(a) <= junctionScan && !e.tiny && !e.mayStartIn(a, b, len(a)):
			// Usually the 4 bytes at each held byte rule out every
			// pattern, and the held bytes need not be joined to p.
			ms = w.ms[:0]
		default:
			// Matches that start in a lie inside a ++ b[:L-1].
			w.junc = append(append(w.junc[:0], a...), b[:L-1]...)
			if len(a) <= junctionScan && !e.tiny {
				// A few held bytes: look up the patterns that start at
				// each of them, rather than scan the junction.
				ms = e.startsIn(w.junc, len(a), w.ms[:0])
			} else {
				ms = e.find(w.junc, w.ms[:0])
				n := 0
				for _, m := range ms {
					if m.start < len(a) {
						ms[n] = m
						n++
					}
				}
				ms = ms[:n]
			}
		}
		// The matches of p follow those that start in the held bytes,
		// moved past them. findWrite sorts what it appends to, so behind
		// matches of the held bytes it finds into a buffer of its own.
		n0 := len(ms)
		if n0 == 0 {
			ms = findWrite(e, b, ms)
		} else {
			mb := findWrite(e, b, w.ms2[:0])
			ms = append(ms, mb...)
			w.ms2 = mb[:0]
		}
		for i := n0; i < len(ms); i++ {
			ms[i].start += len(a)
			ms[i].end += len(a)
		}
	} else {
		w.buf = append(w.buf, p...)
		a = w.buf
		ms = e.find(a, w.ms[:0])
	}
	w.ms = ms[:0]
	total := len(a) + len(b)

	// Every match that starts before cut lies wholly inside a ++ b.
	cut := total
	if !final {
		// When b is in use it holds the last L-1 bytes.
		switch {
		case len(e.segs) == 1 && len(b) >= 4 && !e.segs[0].mayEndLongPrefix(binary.LittleEndian.Uint32(b[len(b)-4:])):
			// holdFrom's usual case, without the call.
			cut = len(a) + e.segs[0].shortHold(b, len(b)-(L-1))
		case len(b) > 0:
			cut = len(a) + w.holdFrom(e, b, len(b)-(L-1))
		default:
			cut = w.holdFrom(e, a, total-(L-1))
		}
	}

	if len(b) > 0 && !w.inRun && (len(ms) == 0 || ms[0].start >= cut) {
		// Nothing to replace: pass the held bytes and p's final part on
		// as they are, without copying p. (When b is in use, cut is at
		// least len(a).)
		if len(a) > 0 {
			if err := w.emit(a); err != nil {
				return err
			}
		}
		w.keep(b, cut-len(a))
		if len(e.segs) > 1 {
			w.r.compactIfWorth(e, len(p))
		}
		return w.emit(b[:cut-len(a)])
	}
	out := w.out[:0]
	pos := 0
	if w.inRun {
		pos = w.cover
	}
	for _, m := range ms {
		if m.start >= cut {
			break
		}
		if w.inRun && m.start <= w.cover {
			w.cover = max(w.cover, m.end)
			pos = w.cover
			continue
		}
		out = appendSpan(out, a, b, pos, m.start)
		out = append(out, w.r.marker...)
		w.inRun, w.cover, pos = true, m.end, m.end
	}
	if !w.inRun || w.cover < cut {
		out = appendSpan(out, a, b, pos, cut)
		w.inRun = false
	} else {
		w.cover -= cut
	}
	if final {
		w.inRun = false
	}
	// Keep a ++ b from cut on. When b is in use, cut >= len(a).
	if len(b) > 0 {
		w.keep(b, cut-len(a))
	} else {
		n := copy(w.buf, w.buf[cut:])
		w.buf = w.buf[:n]
	}
	w.out = out[:0]
	w.r.compactIfWorth(e, len(p))
	return w.emit(out)
}

// keep makes b[from:], the end of a write, the held bytes. Usually they
// are 0 to 3 bytes, taken from b's last 4 without a branch on how many.
func (w *Writer) keep(b []byte, from int) {
	if h := len(b) - from; h <= 3 && len(b) >= 4 && cap(w.buf) >= 4 {
		buf := w.buf[:4]
		binary.LittleEndian.PutUint32(buf, binary.LittleEndian.Uint32(b[len(b)-4:])>>(32-8*h))
		w.buf = buf[:h]
		return
	}
	w.buf = append(w.buf[:0], b[from:]...)
}

// holdFrom returns the first position at or after from where an
// occurrence could begin in text (the end of the stream) and end beyond
// it. It runs after find, while the end of text is still in the cache.
// Usually the last 4 bytes of text end no proper prefix of 4 bytes or
// more, and only the last 3 positions are left to check; otherwise the
// tiers scan the end of text for the proper prefixes (tailPartial). find
// is not asked to track them: that cost the rare-byte engine a scan of
// the tail on every write.
func (w *Writer) holdFrom(e *engine, text []byte, from int) int {
	if len(text) >= 4 {
		g := binary.LittleEndian.Uint32(text[len(text)-4:])
		if len(e.segs) == 1 {
			if m := e.segs[0]; !m.mayEndLongPrefix(g) {
				return m.shortHold(text, from)
			}
		} else if e.shortTail(g) {
			return e.holdShort(text, from)
		}
	}
	parts := w.partials(len(e.segs))
	for i, m := range e.segs {
		parts[i] = len(text)
		m.tailPartial(text, &parts[i])
	}
	return e.holdFrom(text, from, parts)
}

// findWrite is e.find for the bytes of a write. With only a long tier,
// the usual set (one segment of secrets of 16 bytes or more, too many
// patterns for the rare-byte engine), it calls the tier directly: a
// Writer finds in every write, and the layers of engine.find (and
// IsSortedFunc's call on no match) cost about 7 ns of the 107 that
// finding in a 2 KiB write takes at 10 secrets. Redact scans 128 KiB
// blocks, where those layers do not show, and keeps engine.find.
func findWrite(e *engine, text []byte, out []match) []match {
	if len(e.segs) == 1 {
		if m := e.segs[0]; m.rare == nil && m.mid == nil && !m.tinyOn && m.long != nil {
			out = m.scanTier(m.long, text, 0, len(text), out, nil)
			if len(out) > 1 && !slices.IsSortedFunc(out, cmpMatch) {
				slices.SortFunc(out, cmpMatch)
			}
			return out
		}
	}
	return e.find(text, out)
}

// junctionScan is the most held bytes for which the Writer looks up the
// patterns starting at each of them instead of scanning the junction.
const junctionScan = 16

func (w *Writer) partials(n int) []int {
	if cap(w.part) < n {
		w.part = make([]int, n)
	}
	w.part = w.part[:n]
	return w.part
}

// appendSpan appends (a ++ b)[from:to] to out.
func appendSpan(out, a, b []byte, from, to int) []byte {
	if from >= to {
		return out
	}
	if from < len(a) {
		out = append(out, a[from:min(to, len(a))]...)
	}
	if to > len(a) {
		out = append(out, b[max(from-len(a), 0):to-len(a)]...)
	}
	return out
}

func (w *Writer) emit(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return err
	}
	return nil
}
