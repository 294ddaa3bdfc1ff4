package names_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/names"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/secrets"
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

// TestLimitsMatchSecrets: the limits secrets exports are the ones the
// shared rules apply.
func TestLimitsMatchSecrets(t *testing.T) {
	want := []int{secrets.MaxNameLength, secrets.MaxNameLength /* a namespace has a name's limit */, secrets.MaxDecrypters, secrets.MaxDecrypterLength, secrets.MaxRevealNames}
	got := []int{names.MaxNameLength, names.MaxNamespaceLength, names.MaxDecrypters, names.MaxDecrypterLength, names.MaxRevealNames}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("limits (-secrets +names):\n%s", diff)
	}
}
