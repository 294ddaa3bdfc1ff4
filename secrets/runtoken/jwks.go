package runtoken

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
)

// jwk is one public key of a JSON Web Key Set: an Ed25519 key as an OKP
// key (RFC 8037 §2).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS returns the JSON Web Key Set (RFC 7517) of the verifier's Ed25519
// public keys, sorted by key id, for /.well-known/jwks.json: each is
// {"kty":"OKP","crv":"Ed25519","x":...,"kid":...,"alg":"EdDSA","use":"sig"}.
// HMAC keys are never included (they are secret); a verifier with only
// HMAC keys publishes {"keys":[]}. See # Format for what the keys sign.
func (v *Verifier) JWKS() []byte {
	keys := []jwk{}
	for _, k := range v.keys {
		if k.alg != algEd25519 || k.m == nil || len(k.m.pub) == 0 {
			continue
		}
		keys = append(keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.m.pub),
			Kid: k.id, Alg: algEd25519, Use: "sig"})
	}
	slices.SortFunc(keys, func(a, b jwk) int { return strings.Compare(a.Kid, b.Kid) })
	b, err := json.Marshal(struct {
		Keys []jwk `json:"keys"`
	}{keys})
	if err != nil {
		// Marshalling strings cannot fail.
		return []byte(`{"keys":[]}`)
	}
	return b
}
