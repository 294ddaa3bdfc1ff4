package redact

import (
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
			if got := string(r.Redact(nil, []byte(text))); got != want {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("secrets %q shift %d: differs at %d: got %q, want %q", secrets, shift, i, got[i:min(i+80, len(got))], want[i:min(i+80, len(want))])
			}
		}
	}
}
