package keeper

import (
	"context"
	"fmt"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Errors returned by keepers, usable with errors.Is.
var (
	// ErrDecrypt matches every failure to authenticate or parse a ciphertext:
	// wrong key, wrong associated data, tampered or truncated bytes.
	// It has code Internal. Wrap it, e.g. fmt.Errorf("...: %w", ErrDecrypt).
	ErrDecrypt error = errcode.New(errcode.Internal, "", "decryption failed")
	// ErrUnavailable means the key-encryption key could not be reached.
	ErrUnavailable error = errcode.Unavailable
	// ErrInvalid means bad arguments or configuration.
	ErrInvalid error = errcode.Invalid
)

// Keeper encrypts and decrypts values bound to associated data. The
// associated data is authenticated but not encrypted: decryption with any
// other associated data fails. Implementations are safe for concurrent use.
//
// Errors never contain plaintext, key material, or a URL with key material.
type Keeper interface {
	Encrypt(ctx context.Context, plaintext, associatedData []byte) ([]byte, error)
	Decrypt(ctx context.Context, ciphertext, associatedData []byte) ([]byte, error)
	// Close releases the keeper; it waits for calls in flight and later
	// calls fail.
	Close() error
}

// Reasons a ciphertext is rejected. Each matches ErrDecrypt with errors.Is,
// so callers that only care "did it decrypt?" test ErrDecrypt; tests and
// tools that care why test these.
var (
	// ErrUnknownVersion: the ciphertext's format version byte is not one
	// this keeper reads.
	ErrUnknownVersion = fmt.Errorf("unknown ciphertext format version: %w", ErrDecrypt)
	// ErrMalformed: the ciphertext is truncated or its header is not
	// well-formed.
	ErrMalformed = fmt.Errorf("malformed ciphertext: %w", ErrDecrypt)
	// ErrUnknownKEK: the ciphertext names a key-encryption key that this
	// keeper does not hold (never added, or removed).
	ErrUnknownKEK = fmt.Errorf("unknown key-encryption key: %w", ErrDecrypt)
	// ErrAuthentication: a key or the associated data does not match, or the
	// bytes were changed: the key-encryption key could not unwrap the data
	// key, or the data key could not authenticate the value.
	ErrAuthentication = fmt.Errorf("authentication failed: %w", ErrDecrypt)
)

// Rewrapper is implemented by keepers that can re-encrypt a ciphertext under
// their current key without handing the plaintext to the caller (Envelope
// does). The secrets Manager uses it to migrate stored values after a key
// rotation.
type Rewrapper interface {
	// Rewrap returns ciphertext re-encrypted under the current primary
	// key-encryption key, bound to the same associated data. If the
	// ciphertext is already current it is authenticated and returned
	// unchanged with changed == false. Rewrap fails like Decrypt on a
	// ciphertext that does not authenticate.
	Rewrap(ctx context.Context, ciphertext, associatedData []byte) (out []byte, changed bool, err error)
}
