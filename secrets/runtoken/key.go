package runtoken

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Algorithms of a Key, as a Key prints them. The algorithm belongs to the
// key, never to the token: a verifier uses the algorithm of the key the
// token's key id names.
const (
	algHMACSHA256 = "HS256" // HMAC-SHA256 with a shared secret of 32+ bytes
	algEd25519    = "EdDSA" // Ed25519; verifiers may hold only the public key
)

// minHMACKeyBytes is the shortest HMAC secret NewHMACKey accepts.
const minHMACKeyBytes = 32

// maxKeyIDLength is the longest key id.
const maxKeyIDLength = 64

// Key signs or verifies run tokens. It prints as its id and algorithm only,
// never its material: under every fmt verb, encoding/json, MarshalText and
// slog, through a pointer or a copy. Keys are immutable and safe for
// concurrent use. Make one with NewHMACKey (shared secret; nil generates
// one), NewEd25519Key (key pair; nil generates one), or
// NewEd25519PublicKey (verify only); a zero Key is refused.
type Key struct {
	id  string
	alg string
	// m is behind a pointer so that printing a copy of a Key (which has
	// no methods of *Key) shows an address, never the material.
	m *keyMaterial
}

// keyMaterial is the secret (or public) half of a Key.
type keyMaterial struct {
	hmac []byte
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// NewHMACKey returns an HMAC-SHA256 key that both signs and verifies. The
// secret must have at least 32 bytes; it is copied. A nil secret makes a
// fresh random 32-byte one, for a single process that both issues and
// verifies (an empty non-nil secret is refused like any short one).
func NewHMACKey(id string, secret []byte) (*Key, error) {
	const op = "runtoken.NewHMACKey"
	if err := checkKeyID(op, id); err != nil {
		return nil, err
	}
	if secret == nil {
		var b [minHMACKeyBytes]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, errcode.Wrap(errcode.Internal, op, err)
		}
		secret = b[:]
	}
	if len(secret) < minHMACKeyBytes {
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("HMAC secret has %d bytes; at least %d are required", len(secret), minHMACKeyBytes))
	}
	return &Key{id: id, alg: algHMACSHA256, m: &keyMaterial{hmac: append([]byte(nil), secret...)}}, nil
}

// NewEd25519Key returns an Ed25519 key that signs and verifies. A nil priv
// makes a fresh key pair; its Public half is what other verifiers (and
// Verifier.JWKS) get.
func NewEd25519Key(id string, priv ed25519.PrivateKey) (*Key, error) {
	const op = "runtoken.NewEd25519Key"
	if err := checkKeyID(op, id); err != nil {
		return nil, err
	}
	if priv == nil {
		_, p, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, errcode.Wrap(errcode.Internal, op, err)
		}
		priv = p
	}
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("Ed25519 private key has %d bytes; want %d", len(priv), ed25519.PrivateKeySize))
	}
	priv = append(ed25519.PrivateKey(nil), priv...)
	return &Key{id: id, alg: algEd25519, m: &keyMaterial{priv: priv, pub: priv.Public().(ed25519.PublicKey)}}, nil
}

// NewEd25519PublicKey returns a verify-only Ed25519 key, for servers that
// check tokens another process issues.
func NewEd25519PublicKey(id string, pub ed25519.PublicKey) (*Key, error) {
	const op = "runtoken.NewEd25519PublicKey"
	if err := checkKeyID(op, id); err != nil {
		return nil, err
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("Ed25519 public key has %d bytes; want %d", len(pub), ed25519.PublicKeySize))
	}
	return &Key{id: id, alg: algEd25519, m: &keyMaterial{pub: append(ed25519.PublicKey(nil), pub...)}}, nil
}

// canSign reports whether the key holds signing material.
func (k *Key) canSign() bool { return k.valid() && (k.m.hmac != nil || k.m.priv != nil) }

// valid reports whether k was made by a constructor.
func (k *Key) valid() bool { return k != nil && k.m != nil && k.id != "" }

// Public returns the verify-only half of an Ed25519 key, safe to hand to
// other servers. An HMAC key has no public half: Public returns nil.
func (k *Key) Public() *Key {
	if !k.valid() || k.alg != algEd25519 {
		return nil
	}
	return &Key{id: k.id, alg: k.alg, m: &keyMaterial{pub: k.m.pub}}
}

// text describes the key without its material.
func (k *Key) text() string {
	if k == nil {
		return "runtoken.Key(nil)"
	}
	return "runtoken.Key(" + k.id + ", " + k.alg + ")"
}

// Format prints "runtoken.Key(<id>, <algorithm>)" for every verb (%v, %+v,
// %#v, %s...), never key material.
func (k *Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.text())) }

// MarshalText returns what Format prints, so encoding/json, text encoders
// and slog's handlers show only the id and algorithm. A Key cannot be
// unmarshalled.
func (k *Key) MarshalText() ([]byte, error) { return []byte(k.text()), nil }

func checkKeyID(op, id string) error {
	if id == "" || len(id) > maxKeyIDLength {
		return errcode.New(errcode.Invalid, op, fmt.Sprintf("key id must have 1 to %d characters", maxKeyIDLength))
	}
	for i := 0; i < len(id); i++ {
		if !isIDByte(id[i]) {
			return errcode.New(errcode.Invalid, op, "key id may hold only letters, digits, '-' and '_'")
		}
	}
	return nil
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
