package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// withRare makes every Redactor built during the test use the rare-byte
// engine whenever the set is small enough, whatever its bytes.
func withRare(t testing.TB) {
	forceRare.Store(true)
	t.Cleanup(func() { forceRare.Store(false) })
}

// TestRareEngineDifferential runs the differential test of the Redactor,
// the Writer and Scan with the rare-byte engine forced on, and checks
// that it was used.
func TestRareEngineDifferential(t *testing.T) {
	withRare(t)
	rng := rand.New(rand.NewPCG(17, 18))
	used := 0
	for it := range 300 {
		alpha := "abQ"
		if it%3 == 0 {
			alpha = "abc\n\"<+/ QX"
		}
		var secrets []string
		for range 1 + rng.IntN(3) {
			n := 4 + rng.IntN(20)
			if rng.IntN(4) == 0 {
				n = 16 + rng.IntN(40)
			}
			b := make([]byte, n)
			for i := range b {
				b[i] = alpha[rng.IntN(len(alpha))]
			}
			secrets = append(secrets, string(b))
		}
		var text strings.Builder
		for text.Len() < 200+rng.IntN(400) {
			switch rng.IntN(3) {
			case 0:
				s := secrets[rng.IntN(len(secrets))]
				i, j := rng.IntN(len(s)+1), rng.IntN(len(s)+1)
				text.WriteString(s[min(i, j):max(i, j)])
			case 1:
				text.WriteString(secrets[rng.IntN(len(secrets))])
			default:
				text.WriteByte(alpha[rng.IntN(len(alpha))])
			}
		}
		checkDifferential(t, secrets, text.String(), rng)
		if t.Failed() {
			t.Fatalf("secrets %q", secrets)
		}
		if r := newRedactor(secrets...); r.engine().segs[0].rare != nil {
			used++
		}
	}
	if used < 100 {
		t.Errorf("the rare-byte engine was used in %d of 300 cases", used)
	}
}

// TestRareEngineChosen checks which sets get the rare-byte engine
// without forcing it, and that it switches itself off on text where its
// needle is common.
func TestRareEngineChosen(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		want    bool
	}{
		{"one random token", []string{"q7XbK2mZpL9vW4sJ"}, true},
		{"lower case and digits only", []string{"password1234567890"}, false},
		{"many secrets", []string{"q7XbK2mZpL9vW4sJ", "Rt5YpQ8wX2nB6vKj", "Hj3KxQ9pLm2WvB7z", "Zx8QwPk3Lm9BvY2j", "Wq4XpKj7Bm2LzY9v"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Options{})
			_ = r.addAll(tc.secrets...)
			if got := r.engine().segs[0].rare != nil; got != tc.want {
				t.Errorf("rare-byte engine = %v, want %v", got, tc.want)
			}
		})
	}
	r := New(Options{Disable: allVariants})
	_ = r.Add("Q7Q7Q7Q7Q7Q7Q7Q7Qz")
	m := r.engine().segs[0]
	if m.rare == nil {
		t.Fatal("rare-byte engine not chosen")
	}
	noisy := strings.Repeat("Q7Q7Q7Q7Q7Q7 ", 10000) + "Q7Q7Q7Q7Q7Q7Q7Q7Qz"
	for range 2 {
		if got := r.RedactString(noisy); !strings.HasSuffix(got, " "+M) || strings.Count(got, M) != 1 {
			t.Fatalf("redacted %d markers", strings.Count(got, M))
		}
	}
	if !m.rare.off.Load() {
		t.Error("the engine did not switch itself off on text full of its needle")
	}
}

// TestRareEngineBlocks is TestRedactBlocks with the rare-byte engine.
func TestRareEngineBlocks(t *testing.T) {
	withRare(t)
	TestRedactBlocks(t)
}

// FuzzRareEngine is FuzzRedact with the rare-byte engine forced on: the
// fast path is checked against the plain reference.
func FuzzRareEngine(f *testing.F) {
	f.Add("q7XbK2mZpL9vW4sJ", "x q7XbK2mZpL9vW4sJ y q7XbK2m", uint64(1))
	f.Add("aQaa\x00QaQa", "aQaaQaQaQaaQ", uint64(2))
	f.Add("correct-horse-battery", "Basic dXNlcjpjb3JyZWN0LWhvcnNlLWJhdHRlcnk=", uint64(3))
	f.Fuzz(func(t *testing.T, secretList, text string, seed uint64) {
		secrets := strings.Split(secretList, "\x00")
		if len(secrets) > 4 || len(secretList) > 512 || len(text) > 4096 {
			return
		}
		withRare(t)
		checkDifferential(t, secrets, text, rand.New(rand.NewPCG(seed, seed>>1|1)))
	})
}
