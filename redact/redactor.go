package redact

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// defaultMarker replaces every redacted run. It is the marker k6 prints.
const defaultMarker = "***SECRET_REDACTED***"

// Options configures a Redactor. The zero value uses defaultMarker and
// every encoded variant.
type Options struct {
	// Marker replaces each redacted run of bytes. Empty means
	// defaultMarker.
	Marker string
	// Disable switches variants off, for example Base64Std|Base64URL.
	// Raw cannot be switched off.
	Disable Variant
	// MinLength is the length in bytes of the shortest secret Add
	// registers; Add refuses shorter ones with ErrShortSecret. Zero means
	// defaultMinLength; 1 registers every secret that is not blank.
	MinLength int
}

// defaultMinLength is the shortest secret registered by default, in bytes.
// A shorter secret would redact unrelated text everywhere (a secret "a"
// removes every "a" from the log) and is guessable anyway; see the
// package documentation.
const defaultMinLength = 4

// ErrShortSecret is returned (wrapped, with the minimum) by Add for a
// secret shorter than Options.MinLength. The secret is not registered.
//
// It carries the Invalid code of every strongbox package (errors.Is(err,
// secrets.ErrInvalid) holds). A blank (empty or whitespace-only) secret
// is refused with an error that matches ErrShortSecret too: redacting it
// would mangle every line.
var ErrShortSecret error = &errcode.Error{Code: errcode.Invalid, Op: "redact", Msg: "secret too short to redact"}

// errBlankSecret is returned by Add for an empty or whitespace-only
// secret; it matches ErrShortSecret.
var errBlankSecret = fmt.Errorf("%w (blank)", ErrShortSecret)

// Redactor holds a set of secrets and replaces them, and their encoded
// variants, in text. Add may be called at any time, also while other
// goroutines redact; a secret is redacted by every Redact, Writer write and
// slog record that starts after its Add returned.
//
// The zero Redactor is not usable; call New.
type Redactor struct {
	marker  []byte
	enabled Variant
	minLen  int

	mu      sync.Mutex
	secrets []string       // in order of first Add; the index is the secret ID
	seen    map[string]int // secret -> ID
	segs    []segment      // under mu; published as engine
	dirty   atomic.Bool    // secrets were added since the engine was built
	eng     atomic.Pointer[engine]
	count   atomic.Int64 // len(secrets), for cheap change detection

	scratch sync.Pool // *[]match
}

// segment is a matcher over the secrets with IDs in [lo, hi).
type segment struct {
	lo, hi int
	m      *matcher
}

// engine is an immutable snapshot of all segments.
type engine struct {
	segs    []*matcher
	maxLen  int
	maxK    int          // the largest stride of any tier (1 for tiny patterns)
	tiny    bool         // some matcher has patterns shorter than 4 bytes
	scanned atomic.Int64 // bytes scanned; used to decide to compact segments
	compact int64
}

// New returns an empty Redactor.
func New(opts Options) *Redactor {
	r := &Redactor{
		marker:  []byte(opts.Marker),
		enabled: allVariants&^opts.Disable | Raw,
		minLen:  opts.MinLength,
		seen:    map[string]int{},
	}
	if r.minLen == 0 {
		r.minLen = defaultMinLength
	}
	r.minLen = max(r.minLen, 1)
	if len(r.marker) == 0 {
		r.marker = []byte(defaultMarker)
	}
	r.eng.Store(&engine{})
	r.scratch.New = func() any { s := make([]match, 0, 64); return &s }
	return r
}

// Add registers a secret. It refuses, with an error that never holds the
// secret, a blank secret and one shorter than Options.MinLength bytes
// (both ErrShortSecret); a refused secret is not redacted, so the caller
// must not print it. Adding a secret again does nothing and returns nil.
// To add several, call Add for each.
func (r *Redactor) Add(secret string) error {
	if strings.TrimSpace(secret) == "" {
		return errBlankSecret
	}
	if len(secret) < r.minLen {
		return fmt.Errorf("%w: shorter than %d bytes (Options.MinLength)", ErrShortSecret, r.minLen)
	}
	r.mu.Lock()
	if _, ok := r.seen[secret]; !ok {
		secret = strings.Clone(secret)
		r.seen[secret] = len(r.secrets)
		r.secrets = append(r.secrets, secret)
		r.count.Store(int64(len(r.secrets)))
		r.dirty.Store(true)
	}
	r.mu.Unlock()
	return nil
}

// addAll adds every secret, as Add does, and returns the errors for those
// it refused, each naming the secret's index.
func (r *Redactor) addAll(secrets ...string) error {
	var errs []error
	for i, s := range secrets {
		if err := r.Add(s); err != nil {
			errs = append(errs, fmt.Errorf("secret %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// Format and MarshalText (which encoding/json and the slog handlers use)
// show only the number of secrets, never a secret: a Redactor holds them
// all. Format prints the same under every verb, %#v included.
func (r *Redactor) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, r.text()) }
func (r *Redactor) MarshalText() ([]byte, error) { return []byte(r.text()), nil }

func (r *Redactor) text() string {
	return fmt.Sprintf("redact.Redactor{secrets: %d}", r.len())
}

// len returns the number of distinct secrets registered.
func (r *Redactor) len() int { return int(r.count.Load()) }

// ID returns the ID that Scan reports for secret, and whether it was added.
// IDs count from 0 in the order secrets were first added.
func (r *Redactor) ID(secret string) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.seen[secret]
	return id, ok
}

// engine returns the current snapshot, building it if secrets were added.
func (r *Redactor) engine() *engine {
	if r.dirty.Load() {
		r.refresh()
	}
	return r.eng.Load()
}

// refresh builds a segment from the secrets added since the last build.
// Segments are merged like a binary counter (a new segment absorbs older
// ones no more than twice its size), so adding n secrets one at a time with
// redaction in between costs O(n log n) pattern builds, and there are at
// most log2(n)+1 segments. compactIfWorth later merges them into one.
func (r *Redactor) refresh() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dirty.Load() {
		return
	}
	hi := len(r.secrets)
	lo := 0
	if n := len(r.segs); n > 0 {
		lo = r.segs[n-1].hi
	}
	for n := len(r.segs); n > 0 && 2*(hi-lo) >= r.segs[n-1].hi-r.segs[n-1].lo; n = len(r.segs) {
		lo = r.segs[n-1].lo
		r.segs = r.segs[:n-1]
	}
	r.segs = append(r.segs, segment{lo: lo, hi: hi, m: r.build(lo, hi)})
	r.publish()
	r.dirty.Store(false)
}

// compactIfWorth merges all segments into one once enough text has been
// scanned to pay for it. It never blocks a caller on the mutex.
func (r *Redactor) compactIfWorth(e *engine, n int) {
	if len(e.segs) < 2 || e.scanned.Add(int64(n)) < e.compact {
		return
	}
	if !r.mu.TryLock() {
		return
	}
	defer r.mu.Unlock()
	if r.eng.Load() != e || r.dirty.Load() {
		return
	}
	hi := len(r.secrets)
	r.segs = []segment{{lo: 0, hi: hi, m: r.build(0, hi)}}
	r.publish()
}

func (r *Redactor) publish() {
	e := &engine{}
	var patBytes int64
	for _, s := range r.segs {
		e.segs = append(e.segs, s.m)
		e.maxLen = max(e.maxLen, s.m.maxLen)
		e.maxK = max(e.maxK, s.m.maxK())
		e.tiny = e.tiny || s.m.tinyOn
		patBytes += int64(len(s.m.arena))
	}
	// Building costs on the order of a hundred times more per pattern
	// byte than scanning a byte of text with one extra segment.
	e.compact = 128*patBytes + 1<<20
	r.eng.Store(e)
}

// build makes a matcher over the variants of secrets [lo, hi).
func (r *Redactor) build(lo, hi int) *matcher {
	seen := make(map[string]struct{}, (hi-lo)*8)
	specs := make([]patSpec, 0, (hi-lo)*8)
	for id := lo; id < hi; id++ {
		appendVariants(r.secrets[id], r.enabled, r.minLen, func(p string, v Variant) {
			if p == "" {
				return
			}
			if _, ok := seen[p]; ok {
				return
			}
			seen[p] = struct{}{}
			specs = append(specs, patSpec{s: p, secret: int32(id), variant: v})
		})
	}
	return newMatcher(specs)
}

// find appends every occurrence of every pattern to out, sorted by start.
func (e *engine) find(text []byte, out []match) []match {
	for _, m := range e.segs {
		out = m.find(text, out)
	}
	if !slices.IsSortedFunc(out, cmpMatch) {
		slices.SortFunc(out, cmpMatch)
	}
	return out
}

func cmpMatch(a, b match) int {
	if a.start != b.start {
		return a.start - b.start
	}
	return a.end - b.end
}

// startsIn appends the occurrences that start in text[:n], in order of
// start, looking up the patterns by their first 4 bytes at each position.
// No pattern may be shorter than 4 bytes (e.tiny false), and text must
// have 3 bytes after n.
func (e *engine) startsIn(text []byte, n int, out []match) []match {
	k := len(out)
	for _, m := range e.segs {
		for j := range n {
			out = m.startsAt(text, j, out)
		}
	}
	if len(e.segs) > 1 && !slices.IsSortedFunc(out[k:], cmpMatch) {
		slices.SortFunc(out[k:], cmpMatch)
	}
	return out
}

// mayStartBefore reports whether a pattern may start in the n bytes just
// before b and end in b (see matcher.mayStartBefore). No pattern may be
// shorter than 4 bytes (e.tiny false).
func (e *engine) mayStartBefore(b []byte, n int) bool {
	for _, m := range e.segs {
		if m.mayStartBefore(b, n) {
			return true
		}
	}
	return false
}

// mayStartIn reports whether a pattern may start at one of the first n
// bytes of a ++ b (b has at least 3 bytes; no pattern is shorter than 4
// bytes), by the first check of startsIn, without joining a and b.
func (e *engine) mayStartIn(a, b []byte, n int) bool {
	for j := range n {
		var w [4]byte
		k := copy(w[:], a[j:])
		copy(w[k:], b)
		g := binary.LittleEndian.Uint32(w[:])
		for _, m := range e.segs {
			if m.mayStartWith(g) {
				return true
			}
		}
	}
	return false
}

// shortTail reports whether no proper prefix of 4 bytes or more of any
// pattern can end a text whose last 4 bytes are g (little-endian), so
// that holdShort gives what holdFrom would. It is exact when it says yes.
func (e *engine) shortTail(g uint32) bool {
	for _, m := range e.segs {
		if m.mayEndLongPrefix(g) {
			return false
		}
	}
	return true
}

// holdShort is holdFrom for a text b (4 bytes or more) that passed
// shortTail: only its last 3 positions can start a proper prefix.
func (e *engine) holdShort(b []byte, from int) int {
	j := len(b)
	for _, m := range e.segs {
		j = min(j, m.shortHold(b, from))
	}
	return j
}

// holdFrom returns the first position at or after from where an
// occurrence could begin and end beyond b (see matcher.holdFrom);
// partials is what tailPartial reported for each matcher.
func (e *engine) holdFrom(b []byte, from int, partials []int) int {
	j := len(b)
	for i, m := range e.segs {
		j = min(j, m.holdFrom(b, from, partials[i]))
	}
	return j
}

// Redact appends src to dst with every occurrence of every variant of
// every secret replaced, and returns the extended slice. Overlapping and
// adjacent occurrences form one run, replaced by one marker. dst and src
// must not overlap. Redact is safe for concurrent use.
func (r *Redactor) Redact(dst, src []byte) []byte {
	e := r.engine()
	if len(e.segs) == 0 {
		return append(dst, src...)
	}
	sp := r.scratch.Get().(*[]match)
	var ms []match
	if len(src) <= 2*redactBlock {
		ms = e.find(src, (*sp)[:0])
		dst = appendRedacted(dst, src, ms, r.marker)
	} else {
		dst, ms = e.redactBlocks(dst, src, (*sp)[:0], r.marker, len(src) >= streamMinText)
	}
	*sp = ms[:0]
	r.scratch.Put(sp)
	r.compactIfWorth(e, len(src))
	return dst
}

// redactBlock is the stretch of text Redact scans before it copies it out,
// so that the copy reads what the scan left in the cache (L2) and the
// occurrences pending at once stay few. Blocks of 32 KiB were slower:
// Redact ran 1.04-1.15 times as fast with 128 KiB (paired rounds on the
// reference workload, 1 to 10,000 secrets), about as fast as with 1 or
// 4 MiB, and 0.8-0.9 times as fast with 8 KiB.
const redactBlock = 128 << 10

// redactBlocks is Redact for long texts: it scans src a block at a time
// and after each block appends to dst what is final. After the samples of
// [0, to), every occurrence that starts at or before to-maxK is known
// (see matcher.findRange), and later ones start after it; so the text
// before to-maxK+1 is final unless a marker run reaches it. With stream,
// it writes long spans with copyStream (see streamMinText).
func (e *engine) redactBlocks(dst, src []byte, ms []match, marker []byte, stream bool) ([]byte, []match) {
	em := emitter{dst: dst, src: src, marker: marker, stream: stream}
	if stream {
		// The output is about as long as src: grow dst once rather than
		// copy it over at every doubling.
		em.dst = slices.Grow(dst, len(src))
		defer storeFence()
	}
	var rare [8]bool
	for i, m := range e.segs[:min(len(e.segs), len(rare))] {
		rare[i] = m.useRare()
	}
	for from := 0; from < len(src); from += redactBlock {
		to := min(from+redactBlock, len(src))
		n := len(ms)
		for i, m := range e.segs {
			ms = m.findRange(src, from, to, ms, i < len(rare) && rare[i])
		}
		if len(ms) > n || n > 0 {
			if !slices.IsSortedFunc(ms, cmpMatch) {
				slices.SortFunc(ms, cmpMatch)
			}
		}
		final := to - e.maxK + 1
		if to == len(src) {
			final = to
		}
		i := 0
		for ; i < len(ms) && ms[i].start < final; i++ {
			em.add(ms[i])
		}
		ms = append(ms[:0], ms[i:]...)
		em.flush(final)
	}
	em.flush(len(src))
	return em.finish(), ms
}

// emitter writes redacted text given the occurrences in order of start.
type emitter struct {
	dst, src, marker []byte
	pos              int  // src[:pos] is written or covered by a marker
	inRun            bool // a marker was written for src[pos:runEnd]
	runEnd           int
	stream           bool // copy long spans with copyStream
}

// streamMinText and streamMinSpan decide when Redact writes its output
// with non-temporal stores (copyStream): for a text of 1 MiB or more, the
// size from which the runtime's memmove does so for one copy, and for
// spans of 512 bytes or more. Such an output does not fit in the core's
// caches: an ordinary store first reads each line of dst from memory
// only to overwrite it, and the copy out, in the pieces between
// occurrences, cost more than the scan. On a machine where the reference
// workload does not stay in L3, Redact ran 1.1 to 1.3 times as fast
// with them (1.3-2.7x strings.Replacer with one secret, from 1.0x).
const (
	streamMinText = 1 << 20
	streamMinSpan = 512
)

// put appends b to the output.
func (em *emitter) put(b []byte) {
	if !em.stream || len(b) < streamMinSpan {
		em.dst = append(em.dst, b...)
		return
	}
	n := len(em.dst)
	em.dst = slices.Grow(em.dst, len(b))[:n+len(b)]
	copyStream(em.dst[n:], b)
}

func (em *emitter) add(m match) {
	if em.inRun {
		if m.start <= em.runEnd {
			em.runEnd = max(em.runEnd, m.end)
			return
		}
		em.pos, em.inRun = em.runEnd, false
	}
	em.put(em.src[em.pos:m.start])
	em.dst = append(em.dst, em.marker...)
	em.pos, em.inRun, em.runEnd = m.start, true, m.end
}

// flush writes the text before end, which no occurrence found later can
// touch. A run that reaches end stays open.
func (em *emitter) flush(end int) {
	if em.inRun {
		if em.runEnd >= end && end < len(em.src) {
			return
		}
		em.pos, em.inRun = em.runEnd, false
	}
	if end > em.pos {
		em.put(em.src[em.pos:end])
		em.pos = end
	}
}

func (em *emitter) finish() []byte {
	if em.inRun {
		em.pos, em.inRun = em.runEnd, false
	}
	em.put(em.src[em.pos:])
	return em.dst
}

// RedactString returns s redacted.
func (r *Redactor) RedactString(s string) string {
	e := r.engine()
	if len(e.segs) == 0 {
		return s
	}
	// find only reads the text, so viewing s as bytes is safe.
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	sp := r.scratch.Get().(*[]match)
	ms := e.find(b, (*sp)[:0])
	if len(ms) > 0 {
		s = string(appendRedacted(make([]byte, 0, len(s)), b, ms, r.marker))
	}
	*sp = ms[:0]
	r.scratch.Put(sp)
	return s
}

// appendRedacted appends src to dst with the merged runs of ms (sorted by
// start) replaced by marker.
func appendRedacted(dst, src []byte, ms []match, marker []byte) []byte {
	if len(ms) == 0 {
		return append(dst, src...)
	}
	pos := 0
	for i := 0; i < len(ms); {
		start, end := ms[i].start, ms[i].end
		for i++; i < len(ms) && ms[i].start <= end; i++ {
			end = max(end, ms[i].end)
		}
		dst = append(dst, src[pos:start]...)
		dst = append(dst, marker...)
		pos = end
	}
	return append(dst, src[pos:]...)
}

// Leak is one occurrence of a secret (in some variant) in scanned text.
type Leak struct {
	Offset, Length int     // the bytes src[Offset:Offset+Length]
	SecretID       int     // see Redactor.ID; never the value
	Variant        Variant // the form it was found in
}

// Scan reports every occurrence of every variant of every secret in src,
// sorted by offset (then length), without copying or printing any of it.
// Overlapping occurrences are all reported. When two secrets share a
// variant (for example a common line), the occurrence is reported once,
// for the secret added first.
func (r *Redactor) Scan(src []byte) []Leak {
	e := r.engine()
	var leaks []Leak
	for _, m := range e.segs {
		for _, x := range m.find(src, nil) {
			p := m.pats[x.pat]
			leaks = append(leaks, Leak{Offset: x.start, Length: x.end - x.start, SecretID: int(p.secret), Variant: p.variant})
		}
	}
	slices.SortFunc(leaks, func(a, b Leak) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		if a.Length != b.Length {
			return a.Length - b.Length
		}
		return a.SecretID - b.SecretID
	})
	// A variant shared by secrets in different segments is found twice.
	return slices.CompactFunc(leaks, func(a, b Leak) bool {
		return a.Offset == b.Offset && a.Length == b.Length
	})
}
