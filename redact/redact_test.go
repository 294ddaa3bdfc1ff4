package redact

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const M = defaultMarker

// testOpts registers secrets of any length: the tests of the matcher use
// short secrets, which are its hardest case.
var testOpts = Options{MinLength: 1}

func newRedactor(secrets ...string) *Redactor {
	r := New(testOpts)
	_ = r.addAll(secrets...) // blank secrets are refused on purpose
	return r
}

func randAlnum(rng *rand.Rand, n int) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.IntN(len(alpha))]
	}
	return string(b)
}

func TestRedactTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := randAlnum(rng, 24<<10)
	tests := []struct {
		name    string
		opts    Options
		secrets []string
		in      string
		want    string
	}{
		{"no secrets", Options{}, nil, "nothing to see", "nothing to see"},
		{"one secret", Options{}, []string{"hunter2hunter2"}, "pw=hunter2hunter2 ok", "pw=" + M + " ok"},
		{"every occurrence", Options{}, []string{"s3cr3t-value"}, "s3cr3t-value,s3cr3t-value", M + "," + M},
		{"self-overlapping occurrences", Options{}, []string{"abab"}, "x ababab y", "x " + M + " y"},
		{"ssecret", Options{}, []string{"secret"}, "ssecret", "s" + M},
		{"shorter secret is prefix of longer, short added first", Options{}, []string{"token", "token-extended-123"}, "a token-extended-123 b", "a " + M + " b"},
		{"shorter secret is prefix of longer, long added first", Options{}, []string{"token-extended-123", "token"}, "a token-extended-123 b", "a " + M + " b"},
		{"suffix of another", Options{}, []string{"ABCDEFGHIJKLMNOP", "MNOP"}, "ABCDEFGHIJKLMNOP MNOP", M + " " + M},
		{"infix of another", Options{}, []string{"0123456789abcdefghij", "6789ab"}, "0123456789abcdefghij6789ab", M},
		{"overlapping secrets", Options{}, []string{"abcdefgh", "efghijkl"}, "[abcdefghijkl]", "[" + M + "]"},
		{"adjacent secrets", Options{}, []string{"abc123xyz", "def456uvw"}, "[abc123xyzdef456uvw]", "[" + M + "]"},
		{"separated by one byte", Options{}, []string{"abc123xyz", "def456uvw"}, "abc123xyz def456uvw", M + " " + M},
		{"marker inside secret", Options{}, []string{"pre" + M + "post"}, "x=pre" + M + "post;", "x=" + M + ";"},
		{"secret is part of the marker", Options{}, []string{"SECRET"}, "a SECRET b", "a " + M + " b"},
		{"custom marker", Options{Marker: "[X]"}, []string{"topsecret"}, "topsecret", "[X]"},
		{"empty and whitespace secrets are ignored", Options{}, []string{"", " ", "\t\n", "\r\n "}, "a b\tc\r\n", "a b\tc\r\n"},
		{"one-byte secret, when allowed", Options{MinLength: 1}, []string{"q"}, "quick quiz", M + "uick " + M + "uiz"},
		{"short secrets are refused by default", Options{}, []string{"q", "ab", "xyz"}, "quick ab xyz", "quick ab xyz"},
		{"a secret of the minimum length", Options{}, []string{"abcd"}, "abcde", M + "e"},
		{"a raised minimum", Options{MinLength: 8}, []string{"1234567", "12345678"}, "1234567 12345678", "1234567 " + M},
		{"multi-line secret whole", Options{}, []string{"line-one-AAAA\nline-two-BBBB"}, "<line-one-AAAA\nline-two-BBBB>", "<" + M + ">"},
		{"multi-line secret each line", Options{}, []string{"line-one-AAAA\r\nline-two-BBBB\n \n"}, "a line-two-BBBB b line-one-AAAA c", "a " + M + " b " + M + " c"},
		{"multi-line JSON secret: short and punctuation lines are not redacted alone", Options{}, []string{"{\n  \"type\": \"service_account\",\n  7\n  ---\n}"}, `{ "type": "service_account", 7 } -----`, `{ ` + M + ` 7 } -----`},
		{"lines disabled", Options{Disable: Lines}, []string{"line-one-AAAA\nline-two-BBBB"}, "a line-two-BBBB", "a line-two-BBBB"},
		{"24 KiB secret", Options{}, []string{big}, "head " + big + " tail", "head " + M + " tail"},
		{"24 KiB secret minus a byte is not redacted", Options{}, []string{big}, big[1:], big[1:]},
		{"json escaped", Options{}, []string{`pa"ss\word<>`}, `{"p":"pa\"ss\\word\u003c\u003e"}`, `{"p":"` + M + `"}`},
		{"json escaped, slog style", Options{}, []string{`pa"ss\word<>`}, `{"p":"pa\"ss\\word<>"}`, `{"p":"` + M + `"}`},
		{"go quoted", Options{}, []string{"pa\"ss\\word\x01é"}, `msg="pa\"ss\\word\x01é"`, `msg="` + M + `"`},
		{"json disabled", Options{Disable: JSON}, []string{`pa"ss\word`}, `"pa\"ss\\word"`, `"pa\"ss\\word"`},
		{"url query", Options{}, []string{"a b&c=d/e"}, "?q=a+b%26c%3Dd%2Fe&x=1", "?q=" + M + "&x=1"},
		{"url path", Options{}, []string{"a b&c=d/e"}, "/x/a%20b&c=d%2Fe/y", "/x/" + M + "/y"},
		{"html", Options{}, []string{`<b>"it's"</b>`}, `<p>&lt;b&gt;&#34;it&#39;s&#34;&lt;/b&gt;</p>`, `<p>` + M + `</p>`},
		{"html named entities", Options{}, []string{`<b>"it's"</b>`}, `&lt;b&gt;&quot;it&#x27;s&quot;&lt;/b&gt;`, M},
		{"url query disabled", Options{Disable: URLQuery}, []string{"a b&c=d/e"}, "?q=a+b%26c%3Dd%2Fe", "?q=a+b%26c%3Dd%2Fe"},
		{"url path disabled", Options{Disable: URLPath}, []string{"a b&c=d/e"}, "/a%20b&c=d%2Fe/", "/a%20b&c=d%2Fe/"},
		{"html disabled", Options{Disable: HTML}, []string{`<b>"it's"</b>`}, `&lt;b&gt;&#34;it&#39;s&#34;&lt;/b&gt;`, `&lt;b&gt;&#34;it&#39;s&#34;&lt;/b&gt;`},
		{"raw cannot be disabled", Options{Disable: allVariants}, []string{"still-redacted"}, "x still-redacted", "x " + M},
		{"base64url only", Options{Disable: Base64Std}, []string{"correct-horse???>>>"}, "Y29ycmVjdC1ob3JzZT8_Pz4-Pg== Y29ycmVjdC1ob3JzZT8/Pz4+Pg==", M + "g== Y29ycmVjdC1ob3JzZT8/Pz4+Pg=="},
		{"base64", Options{}, []string{"correct-horse-battery"}, "auth=" + base64.StdEncoding.EncodeToString([]byte("correct-horse-battery")), "auth=" + M},
		{"base64 disabled", Options{Disable: Base64Std | Base64URL}, []string{"correct-horse-battery"}, base64.StdEncoding.EncodeToString([]byte("correct-horse-battery")), base64.StdEncoding.EncodeToString([]byte("correct-horse-battery"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(tc.opts)
			r.addAll(tc.secrets...)
			got := string(r.Redact([]byte("dst:"), []byte(tc.in)))
			if diff := cmp.Diff("dst:"+tc.want, got); diff != "" {
				t.Errorf("Redact (-want +got):\n%s", diff)
			}
			if ref := refRedact(string(r.marker), refPatterns(tc.opts, tc.secrets), tc.in); ref != tc.want {
				t.Errorf("reference disagrees with the table: %q", ref)
			}
			if got := r.RedactString(tc.in); got != tc.want {
				t.Errorf("RedactString = %q, want %q", got, tc.want)
			}
			// The same through the writer, one byte at a time (97 for the
			// 24 KiB secret, where each write rescans what is held).
			var out bytes.Buffer
			w := NewWriter(&out, r)
			step := 1
			if len(tc.in) > 4096 {
				step = 97
			}
			for i := 0; i < len(tc.in); i += step {
				if _, err := w.Write([]byte(tc.in[i:min(i+step, len(tc.in))])); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("Writer byte by byte (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIgnoredSecrets(t *testing.T) {
	r := newRedactor("", " ", "\n\t ", "dup-secret", "dup-secret")
	if got := r.len(); got != 1 {
		t.Errorf("Len = %d, want 1 (blank ignored, duplicates once)", got)
	}
	if id, ok := r.ID("dup-secret"); !ok || id != 0 {
		t.Errorf("ID(dup-secret) = %d, %v; want 0, true", id, ok)
	}
	if _, ok := r.ID(" "); ok {
		t.Error("a blank secret has an ID")
	}
}

// TestBase64Alignments checks that base64(prefix + secret + suffix), in
// every alphabet and padding, is redacted whatever the prefix length: the
// marker must cover every character whose bits all come from the secret.
func TestBase64Alignments(t *testing.T) {
	secrets := []string{"correct-horse-battery-staple", "s3cr3t!x", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"}
	encs := map[string]*base64.Encoding{
		"std": base64.StdEncoding, "raw-std": base64.RawStdEncoding,
		"url": base64.URLEncoding, "raw-url": base64.RawURLEncoding,
	}
	for _, secret := range secrets {
		r := newRedactor(secret)
		for name, enc := range encs {
			for pre := range 7 {
				for suf := range 4 {
					prefix := "user:xy"[:pre]
					suffix := "!yz"[:suf]
					t.Run(fmt.Sprintf("%q/%s/pre=%d/suf=%d", secret, name, pre, suf), func(t *testing.T) {
						encoded := enc.EncodeToString([]byte(prefix + secret + suffix))
						got := r.RedactString(encoded)
						lo := (8*pre + 5) / 6
						hi := 8 * (pre + len(secret)) / 6
						i := strings.Index(got, M)
						if i < 0 {
							t.Fatalf("not redacted: %q", got)
						}
						after := len(got) - i - len(M)
						if i > lo || after > len(encoded)-hi {
							t.Errorf("marker covers [%d, %d) of %q, need at least [%d, %d): %q", i, len(encoded)-after, encoded, lo, hi, got)
						}
						if got[:i] != encoded[:i] || got[i+len(M):] != encoded[len(encoded)-after:] {
							t.Errorf("text outside the marker changed: %q from %q", got, encoded)
						}
					})
				}
			}
		}
	}
}

func TestEncodersRoundTrip(t *testing.T) {
	const secret = `P@ss "w0rd" <&> 'x'/y?z=1`
	r := newRedactor(secret)
	jsonHTML, _ := json.Marshal(map[string]string{"password": secret})
	var jsonPlain bytes.Buffer
	enc := json.NewEncoder(&jsonPlain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{"password": secret})
	var xmlText bytes.Buffer
	_ = xml.EscapeText(&xmlText, []byte(secret))
	tests := map[string]string{
		"json":              string(jsonHTML),
		"json no html":      jsonPlain.String(),
		"url values":        url.Values{"password": {secret}}.Encode(),
		"url path":          "https://h/" + url.PathEscape(secret) + "/x",
		"url userinfo":      (&url.URL{Scheme: "https", User: url.UserPassword("me", secret), Host: "h"}).String(),
		"xml":               "<p>" + xmlText.String() + "</p>",
		"html template":     "<p>" + template.HTMLEscapeString(secret) + "</p>",
		"basic auth header": "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("me:"+secret)),
		"base64url":         base64.RawURLEncoding.EncodeToString([]byte("{" + secret + "}")),
		"go %q":             fmt.Sprintf("%q", secret),
		"slog text":         slogText(secret),
		"slog json":         slogJSON(secret),
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			got := r.RedactString(text)
			if !strings.Contains(got, M) {
				t.Fatalf("not redacted: %q", got)
			}
			if leaks := r.Scan([]byte(got)); len(leaks) != 0 {
				t.Errorf("redacted text still has %d leaks: %q", len(leaks), got)
			}
		})
	}
}

func slogText(v string) string {
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("m", "password", v)
	return b.String()
}

func slogJSON(v string) string {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("m", "password", v)
	return b.String()
}

func TestScan(t *testing.T) {
	r := newRedactor("first-secret-1", "second-secret-2")
	text := "a first-secret-1 b " + base64.StdEncoding.EncodeToString([]byte("second-secret-2")) + " c first-secret-1"
	got := r.Scan([]byte(text))
	want := []Leak{
		{Offset: 2, Length: 14, SecretID: 0, Variant: Raw},
		{Offset: 19, Length: 20, SecretID: 1, Variant: Base64Std},
		{Offset: 42, Length: 14, SecretID: 0, Variant: Raw},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}
	for _, l := range got {
		if s := fmt.Sprint(l); strings.Contains(s, "secret") {
			t.Errorf("a Leak prints its secret: %s", s)
		}
	}
	if got := r.Scan([]byte("clean text")); len(got) != 0 {
		t.Errorf("Scan(clean) = %v", got)
	}
}

func TestVariantString(t *testing.T) {
	for v, want := range map[Variant]string{Raw: "raw", Base64URL: "base64-url", JSON | HTML: "json|html", 0: "none"} {
		if got := v.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", v, got, want)
		}
	}
}

func TestManySecrets(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 2000
	}
	rng := rand.New(rand.NewPCG(3, 4))
	secrets := make([]string, n)
	for i := range secrets {
		secrets[i] = randAlnum(rng, 16+rng.IntN(24))
	}
	r := newRedactor(secrets...)
	var text strings.Builder
	for _, s := range secrets {
		text.WriteString(" k=")
		text.WriteString(s)
	}
	got := r.RedactString(text.String())
	if want := strings.Repeat(" k="+M, n); got != want {
		t.Errorf("not every one of %d secrets was redacted; %d markers", n, strings.Count(got, M))
	}
}

// TestAddWhileRedacting adds secrets one by one while other goroutines
// redact, and checks each secret is redacted once its Add returned.
func TestAddWhileRedacting(t *testing.T) {
	r := New(Options{})
	rng := rand.New(rand.NewPCG(5, 6))
	secrets := make([]string, 300)
	if raceEnabled {
		secrets = secrets[:120]
	}
	for i := range secrets {
		secrets[i] = randAlnum(rng, 8+rng.IntN(30))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			line := []byte(fmt.Sprintf("goroutine %d logs %s", g, secrets[0]))
			var dst []byte
			for {
				select {
				case <-stop:
					return
				default:
				}
				dst = r.Redact(dst[:0], line)
			}
		})
	}
	for i, s := range secrets {
		r.Add(s)
		if got := r.RedactString("x " + s + " y"); got != "x "+M+" y" {
			t.Errorf("secret %d not redacted right after Add: %q", i, got)
		}
	}
	close(stop)
	wg.Wait()
	for i, s := range secrets {
		if got := r.RedactString(s); got != M {
			t.Errorf("secret %d not redacted at the end: %q", i, got)
		}
	}
	if e := r.eng.Load(); len(e.segs) > 10 {
		t.Errorf("%d segments after %d adds; want O(log n)", len(e.segs), len(secrets))
	}
}

func TestCompaction(t *testing.T) {
	r := New(Options{})
	for i := range 50 {
		r.Add(fmt.Sprintf("secret-number-%04d", i))
		r.RedactString("x")
	}
	if n := len(r.eng.Load().segs); n < 2 {
		t.Fatalf("want several segments before compaction, got %d", n)
	}
	buf := bytes.Repeat([]byte("ordinary log text "), 1<<13)
	for range 20 {
		r.Redact(nil, buf)
	}
	if n := len(r.eng.Load().segs); n != 1 {
		t.Errorf("segments after scanning %d MiB: %d, want 1", 20*len(buf)>>20, n)
	}
	if got := r.RedactString("secret-number-0007 secret-number-0049"); got != M+" "+M {
		t.Errorf("after compaction: %q", got)
	}
}

// TestAddRefusesShortSecret checks the minimum length: a secret shorter
// than it is refused with an error that says why without the secret, and
// is not redacted (it would remove every "a" from the log).
func TestAddRefusesShortSecret(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		secret  string
		wantErr error
	}{
		{"one byte", Options{}, "q", ErrShortSecret},
		{"three bytes", Options{}, "x7z", ErrShortSecret},
		{"two-byte rune", Options{}, "é", ErrShortSecret},
		{"minimum", Options{}, "x7zq", nil},
		{"raised minimum", Options{MinLength: 8}, "x7zq-ab", ErrShortSecret},
		{"raised minimum met", Options{MinLength: 8}, "x7zq-abc", nil},
		{"lowered to one", Options{MinLength: 1}, "a", nil},
		{"negative means one", Options{MinLength: -3}, "a", nil},
		{"blank", Options{}, "    \t", errBlankSecret},
		{"empty, even with MinLength 1", Options{MinLength: 1}, "", errBlankSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(tc.opts)
			err := r.Add(tc.secret)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Add = %v, want %v", err, tc.wantErr)
			}
			text := "a lazy x7zq-abc é fox\t"
			got := r.RedactString(text)
			if err != nil {
				if r.len() != 0 || got != text {
					t.Errorf("refused secret registered: Len %d, %q", r.len(), got)
				}
				if strings.TrimSpace(tc.secret) != "" && strings.Contains(err.Error(), tc.secret) {
					t.Errorf("error shows the secret: %v", err)
				}
				return
			}
			if r.len() != 1 || !strings.Contains(got, M) || strings.Contains(got, " "+tc.secret+" ") {
				t.Errorf("accepted secret not redacted: Len %d, %q", r.len(), got)
			}
		})
	}
	if m := New(Options{}).minLen; m != defaultMinLength || defaultMinLength != 4 {
		t.Errorf("default minimum %d, want 4", m)
	}
	err := New(Options{}).addAll("long-enough", "ab", "")
	if !errors.Is(err, ErrShortSecret) || !errors.Is(err, errBlankSecret) || !strings.Contains(err.Error(), "secret 1") || strings.Contains(err.Error(), "ab:") {
		t.Errorf("AddAll = %v", err)
	}
}

// TestTypesHideSecrets: a Redactor, a Writer (which holds copies of what
// it was given) and a handler (which holds the attributes given to With)
// show no secret under any fmt verb, encoding/json, text marshalling or
// log/slog's handlers.
func TestTypesHideSecrets(t *testing.T) {
	const secret = "Zq9-secret-value"
	r := newRedactor(secret)
	w := NewWriter(io.Discard, r)
	_, _ = w.Write([]byte("log Zq9-sec"))
	_, _ = w.Write([]byte("ret-value and then some more text"))
	var h slog.Handler = NewHandler(slog.NewTextHandler(io.Discard, nil), r)
	h = h.WithAttrs([]slog.Attr{slog.String("token", secret)})
	for name, v := range map[string]any{"Redactor": r, "Writer": w, "handler": h} {
		t.Run(name, func(t *testing.T) {
			var outs []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
				outs = append(outs, fmt.Sprintf(verb, v))
			}
			j, err := json.Marshal(map[string]any{"v": v})
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, string(j))
			tm, ok := v.(encoding.TextMarshaler)
			if !ok {
				t.Fatal("not a TextMarshaler")
			}
			b, _ := tm.MarshalText()
			outs = append(outs, string(b), slogText2(v), slogJSON2(v))
			for _, o := range outs {
				if strings.Contains(o, secret) || strings.Contains(o, "Zq9") || strings.Contains(o, hex.EncodeToString([]byte("Zq9"))) {
					t.Errorf("shows the secret: %s", o)
				}
			}
		})
	}
}

func slogText2(v any) string {
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("m", "v", v)
	return b.String()
}

func slogJSON2(v any) string {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("m", "v", v)
	return b.String()
}
