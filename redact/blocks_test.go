package redact

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRedactBlocks checks the block-wise Redact of long texts against the
// reference, with occurrences, overlapping and adjacent runs placed at
// every offset around the block boundaries.
func TestRedactBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	sets := [][]string{
		{"abcdefghijklmnopqrstu", "ZZZZ"},
		{"aaaa", "aaaaaaaaaaaaaaaaaaaa"},
		{"x", "yz", "0123456789abcdefghijklmnopqrstuvwxyz0123456789"},
		{randAlnum(rng, 17), randAlnum(rng, 33), randAlnum(rng, 5)},
	}
	for _, secrets := range sets {
		r := newRedactor(secrets...)
		pats := refPatterns(testOpts, secrets)
		for _, shift := range []int{-50, -21, -20, -5, -1, 0, 1, 3, 17} {
			var b strings.Builder
			for b.Len() < 3*redactBlock+1000 {
				next := (b.Len()/redactBlock + 1) * redactBlock
				if gap := next + shift - b.Len(); gap > 0 && gap < 200 {
					// Place a secret, or two adjacent ones, across the boundary.
					b.WriteString(secrets[rng.IntN(len(secrets))])
					if rng.IntN(2) == 0 {
						b.WriteString(secrets[rng.IntN(len(secrets))])
					}
					continue
				}
				if rng.IntN(50) == 0 {
					b.WriteString(secrets[rng.IntN(len(secrets))])
				} else {
					b.WriteByte("abcxyz -\n"[rng.IntN(9)])
				}
			}
			text := b.String()
			want := refRedact(M, pats, text)
			check := func(how, got, want string) {
				t.Helper()
				if got != want {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					t.Fatalf("secrets %q shift %d, %s: differs at %d: got %q, want %q", secrets, shift, how, i, got[i:min(i+80, len(got))], want[i:min(i+80, len(want))])
				}
			}
			check("Redact", string(r.Redact(nil, []byte(text))), want)
			// The output written with non-temporal stores, as for texts of
			// streamMinText or more, after a prefix that leaves dst at
			// every alignment of a cache line. A race build streams with
			// copy (see copyStream), in one goroutine: the non-race pass of
			// scripts/test checks this, with the assembly.
			prefixes := []string{"", "p", "prefix!", strings.Repeat("q", 63)}
			if raceEnabled {
				prefixes = nil
			}
			for _, prefix := range prefixes {
				got, _ := r.engine().redactBlocks([]byte(prefix), []byte(text), nil, r.marker, true)
				check(fmt.Sprintf("streamed after %d bytes", len(prefix)), string(got), prefix+want)
			}
		}
	}
}

// FuzzCopyStream checks copyStream (non-temporal stores for whole lines on
// amd64) against copy at every alignment and length: the bytes copied, and
// none written outside dst.
func FuzzCopyStream(f *testing.F) {
	f.Add([]byte("x"), uint8(0))
	f.Add(bytes.Repeat([]byte("0123456789abcdef"), 40), uint8(13))
	f.Add(bytes.Repeat([]byte{0xff}, 4096+63), uint8(63))
	f.Fuzz(func(t *testing.T, src []byte, off uint8) {
		const guard = 80
		buf := make([]byte, int(off)+len(src)+guard)
		for i := range buf {
			buf[i] = 0xA5
		}
		dst := buf[off : int(off)+len(src)]
		copyStream(dst, src)
		storeFence()
		if !bytes.Equal(dst, src) {
			t.Fatalf("copied %q, want %q", dst, src)
		}
		for i, c := range buf {
			if (i < int(off) || i >= int(off)+len(src)) && c != 0xA5 {
				t.Fatalf("byte %d outside dst written: %#x", i, c)
			}
		}
	})
}
