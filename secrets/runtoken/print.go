package runtoken

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Issuers and Verifiers hold keys. Like Key, they print only key ids and
// algorithms under every fmt verb, encoding/json, MarshalText and slog;
// their fields are pointers, so a copy prints addresses only.

// String describes the Issuer by its signing key, without key material.
func (i *Issuer) String() string {
	if i == nil {
		return "runtoken.Issuer(nil)"
	}
	return "runtoken.Issuer(" + keyText(i.key) + ")"
}

// Format prints String for every verb.
func (i *Issuer) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(i.String())) }

// MarshalText returns String.
func (i *Issuer) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// LogValue returns String, for slog.
func (i *Issuer) LogValue() slog.Value { return slog.StringValue(i.String()) }

// String describes the Verifier by the ids and algorithms of its keys.
func (v *Verifier) String() string {
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

// Format prints String for every verb.
func (v *Verifier) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(v.String())) }

// MarshalText returns String.
func (v *Verifier) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// LogValue returns String, for slog.
func (v *Verifier) LogValue() slog.Value { return slog.StringValue(v.String()) }

// keyText is "id alg" of a key.
func keyText(k *Key) string {
	if k == nil {
		return "nil"
	}
	return k.id + " " + k.alg
}
