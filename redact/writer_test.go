package redact

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeChunks writes text to a new Writer in the given chunk sizes (the
// last chunk takes the rest), checks the hold-back bound after every
// write, and returns the output after Close.
func writeChunks(t testing.TB, r *Redactor, text string, sizes []int) string {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out, r)
	maxHold := max(r.engine().maxLen-1, 0)
	for _, n := range sizes {
		n = min(n, len(text))
		if _, err := w.Write([]byte(text[:n])); err != nil {
			t.Fatal(err)
		}
		text = text[n:]
		if b := w.buffered(); b > maxHold {
			t.Fatalf("holds back %d bytes, longest variant is %d", b, maxHold+1)
		}
	}
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestWriterSplits(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		text    string
	}{
		{"ssecret", []string{"secret"}, "xssecretx"},
		{"repeating prefix", []string{"ababac"}, "abababababacab"},
		{"aaab", []string{"aaab"}, "aaaaaaab"},
		{"prefix of another", []string{"secret", "secret-longer-one"}, "secret-longer-one secret-longer secret"},
		{"overlapping", []string{"abcdefgh", "efghijkl"}, "abcdefghijkl-abcdefgh-efghijkl"},
		{"adjacent", []string{"abc123xyz", "def456uvw"}, "abc123xyzdef456uvw-abc123xyz-def456uvw"},
		{"marker inside", []string{"a" + M + "b"}, "xa" + M + "bx" + M},
		{"base64", []string{"correct-horse-battery"}, "Basic dXNlcjpjb3JyZWN0LWhvcnNlLWJhdHRlcnk="},
		{"multi-line", []string{"line-one-AAAA\nline-two-BBBB"}, "line-one-AAAA\nline-two-BBBB\nline-two-BBBB"},
		{"short", []string{"ab"}, "aabab ba"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRedactor(tc.secrets...)
			want := r.RedactString(tc.text)
			if ref := refRedact(M, refPatterns(testOpts, tc.secrets), tc.text); ref != want {
				t.Fatalf("Redact = %q, reference %q", want, ref)
			}
			n := len(tc.text)
			for i := 0; i <= n; i++ {
				if got := writeChunks(t, r, tc.text, []int{i}); got != want {
					t.Errorf("split at %d: %q, want %q", i, got, want)
				}
				for j := i; j <= n; j++ {
					if got := writeChunks(t, r, tc.text, []int{i, j - i}); got != want {
						t.Errorf("split at %d and %d: %q, want %q", i, j, got, want)
					}
				}
			}
			ones := make([]int, n)
			for i := range ones {
				ones[i] = 1
			}
			if got := writeChunks(t, r, tc.text, ones); got != want {
				t.Errorf("every byte: %q, want %q", got, want)
			}
		})
	}
}

func TestWriterHoldsBackOnlyPossibleStarts(t *testing.T) {
	r := newRedactor("Zq9-secret-value")
	var out bytes.Buffer
	w := NewWriter(&out, r)
	tests := []struct {
		write    string
		buffered int
	}{
		{"plain text that cannot start it ", 0},
		{"ends with Z", 1},
		{"q9", 3},
		{"-se", 6},
		{"x", 0}, // "Zq9-sex" can no longer match
		{"Zq9-secret-valu", 15},
		{"e!", 0},
	}
	for _, tc := range tests {
		if _, err := w.Write([]byte(tc.write)); err != nil {
			t.Fatal(err)
		}
		if got := w.buffered(); got != tc.buffered {
			t.Errorf("after %q: Buffered = %d, want %d", tc.write, got, tc.buffered)
		}
	}
	want := "plain text that cannot start it ends with Zq9-sex" + M + "!"
	if got := out.String(); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestWriterFlushAndClose(t *testing.T) {
	r := newRedactor("Zq9-secret-value")
	var out bytes.Buffer
	w := NewWriter(&out, r)
	_, _ = w.Write([]byte("log Zq9-sec"))
	if got := out.String(); got != "log " {
		t.Errorf("before Flush: %q", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "log Zq9-sec" {
		t.Errorf("after Flush: %q", got)
	}
	_, _ = w.Write([]byte("ret-value Zq9-secret-value"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "log Zq9-secret-value "+M; got != want {
		t.Errorf("after Close: %q, want %q (Flush ends a segment)", got, want)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errDisk
	}
	f.n--
	return len(p), nil
}

func TestWriterErrorIsSticky(t *testing.T) {
	r := newRedactor("secret-value")
	w := NewWriter(&failWriter{n: 1}, r)
	if _, err := w.Write([]byte("first line\n")); err != nil {
		t.Fatalf("first write: %v", err)
	}
	if n, err := w.Write([]byte("second line\n")); !errors.Is(err, errDisk) || n != 0 {
		t.Errorf("second write = %d, %v; want 0, errDisk", n, err)
	}
	if _, err := w.Write([]byte("third\n")); !errors.Is(err, errDisk) {
		t.Errorf("third write: %v, want errDisk", err)
	}
	if err := w.Close(); !errors.Is(err, errDisk) {
		t.Errorf("Close: %v, want errDisk", err)
	}
}

func TestWriterNoSecrets(t *testing.T) {
	r := New(Options{})
	var out bytes.Buffer
	w := NewWriter(&out, r)
	_, _ = w.Write([]byte("hello "))
	if w.buffered() != 0 || out.String() != "hello " {
		t.Errorf("with no secrets the writer holds %d bytes, wrote %q", w.buffered(), out.String())
	}
	r.Add("later-secret")
	_, _ = w.Write([]byte("later-secret!"))
	_ = w.Close()
	if diff := cmp.Diff("hello "+M+"!", out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestDifferential compares Redact, the Writer (random splits) and Scan
// with the plain reference on random secrets and text made of their
// pieces, so that overlaps, prefixes and adjacency are common.
func TestDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	iters := 400
	if testing.Short() || raceEnabled {
		iters = 120
	}
	for it := range iters {
		nsec := 1 + rng.IntN(6)
		alpha := "ab"
		if it%3 == 0 {
			alpha = "abc\n\"<+/ "
		}
		var secrets []string
		for range nsec {
			n := 1 + rng.IntN(24)
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
	}
}

func checkDifferential(t *testing.T, secrets []string, text string, rng *rand.Rand) {
	t.Helper()
	r := newRedactor(secrets...)
	pats := refPatterns(testOpts, secrets)
	want := refRedact(M, pats, text)
	if got := string(r.Redact(nil, []byte(text))); got != want {
		t.Errorf("Redact(%q)\n got %q\nwant %q", text, got, want)
		return
	}
	var sizes []int
	if rng.IntN(4) == 0 {
		for range text {
			sizes = append(sizes, 1)
		}
	} else {
		for n := 0; n < len(text); {
			k := 1 + rng.IntN(1+rng.IntN(64))
			sizes = append(sizes, k)
			n += k
		}
	}
	if got := writeChunks(t, r, text, sizes); got != want {
		t.Errorf("Writer %v (%q)\n got %q\nwant %q", sizes, text, got, want)
	}
	// Scan finds exactly the bytes the reference marks.
	marked := make([]bool, len(text))
	for _, l := range r.Scan([]byte(text)) {
		for i := l.Offset; i < l.Offset+l.Length; i++ {
			marked[i] = true
		}
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if !marked[i] {
			b.WriteByte(text[i])
			i++
			continue
		}
		b.WriteString(M)
		for i < len(text) && marked[i] {
			i++
		}
	}
	if got := b.String(); got != want {
		t.Errorf("Scan marks differ\n got %q\nwant %q", got, want)
	}
}

// FuzzRedact is the differential fuzz test: secrets separated by NUL, a
// text, and a seed for the write splits (every-byte writes included).
func FuzzRedact(f *testing.F) {
	seeds := []struct{ secrets, text string }{
		{"secret", "ssecret"},
		{"abab", "abababab"},
		{"token\x00token-extended-123", "a token-extended-123 b token"},
		{"abcdefgh\x00efghijkl", "abcdefghijkl"},
		{"abc123xyz\x00def456uvw", "abc123xyzdef456uvw"},
		{"pre" + M + "post", "pre" + M + "post" + M},
		{"SECRET", M},
		{" \x00\t\n\x00", "a b"},
		{"line-one-AAAA\nline-two-BBBB", "line-two-BBBB line-one-AAAA"},
		{"correct-horse-battery", "dXNlcjpjb3JyZWN0LWhvcnNlLWJhdHRlcnk="},
		{`pa"ss\word<>`, `{"p":"pa\"ss\\word\u003c\u003e"}`},
		{"a b&c=d/e", "?q=a+b%26c%3Dd%2Fe /a%20b&c=d%2Fe"},
		{"q", "quick quiz"},
		{"ABCDEFGHIJKLMNOP\x00MNOP\x00FGHIJ", "ABCDEFGHIJKLMNOP MNOP FGHIJ"},
		{"correct-horse-battery", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:correct-horse-battery"))},
		{"correct-horse-battery", base64.RawURLEncoding.EncodeToString([]byte("xy:correct-horse-battery!"))},
		{"correct-horse-battery", base64.StdEncoding.EncodeToString([]byte("xyz:correct-horse-battery?!"))},
		{"aaaa\x00aaaaaaaaaaaaaaaaaaaa", strings.Repeat("a", 100)},
	}
	for i, s := range seeds {
		f.Add(s.secrets, s.text, uint64(i))
	}
	f.Fuzz(func(t *testing.T, secretList, text string, seed uint64) {
		secrets := strings.Split(secretList, "\x00")
		if len(secrets) > 16 || len(secretList) > 8192 || len(text) > 4096 {
			return
		}
		checkDifferential(t, secrets, text, rand.New(rand.NewPCG(seed, seed>>1|1)))
	})
}

// TestWriterConcurrent writes whole lines from several goroutines; the
// writer must be safe and keep every line's secret redacted.
func TestWriterConcurrent(t *testing.T) {
	r := newRedactor("concurrent-secret-1", "concurrent-secret-2")
	var out bytes.Buffer
	w := NewWriter(&out, r)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "g=%d i=%d token=concurrent-secret-%d\n", g, i, 1+i%2)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if n := strings.Count(got, "token="+M+"\n"); n != 800 {
		t.Errorf("%d of 800 lines redacted", n)
	}
	if strings.Contains(got, "concurrent-secret") {
		t.Error("a secret leaked")
	}
}

// TestWriterAcrossSegments adds secrets one by one between writes, so the
// writer works over several matchers, including the compaction into one.
func TestWriterAcrossSegments(t *testing.T) {
	r := New(Options{})
	var out bytes.Buffer
	w := NewWriter(&out, r)
	var want strings.Builder
	for i := range 40 {
		s := fmt.Sprintf("segment-secret-%03d", i)
		r.Add(s)
		line := fmt.Sprintf("%s and the one before: segment-secret-%03d\n", s, max(i-1, 0))
		for j := 0; j < len(line); j += 7 {
			_, _ = w.Write([]byte(line[j:min(j+7, len(line))]))
		}
		want.WriteString(M + " and the one before: " + M + "\n")
	}
	big := bytes.Repeat([]byte("filler text that pays for compaction\n"), 1<<16)
	_, _ = w.Write(big)
	_, _ = w.Write([]byte("segment-secret-017 segment-secret-0"))
	_, _ = w.Write([]byte("39\n"))
	_ = w.Close()
	want.Write(big)
	want.WriteString(M + " " + M + "\n")
	if got := out.String(); got != want.String() {
		t.Errorf("output differs; tail %q", got[max(0, len(got)-200):])
	}
	if n := len(r.eng.Load().segs); n != 1 {
		t.Errorf("%d matchers after compaction, want 1", n)
	}
}

// TestWriterKnownLeaks replays write sequences that leaked in other
// maskers (see the reference note).
func TestWriterKnownLeaks(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		writes  []string
		want    string
	}{
		{"ssecret as ss+ecret", []string{"secret"}, []string{"ss", "ecret"}, "s" + M},
		{"ss then secret", []string{"secret"}, []string{"ss", "secret"}, "ss" + M},
		{"sssecret byte by byte", []string{"secret"}, []string{"s", "s", "s", "e", "c", "r", "e", "t"}, "ss" + M},
		{"repeating prefix", []string{"abab-c"}, []string{"aba", "bab", "ab-c"}, "abab" + M},
		{"short prefix secret added first", []string{"tok", "tok-long-one"}, []string{"x tok-lo", "ng-one y"}, "x " + M + " y"},
		{"secret split across three writes", []string{"three-part-secret"}, []string{"a three-", "part-", "secret b"}, "a " + M + " b"},
		{"adjacent across writes", []string{"first-secret", "second-secret"}, []string{"first-sec", "retsecond-se", "cret"}, M},
		{"base64 across writes", []string{"correct-horse"}, []string{"dXNlcjpjb3JyZ", "WN0LWhvcnNl"}, "dXNlcjp" + M},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRedactor(tc.secrets...)
			var out bytes.Buffer
			w := NewWriter(&out, r)
			for _, s := range tc.writes {
				if _, err := w.Write([]byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if want := r.RedactString(strings.Join(tc.writes, "")); out.String() != want {
				t.Errorf("writer %q differs from Redact %q", out.String(), want)
			}
		})
	}
}
