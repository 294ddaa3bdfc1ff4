package redact

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// The matching engine.
//
// A matcher is immutable once built (except that the rare-byte engine can
// switch itself off). If its set is small enough, the rare-byte engine
// (rare.go) finds the occurrences. Otherwise, patterns (every variant of
// every secret) are split by length into three tiers:
//
//   - long (16 bytes or more): the text is sampled every k bytes, where
//     k = shortest long pattern - q + 1 (at most maxStride), q = 4 for
//     sets of at most smallGrams (65,536) grams and 5 for larger ones. At each
//     sample the q bytes there (a gram) are hashed into a blocked Bloom
//     filter (two bits in one 64-bit word) that holds the grams of every
//     long pattern at offsets 0..k-1. An occurrence of a pattern of length
//     >= k+q-1 that starts at s covers exactly one sample i in [s, s+k),
//     and the gram at i is the pattern's gram at offset i-s, so the filter
//     never rejects a real occurrence. Only on a filter hit is a bucket of
//     (gram, pattern, offset) entries read and candidate patterns compared
//     exactly. On ordinary log text almost every sample misses the filter,
//     so the cost is one load, multiply and word test per k bytes (k = 12
//     or 13 for 16-byte secrets).
//   - mid (4 to 15 bytes): the same with 4-byte grams and a stride of
//     shortest mid pattern - 3.
//   - tiny (1 to 3 bytes, only with a lowered Options.MinLength): every
//     byte is looked up in a 256-entry table of first bytes.
//
// The tiers also serve the Writer's hold-back (holdFrom), whichever engine
// finds the occurrences, when a Bloom filter of the 4-byte ends of proper
// prefixes (endBloom) does not rule long proper prefixes out.

const (
	longMin = 16
	longQ   = 5
	// smallGrams is the most grams a tier of long patterns may have to be
	// sampled with 4-byte grams. With the filters' 256-512 bits per gram,
	// 4-byte grams stay selective up to some 1,000 secrets and sample with
	// a stride one longer through next4's 32-bit loads: Redact at 100
	// secrets ran at 11.5-11.6 GB/s against 8.6-10.2 with the former limit
	// of 2,048 grams, at 1,000 at 7.9-11.1 against 7.2-7.5 (thread CPU,
	// TestBenchmarkRatios, two runs each). 10,000 secrets keep 5-byte
	// grams: with 4 they measured no faster.
	smallGrams = 1 << 16
	mask6      = 1<<48 - 1
	maxStride  = 32
	hashMul    = 0x9E3779B97F4A7C15
)

// pattern is one string to find, stored in matcher.arena.
type pattern struct {
	off, n  uint32
	secret  int32
	variant Variant
}

// match is an occurrence of pattern pat at text[start:end].
type match struct {
	start, end int
	pat        uint32
}

// entry is a gram of pattern pat at offset off, with the pattern's place
// in the arena, so that verify reads the bucket and the pattern's bytes
// and nothing between them.
type entry struct {
	gram     uint64
	pat, off uint32
	aoff, n  uint32 // the pattern is arena[aoff:aoff+n]
}

type tier struct {
	q      int      // gram length, 4 or 8
	k      int      // stride
	bshift uint     // word index of the filter = hash >> bshift
	bits   []uint64 // blocked Bloom filter: two bits per gram, in one word
	hshift uint
	heads  []uint32
	ents   []entry
	// next returns the first sample position j in i, i+k, i+2k, ...
	// below to whose gram may be in the filter, or -1: the tier's loop,
	// next4 for 4-byte grams or nextQ for longer ones, chosen once when
	// the tier is built so that a scan calls the loop itself.
	next func(text []byte, i, to int) int
}

type matcher struct {
	arena  []byte
	pats   []pattern
	long   *tier
	mid    *tier
	tiny   [256][]uint32
	tinyOn bool
	rare   *rareEngine // nil unless the set is small enough
	maxLen int
	hold   int // proper prefixes this long or longer are seen by find's samples

	// Index for "could a pattern start here", used by the Writer to
	// decide what it must hold back.
	has4       bool      // some pattern has exactly 4 bytes
	first      [4]uint64 // first bytes of patterns of 2+ bytes
	pair2      []uint64  // exact set of the first 2 bytes of patterns of 3+ bytes
	pre3       []uint64  // Bloom filter (one bit) of the first 3 bytes of patterns of 4+ bytes
	shortFirst [4]uint64 // first bytes of patterns shorter than 4, for scanTiny
	prefHeads  []uint32  // patterns of 4+ bytes by prefHash of their first 4 bytes
	prefIDs    []uint32
	prefHBits  uint
	prefPair   []uint64 // exact set of the first 2 bytes of patterns of 5+ bytes
	prefBloom  []uint64 // blocked Bloom filter of the first 4 bytes of patterns of 5+ bytes
	prefShift  uint
	// endBloom is a blocked Bloom filter of every 4 bytes that end a
	// proper prefix of 4 bytes or more (p[i-4:i] for 4 <= i < len(p)).
	// When the last 4 bytes of a text miss it, no such prefix ends the
	// text, and the Writer's hold-back only has the last 3 positions to
	// check (shortHold).
	endBloom []uint64
	endShift uint
}

type patSpec struct {
	s       string
	secret  int32
	variant Variant
}

func setBit(b []uint64, i uint64)      { b[i>>6] |= 1 << (i & 63) }
func hasBit(b []uint64, i uint64) bool { return bitOf(b, i) != 0 }

// bitOf is bit i of b as 0 or 1, for tests that combine bits without a
// branch.
func bitOf(b []uint64, i uint64) uint64 { return b[i>>6] >> (i & 63) & 1 }

func newMatcher(specs []patSpec) *matcher {
	m := &matcher{}
	m.prefHBits = uint(min(max(bits.Len(uint(len(specs))), 8), 20))
	m.prefHeads = make([]uint32, 1<<m.prefHBits+1)
	total := 0
	for _, sp := range specs {
		total += len(sp.s)
	}
	m.arena = make([]byte, 0, total)
	m.pats = make([]pattern, 0, len(specs))
	var long, mid []uint32
	for _, sp := range specs {
		p := pattern{off: uint32(len(m.arena)), n: uint32(len(sp.s)), secret: sp.secret, variant: sp.variant}
		m.arena = append(m.arena, sp.s...)
		id := uint32(len(m.pats))
		m.pats = append(m.pats, p)
		m.maxLen = max(m.maxLen, len(sp.s))
		c := uint64(sp.s[0])
		if len(sp.s) >= 2 {
			setBit(m.first[:], c)
		}
		switch {
		case len(sp.s) >= longMin:
			long = append(long, id)
		case len(sp.s) >= 4:
			mid = append(mid, id)
		default:
			m.tiny[c] = append(m.tiny[c], id)
			m.tinyOn = true
			setBit(m.shortFirst[:], c)
		}
		if len(sp.s) >= 4 {
			m.prefHeads[m.prefHash(binary.LittleEndian.Uint32([]byte(sp.s[:4])))+1]++
		}
		m.has4 = m.has4 || len(sp.s) == 4
	}
	for i := 1; i < len(m.prefHeads); i++ {
		m.prefHeads[i] += m.prefHeads[i-1]
	}
	m.prefIDs = make([]uint32, m.prefHeads[len(m.prefHeads)-1])
	pb := min(max(bits.Len(uint(len(m.pats)))+6, 12), 22)
	m.prefBloom = make([]uint64, 1<<pb/64)
	m.prefPair = make([]uint64, 1<<16/64)
	m.pair2 = make([]uint64, 1<<16/64)
	m.pre3 = make([]uint64, 1<<16/64)
	m.prefShift = uint(64 - (pb - 6))
	nEnd := 0
	for _, p := range m.pats {
		nEnd += max(int(p.n)-4, 0)
	}
	// About 16 bits per gram, at most 1 MiB: a fuller filter only sends
	// more writes down the slow path, which is exact.
	eb := min(max(bits.Len(uint(nEnd))+4, 12), 23)
	m.endBloom = make([]uint64, 1<<eb/64)
	m.endShift = uint(64 - (eb - 6))
	fill := make([]uint32, len(m.prefHeads)-1)
	copy(fill, m.prefHeads)
	for id, p := range m.pats {
		if p.n >= 3 {
			setBit(m.pair2, uint64(binary.LittleEndian.Uint16(m.arena[p.off:])))
		}
		if p.n >= 4 {
			setBit(m.pre3, hash3(m.arena[p.off:]))
		}
		if p.n > 4 {
			h := uint64(binary.LittleEndian.Uint32(m.arena[p.off:])) * hashMul
			m.prefBloom[h>>m.prefShift] |= bloomMask(h)
			setBit(m.prefPair, uint64(binary.LittleEndian.Uint16(m.arena[p.off:])))
		}
		for i := 4; i < int(p.n); i++ {
			h := uint64(binary.LittleEndian.Uint32(m.arena[int(p.off)+i-4:])) * hashMul
			m.endBloom[h>>m.endShift] |= bloomMask(h)
		}
		if p.n >= 4 {
			h := m.prefHash(binary.LittleEndian.Uint32(m.arena[p.off:]))
			m.prefIDs[fill[h]] = uint32(id)
			fill[h]++
		}
	}
	m.hold = 4
	if len(long) > 0 {
		// Small sets sample 4-byte grams, which allows a longer stride;
		// large ones need 6 bytes to keep the filter selective.
		q := longQ
		if len(long)*(m.minLen(long)-3) <= smallGrams {
			q = 4
		}
		m.long = m.newTier(q, long)
		m.hold = max(m.hold, m.long.k+m.long.q-1)
	}
	if len(mid) > 0 {
		m.mid = m.newTier(4, mid)
		m.hold = max(m.hold, m.mid.k+m.mid.q-1)
	}
	m.rare = m.buildRare()
	return m
}

// bloomMask picks the two bits of a filter word that a gram with hash h
// sets. The word index uses the top bits of h, the mask bits 32-43 (which
// depend on the gram's first five and a half bytes).
func bloomMask(h uint64) uint64 { return 1<<(h>>32&63) | 1<<(h>>38&63) }

func (m *matcher) prefHash(g uint32) uint64 { return (uint64(g) * hashMul) >> (64 - m.prefHBits) }

func (m *matcher) gram(q int, p pattern, off int) uint64 {
	return gramQ(m.arena[int(p.off)+off:], q)
}

// gramQ returns the first q bytes of b (4, 5 or 6) as a little-endian
// number.
func gramQ(b []byte, q int) uint64 {
	switch q {
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 5:
		return uint64(binary.LittleEndian.Uint32(b)) | uint64(b[4])<<32
	}
	return gram6(b)
}

func (m *matcher) minLen(ids []uint32) int {
	n := int(^uint(0) >> 1)
	for _, id := range ids {
		n = min(n, int(m.pats[id].n))
	}
	return n
}

func (m *matcher) newTier(q int, ids []uint32) *tier {
	k := min(m.minLen(ids)-q+1, maxStride)
	nEnt := len(ids) * k
	lg := bits.Len(uint(nEnt))
	// Filter bits: 256 to 512 per gram, at most 2 MiB. The hot loop
	// (next) tests the first of a gram's two bits with a branch, which
	// mispredicts whenever that bit is set: at 64 bits per gram (2 of 64
	// set) that was one sample in 30 to 60, and a quarter of the time of
	// sampling 10 to 1,000 secrets. Four times as many bits made find 1.2
	// to 1.4 times as fast at 10, 100 and 1,000 secrets (13.9 -> 18-20,
	// 14.7 -> 16-18, 12 -> 14-15 GB/s), although the filter of 1,000
	// secrets no longer fits in L2. 10,000 secrets stay at 2 MiB (about 23
	// bits per gram): 4 MiB gained nothing measurable, and a smaller
	// filter sends 12 to 70 times as many samples to verify.
	bb := min(max(lg+8, 12), 24)
	hb := min(max(lg, 4), 22) // buckets: ~1 entry each
	t := &tier{
		q: q, k: k,
		bshift: uint(64 - (bb - 6)), bits: make([]uint64, 1<<bb/64),
		hshift: uint(64 - hb), heads: make([]uint32, 1<<hb+1),
		ents: make([]entry, nEnt),
	}
	t.next = t.nextQ
	if q == 4 {
		t.next = t.next4
	}
	for _, id := range ids {
		p := m.pats[id]
		for off := range k {
			h := m.gram(q, p, off) * hashMul
			t.bits[h>>t.bshift] |= bloomMask(h)
			t.heads[h>>t.hshift+1]++
		}
	}
	for i := 1; i < len(t.heads); i++ {
		t.heads[i] += t.heads[i-1]
	}
	fill := make([]uint32, 1<<hb)
	copy(fill, t.heads)
	for _, id := range ids {
		p := m.pats[id]
		for off := range k {
			g := m.gram(q, p, off)
			b := (g * hashMul) >> t.hshift
			t.ents[fill[b]] = entry{gram: g, pat: id, off: uint32(off), aoff: p.off, n: p.n}
			fill[b]++
		}
	}
	return t
}

// find appends every occurrence of every pattern in text to out, in no
// particular order.
func (m *matcher) find(text []byte, out []match) []match {
	return m.findRange(text, 0, len(text), out, m.useRare())
}

// useRare reports whether the rare-byte engine is on. A caller decides
// once per text and passes the answer to every findRange over it: the
// engines see an occurrence at different positions, so switching between
// blocks could miss one.
func (m *matcher) useRare() bool { return m.rare != nil && !m.rare.off.Load() }

// findRange is find restricted to the samples at positions in [from, to):
// it appends the occurrences (anywhere in text) that those samples see.
// Each tier samples the positions that are multiples of its stride k, and
// an occurrence starting at s is seen by exactly one sample of each tier it
// belongs to, in [s, s+k). So calling findRange over consecutive ranges
// finds every occurrence once, and after the range [from, to) every
// occurrence that starts at or before to-k has been found. With rare, the
// rare-byte engine finds them instead, at the pattern's needle byte, at
// most lag-1 bytes after the start.
func (m *matcher) findRange(text []byte, from, to int, out []match, rare bool) []match {
	if rare {
		return m.rare.find(m, text, from, to, out)
	}
	if t := m.long; t != nil {
		out = m.scanTier(t, text, from, to, out, nil)
	}
	if t := m.mid; t != nil {
		out = m.scanTier(t, text, from, to, out, nil)
	}
	if m.tinyOn {
		out = m.scanTiny(text, from, to, out)
	}
	return out
}

// tailPartial lowers *partial to the start of the earliest proper prefix
// of a pattern ending text that the sampling tiers see (see holdFrom): it
// runs them over the end of text where a proper prefix can start, and
// drops the occurrences they find, which find reported. The Writer calls
// it only when the last 4 bytes of text may end a proper prefix of 4
// bytes or more (mayEndLongPrefix), so that find need not track partial
// prefixes on every write.
func (m *matcher) tailPartial(text []byte, partial *int) {
	base := max(len(text)-m.maxLen+1, 0)
	p := len(text) - base
	var scratch [8]match
	tail := text[base:]
	for _, t := range []*tier{m.long, m.mid} {
		if t != nil {
			_ = m.scanTier(t, tail, 0, len(tail), scratch[:0], &p)
		}
	}
	*partial = min(*partial, base+p)
}

// scanTier runs the tier's samples in [from, to) and verifies the hits.
// If partial is not nil, it also lowers *partial to the start of any
// proper prefix of a pattern that ends text and that a sample saw.
func (m *matcher) scanTier(t *tier, text []byte, from, to int, out []match, partial *int) []match {
	k := t.k
	i := 0
	if from > 0 {
		i = (from + k - 1) / k * k
	}
	for {
		i = t.next(text, i, to)
		if i < 0 {
			return out
		}
		out = m.verify(t, text, i, t.gram(text[i:]), out, partial)
		i += k
	}
}

// mayStartBefore reports whether a pattern (of 4 bytes or more) may
// start in the n bytes just before b, as the Writer asks of the bytes it
// held back. If n is below the stride k of every tier, no pattern fits in
// those n bytes (a tier's patterns have k+q-1 bytes or more), and an
// occurrence that starts there holds b's first gram at an offset in 1..n,
// below k, so that gram is in its tier's filter: if every filter misses,
// as for almost every text, none starts there. With n >= k it cannot
// tell and answers yes.
func (m *matcher) mayStartBefore(b []byte, n int) bool {
	for _, t := range [2]*tier{m.long, m.mid} {
		if t != nil && (n >= t.k || len(b) < t.q || t.has(t.gram(b))) {
			return true
		}
	}
	return false
}

// maxK returns the largest stride of the matcher's tiers.
func (m *matcher) maxK() int {
	k := 1
	if m.rare != nil {
		k = m.rare.lag
	}
	if m.long != nil {
		k = max(k, m.long.k)
	}
	if m.mid != nil {
		k = max(k, m.mid.k)
	}
	return k
}

// gram returns the tier's q-gram at the start of b (len(b) >= q).
func (t *tier) gram(b []byte) uint64 { return gramQ(b, t.q) }

// nextQ is tier.next for grams of more than 4 bytes: sampleLoop64 over the
// samples whose 8-byte load fits in text, then the last ones, where only
// q bytes are left.
func (t *tier) nextQ(text []byte, i, to int) int {
	if lim := min(to, len(text)-7); i < lim {
		gm := uint64(1)<<(8*t.q) - 1
		if i = sampleLoop64(unsafe.SliceData(text), i, lim, t.k, unsafe.SliceData(t.bits), t.bshift&63, gm); i < lim {
			return i
		}
	}
	for ; i < to && i+t.q <= len(text); i += t.k {
		if t.has(t.gram(text[i:])) {
			return i
		}
	}
	return -1
}

// next4 is tier.next for 4-byte grams: sampleLoop32, whose 32-bit loads
// need no mask, which left a register free and one instruction less per
// sample in the Go loop: it ran 1.14 times as fast with 10 secrets
// (19.0-19.8 -> 21.7-22.5 GB/s).
func (t *tier) next4(text []byte, i, to int) int {
	if lim := min(to, len(text)-3); i < lim {
		if i = sampleLoop32(unsafe.SliceData(text), i, lim, t.k, unsafe.SliceData(t.bits), t.bshift&63); i < lim {
			return i
		}
	}
	return -1
}

// has reports whether the filter may hold gram g.
func (t *tier) has(g uint64) bool {
	h := g * hashMul
	mk := bloomMask(h)
	return t.bits[h>>t.bshift]&mk == mk
}

func gram6(b []byte) uint64 {
	return uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint16(b[4:]))<<32
}

func (m *matcher) verify(t *tier, text []byte, i int, g uint64, out []match, partial *int) []match {
	b := (g * hashMul) >> t.hshift
	for _, e := range t.ents[t.heads[b]:t.heads[b+1]] {
		if e.gram != g {
			continue
		}
		s := i - int(e.off)
		if s < 0 {
			continue
		}
		end := s + int(e.n)
		if end > len(text) {
			if partial != nil && s < *partial && string(text[s:]) == string(m.arena[e.aoff:e.aoff+uint32(len(text)-s)]) {
				*partial = s
			}
			continue
		}
		if string(text[s:end]) == string(m.arena[e.aoff:e.aoff+e.n]) {
			out = append(out, match{start: s, end: end, pat: e.pat})
		}
	}
	return out
}

func (m *matcher) scanTiny(text []byte, from, to int, out []match) []match {
	for i := from; i < to; i++ {
		c := text[i]
		if !hasBit(m.shortFirst[:], uint64(c)) {
			continue
		}
		for _, id := range m.tiny[c] {
			p := m.pats[id]
			end := i + int(p.n)
			if end <= len(text) && string(text[i:end]) == string(m.arena[p.off:p.off+p.n]) {
				out = append(out, match{start: i, end: end, pat: id})
			}
		}
	}
	return out
}

// holdFrom returns the first position j >= from such that an occurrence
// of some pattern could begin at b[j] and end beyond b, given that b is all
// the text seen so far: b[j:] is a proper prefix of some pattern. It
// returns len(b) if there is none. For the last three positions it may
// answer yes wrongly (a Bloom filter of 3-byte prefixes); otherwise it is
// exact. (An occurrence wholly inside b is found by find and needs no
// holding back.)
//
// partial is what tailPartial(b) reported: the tiers' samples already
// saw every proper prefix at least hold bytes long (k+q-1 of the tier), so
// only the positions nearer the end are checked here, one by one.
func (m *matcher) holdFrom(b []byte, from, partial int) int {
	n := len(b)
	from = max(from, n-m.maxLen+1, 0)
	if partial < from {
		partial = n
	}
	if partial <= n-m.hold {
		return partial // the samples checked every position before it
	}
	lo := max(from, n-m.hold+1)
	if lo <= n-6 && lo < partial {
		// A proper prefix of a long pattern starting in [lo, n-6] holds
		// the last q bytes at an offset below k (the prefix is shorter
		// than k+q-1), and so does one of a mid pattern with the last 4
		// bytes: if the tiers' filters reject those, only the last 5
		// positions are left to check.
		hit := m.long != nil && m.long.has(m.long.gram(b[n-m.long.q:]))
		hit = hit || m.mid != nil && m.mid.has(uint64(binary.LittleEndian.Uint32(b[n-4:])))
		if !hit {
			lo = n - 5
		}
	}
	bloom, shift, pair := m.prefBloom, m.prefShift, m.prefPair
	for j := lo; j < partial; j++ {
		if n-j < 4 {
			if m.shortPrefix(b[j:]) {
				return j
			}
			continue
		}
		g := binary.LittleEndian.Uint32(b[j:])
		if pair[g>>6&1023]&(1<<(g&63)) == 0 {
			continue
		}
		h := uint64(g) * hashMul
		if mk := bloomMask(h); bloom[h>>shift]&mk == mk && m.isProperPrefix(b[j:]) {
			return j
		}
	}
	return partial
}

// mayEndLongPrefix reports whether a proper prefix of 4 bytes or more of
// some pattern may end with the 4 bytes g (little-endian); false is exact.
func (m *matcher) mayEndLongPrefix(g uint32) bool {
	h := uint64(g) * hashMul
	mk := bloomMask(h)
	return m.endBloom[h>>m.endShift]&mk == mk
}

// shortHold returns the first of the last 3 positions of b (at least 4
// bytes), at or after from, where a proper prefix of some pattern may
// start, checked as holdFrom checks them (see shortPrefix); len(b) if
// none. It is holdFrom for a text whose last 4 bytes end no proper prefix
// of 4 bytes or more (see mayEndLongPrefix).
func (m *matcher) shortHold(b []byte, from int) int {
	n := len(b)
	g := binary.LittleEndian.Uint32(b[n-4:])
	i3, i2, i1 := uint64(g>>8&0xffff), uint64(g>>16), uint64(g>>24)
	h3 := hash3(b[n-3:])
	s3 := bitOf(m.pair2, i3) & bitOf(m.pre3, h3) & atLeast(n-3, from)
	s2 := bitOf(m.pair2, i2) & atLeast(n-2, from)
	s1 := bitOf(m.first[:], i1) & atLeast(n-1, from)
	// The earliest of the three, without a branch on which: on log text
	// it varies at random from write to write, and the branches of a
	// test of one position after another were mispredicted.
	return n - max(3*int(s3), 2*int(s2), int(s1))
}

// atLeast is 1 if a >= b, else 0, without a branch (|a-b| < 1<<62).
func atLeast(a, b int) uint64 { return uint64(^(a-b)>>63) & 1 }

// hash3 hashes the first 3 bytes of b into a bit index of pre3.
func hash3(b []byte) uint64 {
	return (uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16) * hashMul >> 48
}

// shortPrefix reports whether t (1 to 3 bytes) may be a proper prefix of
// some pattern: exactly for 1 and 2 bytes, with a Bloom filter for 3.
func (m *matcher) shortPrefix(t []byte) bool {
	switch len(t) {
	case 1:
		return hasBit(m.first[:], uint64(t[0]))
	case 2:
		return hasBit(m.pair2, uint64(binary.LittleEndian.Uint16(t)))
	default:
		return hasBit(m.pair2, uint64(binary.LittleEndian.Uint16(t))) && hasBit(m.pre3, hash3(t))
	}
}

// startsAt appends the occurrences of patterns of 4 bytes or more that
// start at text[j] (text has 4 bytes from j).
func (m *matcher) startsAt(text []byte, j int, out []match) []match {
	g := binary.LittleEndian.Uint32(text[j:])
	if !m.mayStartWith(g) {
		return out
	}
	h := m.prefHash(g)
	for _, id := range m.prefIDs[m.prefHeads[h]:m.prefHeads[h+1]] {
		p := m.pats[id]
		if end := j + int(p.n); end <= len(text) && string(text[j:end]) == string(m.arena[p.off:p.off+p.n]) {
			out = append(out, match{start: j, end: end, pat: id})
		}
	}
	return out
}

// mayStartWith reports whether a pattern of 4 bytes or more may start
// with the 4 bytes g (little-endian); false is exact.
func (m *matcher) mayStartWith(g uint32) bool {
	if m.has4 {
		return true
	}
	// Every pattern has 5 bytes or more: the filters of holdFrom rule out
	// most positions without touching the index.
	if !hasBit(m.prefPair, uint64(g&0xffff)) {
		return false
	}
	h := uint64(g) * hashMul
	return m.prefBloom[h>>m.prefShift]&bloomMask(h) == bloomMask(h)
}

// isProperPrefix reports whether t (4 bytes or more) is a proper prefix of
// some pattern.
func (m *matcher) isProperPrefix(t []byte) bool {
	h := m.prefHash(binary.LittleEndian.Uint32(t))
	for _, id := range m.prefIDs[m.prefHeads[h]:m.prefHeads[h+1]] {
		p := m.pats[id]
		if int(p.n) > len(t) && string(t) == string(m.arena[p.off:p.off+uint32(len(t))]) {
			return true
		}
	}
	return false
}
