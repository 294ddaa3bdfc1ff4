package names_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/names"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestRules pins the shared rules: what secrets.ValidateName,
// ValidateNamespace and ValidateDecrypters accept is what a run token's
// claims may carry.
func TestRules(t *testing.T) {
	long := strings.Repeat("a", 254)
	for _, tt := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"name ok", names.Name("op", "api-key_2"), true},
		{"name empty", names.Name("op", ""), false},
		{"name too long", names.Name("op", long), false},
		{"name dot", names.Name("op", "db.password"), false},
		{"namespace ok", names.Namespace("op", "team-a"), true},
		{"namespace slash", names.Namespace("op", "team/a"), false},
		{"decrypter spiffe", names.Decrypters("op", []string{"spiffe://c/ns/sa", "k6@runner:1"}), true},
		{"decrypter empty", names.Decrypters("op", []string{""}), false},
		{"decrypter space", names.Decrypters("op", []string{"a b"}), false},
		{"decrypter twice", names.Decrypters("op", []string{"run-a", "run-a"}), false},
		{"too many decrypters", names.Decrypters("op", make([]string, names.MaxDecrypters+1)), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err == nil; got != tt.ok {
				t.Fatalf("accepted = %v, want %v (err %v)", got, tt.ok, tt.err)
			}
			if tt.err != nil && (!errors.Is(tt.err, errcode.Invalid) || !strings.HasPrefix(tt.err.Error(), "op: ")) {
				t.Errorf("err = %v, want code Invalid and op", tt.err)
			}
			// Rejected input is never echoed.
			for _, bad := range []string{"db.password", "team/a", "a b", "run-a", long} {
				if tt.err != nil && strings.Contains(tt.err.Error(), bad) {
					t.Errorf("err = %v quotes the input", tt.err)
				}
			}
		})
	}
}

// TestLimitsMatchDocs pins the limits to the values package secrets
// documents in its # Limits section.
func TestLimitsMatchDocs(t *testing.T) {
	want := []int{253, 253, 64, 253, 100, 253, 10, 63, 63}
	got := []int{names.MaxNameLength, names.MaxNamespaceLength, names.MaxDecrypters, names.MaxDecrypterLength, names.MaxRevealNames,
		names.MaxDescriptionRunes, names.MaxLabels, names.MaxLabelKeyLength, names.MaxLabelValueLength}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("limits (-documented +names):\n%s", diff)
	}
}
