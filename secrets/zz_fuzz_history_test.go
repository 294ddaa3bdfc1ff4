package secrets_test

import (
	"errors"
	"github.com/strongbox-go/strongbox/internal/names"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/secrets"
)

// refPattern is an independent reading of the reference syntax: a name
// (1-253 ASCII letters, digits, '-' and '_'), optionally '@' and a version
// from 1 without sign or leading zeros.
var refPattern = regexp.MustCompile(`^([A-Za-z0-9_-]{1,253})(?:@([1-9][0-9]*))?$`)

// FuzzParseRef checks ParseRef against refPattern: an accepted reference
// splits into a valid name and version that print back as the input; a
// refused one fails with ErrInvalid without repeating the version text.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"api-key", "api-key@3", "a@1", "a@01", "a@", "a@x", "a@0", "a@-1", "a@+1",
		"@3", "a@3@4", "a@9223372036854775807", "a@9223372036854775808", "bad name@2", "a@١", strings.Repeat("n", 254) + "@1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, version, err := names.ParseRef(s)
		m := refPattern.FindStringSubmatch(s)
		want := m != nil
		var wantVersion int64
		if want && m[2] != "" {
			v, perr := strconv.ParseInt(m[2], 10, 64)
			want = perr == nil
			wantVersion = v
		}
		if (err == nil) != want {
			t.Fatalf("ParseRef(%q) error %v, want accepted %v", s, err, want)
		}
		if err != nil {
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("ParseRef(%q): %v, want ErrInvalid", s, err)
			}
			// The message quotes a valid name; nothing else of the input.
			n, v, ok := strings.Cut(s, "@")
			if msg := strings.ReplaceAll(err.Error(), strconv.Quote(n), ""); ok && len(v) >= 12 && strings.Contains(msg, v) {
				t.Fatalf("ParseRef's error repeats the version text: %v", err)
			}
			return
		}
		if name != m[1] || version != wantVersion || version < 0 {
			t.Fatalf("ParseRef(%q) = %q, %d; want %q, %d", s, name, version, m[1], wantVersion)
		}
		back := name
		if version > 0 {
			back += "@" + strconv.FormatInt(version, 10)
		}
		if back != s {
			t.Fatalf("ParseRef(%q) prints back as %q", s, back)
		}
	})
}
