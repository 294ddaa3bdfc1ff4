package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// refHold is how many bytes at the end of stream a Writer must hold back:
// the longest end of stream that is a proper prefix of some pattern.
func refHold(pats []string, stream string) int {
	best := 0
	for _, p := range pats {
		for l := min(len(p)-1, len(stream)); l > best; l-- {
			if stream[len(stream)-l:] == p[:l] {
				best = l
				break
			}
		}
	}
	return best
}

// holdTexts are secrets and texts in which every variant of the secrets
// appears, and the proper prefixes of some, in log-like surroundings.
func holdTexts(rng *rand.Rand, secrets []string) string {
	var b strings.Builder
	for _, s := range secrets {
		forms := []string{
			s,
			strconv.Quote(s),
			url.QueryEscape(s),
			"Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+s)),
			base64.RawURLEncoding.EncodeToString([]byte("xy:" + s)),
		}
		for _, f := range forms {
			fmt.Fprintf(&b, "time=\"2026-11-26T22:10:%02dZ\" level=info msg=\"GET /api/v1/items/%d\" token=%s\n", rng.IntN(60), rng.IntN(1000), f)
			fmt.Fprintf(&b, "cut short: %s\n", f[:rng.IntN(len(f))])
		}
	}
	return b.String()
}

// TestWriterHoldBackExact checks, after every write of random sizes, that
// the Writer holds back exactly the end of the stream that is a proper
// prefix of some variant (never less, which would let a split secret
// through, and more only where the check of a 3-byte end is a Bloom
// filter), on both of its ways to find that end: the short check of the
// last positions when the last 4 bytes end no long proper prefix, and the
// scan of the tail otherwise. Both engines are covered, with one secret
// (the rare-byte engine) and with 20 (the sampling tiers).
func TestWriterHoldBackExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range []int{1, 2, 20} {
		t.Run(fmt.Sprintf("secrets=%d", n), func(t *testing.T) {
			secrets := workloadSecrets(rng, n)
			secrets[0] = "Zq9-secret-value/+" + secrets[0] // escapes differ between variants
			r := New(Options{})
			for _, s := range secrets {
				if err := r.Add(s); err != nil {
					t.Fatal(err)
				}
			}
			pats := refPatterns(Options{}, secrets)
			text := holdTexts(rng, secrets)
			e := r.engine()
			if rare := e.segs[0].rare != nil; n == 1 && !rare || n == 20 && rare {
				t.Fatalf("rare-byte engine %v with %d secrets", rare, n)
			}
			var out bytes.Buffer
			w := NewWriter(&out, r)
			short, long := 0, 0
			for pos := 0; pos < len(text); {
				k := min(1+rng.IntN(48), len(text)-pos)
				if _, err := w.Write([]byte(text[pos : pos+k])); err != nil {
					t.Fatal(err)
				}
				pos += k
				if pos >= 4 {
					if e.shortTail(binary.LittleEndian.Uint32([]byte(text[pos-4 : pos]))) {
						short++
					} else {
						long++
					}
				}
				want, got := refHold(pats, text[:pos]), w.buffered()
				if got != want && !(got == 3 && want < 3) {
					t.Fatalf("after %d bytes (ending %q): holds back %d, want %d", pos, text[max(pos-8, 0):pos], got, want)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if want := r.RedactString(text); out.String() != want {
				t.Errorf("output differs from Redact")
			}
			if short == 0 || long == 0 {
				t.Errorf("writes ending in the short check: %d, in the tail scan: %d; want both", short, long)
			}
		})
	}
}

// TestWriterSplitsEveryOffset writes log lines that hold a secret in each
// of its forms in two and in three writes, split at every pair of
// offsets, and checks that the output is what Redact gives (which holds
// no form of the secret), with either engine. Most of the splits end a
// write where the short check of the hold-back applies.
func TestWriterSplitsEveryOffset(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, n := range []int{1, 40} {
		secrets := workloadSecrets(rng, n)
		r := New(Options{})
		for _, s := range secrets {
			if err := r.Add(s); err != nil {
				t.Fatal(err)
			}
		}
		s := secrets[n-1]
		forms := []string{
			s,
			strconv.Quote(s + "\n"),
			url.QueryEscape(s + " &"),
			base64.StdEncoding.EncodeToString([]byte("user:" + s)),
			base64.URLEncoding.EncodeToString([]byte("ab:" + s + "?>")),
		}
		for fi, f := range forms {
			text := "level=info token=" + f + " done\n"
			want := r.RedactString(text)
			if strings.Contains(want, s) || !strings.Contains(want, M) {
				t.Fatalf("form %d: Redact gives %q", fi, want)
			}
			for i := 0; i <= len(text); i++ {
				if got := writeChunks(t, r, text, []int{i}); got != want {
					t.Fatalf("secrets=%d form %d split at %d: %q, want %q", n, fi, i, got, want)
				}
				for j := i; j <= len(text); j++ {
					if got := writeChunks(t, r, text, []int{i, j - i}); got != want {
						t.Fatalf("secrets=%d form %d split at %d and %d: %q, want %q", n, fi, i, j, got, want)
					}
				}
			}
		}
	}
}
