package runtoken

import (
	"encoding/base64"
	"testing"
)

// TestTokenIDNeverBeginsWithDash: a run token's id is an argument of
// `strongbox token revoke ID`, where an id beginning with '-' was read as
// a flag (TestCLIUserFlow failed when one in 64 ids did). Of 10,000 ids
// about 156 began with '-' before.
func TestTokenIDNeverBeginsWithDash(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id, err := newTokenID()
		if err != nil {
			t.Fatal(err)
		}
		if id[0] == '-' {
			t.Fatalf("token id %q begins with '-'", id)
		}
		if b, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(b) != 16 {
			t.Fatalf("token id %q is not 16 bytes of unpadded base64url", id)
		}
		if seen[id] {
			t.Fatalf("token id %q drawn twice", id)
		}
		seen[id] = true
	}
}
