package redact

import (
	"bytes"
	"sync/atomic"
)

// The rare-byte engine, for the smallest pattern sets (one or two secrets:
// what a load test usually has). Each pattern is given its rarest byte
// (by a static ranking of bytes in log text) and the offset of that byte
// in it; bytes.IndexByte, which the standard library vectorises (AVX2 on
// amd64, NEON on arm64), finds the candidates, and only those are
// compared. This is what makes strings.Index fast, for several patterns.
//
// It is chosen when the set has at most rareMaxPatterns patterns, none
// shorter than 4 bytes, whose rarest bytes are at most rareMaxBytes
// distinct bytes, each at least as rare as rareMinRank. If a block of
// text still gives too many candidates (more than one per rareMaxDensity
// bytes), the matcher falls back to the sampling tiers for good, from the
// next text on.

const (
	rareMaxPatterns = 16
	rareMaxBytes    = 4
	rareMinRank     = 100
	rareMaxDensity  = 256
)

type rareEngine struct {
	needles []rareNeedle
	lag     int // the largest offset of a needle byte, plus one
	off     atomic.Bool
}

// rareNeedle is one byte to search for and the patterns it anchors.
type rareNeedle struct {
	c    byte
	pats []rarePat
}

type rarePat struct {
	id  uint32
	off int // offset of c in the pattern
}

// forceRare makes every eligible set (ignoring the ranks) use the
// rare-byte engine; tests set it to check the engine on any text.
var forceRare atomic.Bool

func (m *matcher) buildRare() *rareEngine {
	if len(m.pats) > rareMaxPatterns || m.tinyOn {
		return nil
	}
	force := forceRare.Load()
	e := &rareEngine{}
	for id, p := range m.pats {
		s := m.arena[p.off : p.off+p.n]
		best := 0
		for i := 1; i < len(s); i++ {
			if byteRank[s[i]] > byteRank[s[best]] {
				best = i
			}
		}
		c := s[best]
		if byteRank[c] < rareMinRank && !force {
			return nil
		}
		found := false
		for i := range e.needles {
			if e.needles[i].c == c {
				e.needles[i].pats = append(e.needles[i].pats, rarePat{uint32(id), best})
				found = true
			}
		}
		if !found {
			if len(e.needles) == rareMaxBytes {
				return nil
			}
			e.needles = append(e.needles, rareNeedle{c: c, pats: []rarePat{{uint32(id), best}}})
		}
		e.lag = max(e.lag, best+1)
	}
	return e
}

// find appends the occurrences whose needle byte lies in [from, to). If
// the text gives too many candidates, it switches the engine off for the
// texts that follow (not for this one: see matcher.useRare).
func (e *rareEngine) find(m *matcher, text []byte, from, to int, out []match) []match {
	limit := (to-from)/rareMaxDensity + 8
	cands := 0
	for ni := range e.needles {
		nd := &e.needles[ni]
		for i := from; i < to; {
			j := bytes.IndexByte(text[i:to], nd.c)
			if j < 0 {
				break
			}
			i += j
			if cands++; cands == limit {
				e.off.Store(true)
			}
			for _, rp := range nd.pats {
				p := m.pats[rp.id]
				s := i - rp.off
				end := s + int(p.n)
				if s >= 0 && end <= len(text) && string(text[s:end]) == string(m.arena[p.off:p.off+p.n]) {
					out = append(out, match{start: s, end: end, pat: rp.id})
				}
			}
			i++
		}
	}
	return out
}

// byteRank orders bytes from common (0) to rare (255) in log text:
// space, lower-case letters, digits and the punctuation of key=value,
// JSON and URL text are the most common, then the capital letters of
// timestamps, HTTP methods and levels (T, Z, E, G, I); those are never a
// needle. The rest of the capital letters and the rarer punctuation
// follow (from rareMinRank on), and bytes not listed (control bytes,
// bytes above 0x7f) rank 255.
var byteRank = func() [256]byte {
	const common = " e=ta\"ostirn:l0-1.2/_dc3u5m4p9h687g,f\nyb&?wvk%{}x[]qjz\tTZEGI\r"
	const rarer = "OSRNAPLDCUHMF()<>'+;#@*!$|\\^~`BWYKVXJQ"
	var r [256]byte
	for i := range r {
		r[i] = 255
	}
	for i := range len(common) {
		r[common[i]] = byte(i)
	}
	for i := range len(rarer) {
		r[rarer[i]] = byte(rareMinRank + i)
	}
	return r
}()
