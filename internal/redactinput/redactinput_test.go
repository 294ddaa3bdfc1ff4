package redactinput_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/redactinput"
)

func TestDescribe(t *testing.T) {
	format := regexp.MustCompile(`^invalid name \(len [0-9]+, hash [0-9a-f]{8}\)$`)
	inputs := []string{"", "a", "bad\nname", "\x1b[31mred", "p4ssw0rd-pasted-into-the-name-field", strings.Repeat("x", 300), "\xff\xfe"}
	seen := map[string]string{}
	for _, in := range inputs {
		got := redactinput.Describe("name", in)
		if !format.MatchString(got) {
			t.Errorf("Describe(%q) = %q, want the form %s", in, got, format)
		}
		if len(in) >= 2 && strings.Contains(got, in) {
			t.Errorf("Describe(%q) = %q echoes its input", in, got)
		}
		if again := redactinput.Describe("name", in); again != got {
			t.Errorf("Describe(%q) is not stable: %q then %q", in, got, again)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("Describe(%q) = Describe(%q) = %q", in, prev, got)
		}
		seen[got] = in
	}
	if got, want := redactinput.Describe("label key", "ab"), "invalid label key (len 2, hash "; !strings.HasPrefix(got, want) {
		t.Errorf("Describe = %q, want prefix %q", got, want)
	}
}
