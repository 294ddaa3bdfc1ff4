package redact

import (
	"bytes"
	"sync/atomic"
)

// The rare-byte engine, for the smallest pattern sets (one or two secrets:
// what a load test usually has). Each pattern is anchored at one of its
// rare bytes (by a static ranking of bytes in log text), the needle, and
// the offset of that byte in it; bytes.IndexByte, which the standard
// library vectorises (AVX2 on amd64, NEON on arm64), finds the
// candidates, and only those are compared. This is what makes
// strings.Index fast, for several patterns. Each needle is a pass over
// the text, so the patterns share as few needles as they can (a greedy
// cover): the 4 patterns of one random token usually share one or two,
// where their rarest bytes were 4. With one needle instead of 4, Redact
// ran 1.8 times and the Writer 2.1 times as fast on the reference
// workload; with two, 1.5 and 1.6 times.
//
// It is chosen when the set has at most rareMaxPatterns patterns, none
// shorter than 4 bytes, each with a byte at least as rare as
// rareMinRank, that at most rareMaxBytes needles cover. If a block of
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
	// The bytes each pattern may be anchored at: those at least as rare
	// as rareMinRank, or (when forced) its rarest byte if it has none.
	cands := make([][256]bool, len(m.pats))
	for id, p := range m.pats {
		s := m.arena[p.off : p.off+p.n]
		best := 0
		for i := range s {
			if byteRank[s[i]] >= rareMinRank {
				cands[id][s[i]] = true
			}
			if byteRank[s[i]] > byteRank[s[best]] {
				best = i
			}
		}
		if byteRank[s[best]] < rareMinRank {
			if !force {
				return nil
			}
			cands[id][s[best]] = true
		}
	}
	// Every needle costs a pass over the text (and a call per text, which
	// is what a Writer's short writes feel), so cover the patterns with as
	// few needles as possible: greedily take the byte that anchors the
	// most patterns not yet anchored, the rarer one on a tie.
	e := &rareEngine{}
	done := make([]bool, len(m.pats))
	for left := len(m.pats); left > 0; {
		var count [256]int
		for id := range m.pats {
			if !done[id] {
				for c := range 256 {
					if cands[id][c] {
						count[c]++
					}
				}
			}
		}
		c := 0
		for x := 1; x < 256; x++ {
			if count[x] > count[c] || count[x] == count[c] && byteRank[x] > byteRank[c] {
				c = x
			}
		}
		if len(e.needles) == rareMaxBytes {
			return nil
		}
		nd := rareNeedle{c: byte(c)}
		for id, p := range m.pats {
			if done[id] || !cands[id][c] {
				continue
			}
			off := bytes.IndexByte(m.arena[p.off:p.off+p.n], byte(c))
			nd.pats = append(nd.pats, rarePat{uint32(id), off})
			e.lag = max(e.lag, off+1)
			done[id] = true
			left--
		}
		e.needles = append(e.needles, nd)
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
