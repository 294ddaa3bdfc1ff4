package storage

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// kindGrammar is the record kind's rule as the documentation states it,
// the oracle of validKind.
var kindGrammar = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,31}$`)

// FuzzValidKind: validKind accepts exactly the kinds of the documented
// grammar.
func FuzzValidKind(f *testing.F) {
	for _, k := range []string{"", "a", "runtoken.revoked", "keeper.instance", "a-b_c.d9",
		"A", "9a", ".a", "a b", "a/b", "aé", strings.Repeat("a", 32), strings.Repeat("a", 33), "a\x00", "a\n"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, kind string) {
		if got, want := validKind(kind), kindGrammar.MatchString(kind); got != want {
			t.Fatalf("validKind(%q) = %v, want %v", kind, got, want)
		}
	})
}

// BenchmarkValidKind times validKind against the regular expression it
// replaced, interleaved, and reports how many times faster it is.
func BenchmarkValidKind(b *testing.B) {
	const kind = "runtoken.revoked"
	var loop, re time.Duration
	valid := 0
	for b.Loop() {
		t0 := time.Now()
		for range 100 {
			if validKind(kind) {
				valid++
			}
		}
		t1 := time.Now()
		for range 100 {
			if kindGrammar.MatchString(kind) {
				valid++
			}
		}
		loop, re = loop+t1.Sub(t0), re+time.Since(t1)
	}
	if valid != 200*b.N {
		b.Fatalf("%q refused", kind)
	}
	b.ReportMetric(float64(re)/float64(loop), "x-regexp")
}
