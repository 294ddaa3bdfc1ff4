package runtoken

import (
	"fmt"
	"slices"
	"strings"
)

// Verifiers hold keys and a RevocationSet (which may hold a connection
// string). Format prints only key ids and algorithms, under every fmt verb;
// encoding/json sees no exported field and prints {}. An Issuer holds its
// key and Verifier only behind pointers, so it prints addresses and
// durations, never key material.

// text describes the Verifier by the ids and algorithms of its keys.
func (v *Verifier) text() string {
	if v == nil {
		return "runtoken.Verifier(nil)"
	}
	keys := make([]string, 0, len(v.keys))
	for _, k := range v.keys {
		keys = append(keys, keyText(k))
	}
	slices.Sort(keys)
	return "runtoken.Verifier(" + strings.Join(keys, "; ") + ")"
}

// Format prints "runtoken.Verifier(<id> <algorithm>; ...)" for every verb,
// never key material or the revocation set.
func (v *Verifier) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.text())) }

// keyText is "id alg" of a key.
func keyText(k *Key) string {
	if k == nil {
		return "nil"
	}
	return k.id + " " + k.alg
}
