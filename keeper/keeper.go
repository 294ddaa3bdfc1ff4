package keeper

import (
	"context"
	"fmt"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// ErrDecrypt matches every failure to authenticate or parse a ciphertext:
// wrong key, wrong associated data, tampered, truncated or unknown-format
// bytes, or a key-encryption key this keeper does not hold. It has code
// Internal, and is the same error as secrets.ErrDecryptionFailed. Wrap it,
// e.g. fmt.Errorf("...: %w", ErrDecrypt).
var ErrDecrypt error = errcode.New(errcode.Internal, "", "decryption failed")

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

// Reasons a ciphertext is rejected, each matching ErrDecrypt; the message
// says which.
var (
	errUnknownVersion = fmt.Errorf("unknown ciphertext format version: %w", ErrDecrypt)
	errMalformed      = fmt.Errorf("malformed ciphertext: %w", ErrDecrypt)
	errUnknownKEK     = fmt.Errorf("unknown key-encryption key: %w", ErrDecrypt)
	// errAuthentication: a key or the associated data does not match, or
	// the bytes were changed.
	errAuthentication = fmt.Errorf("authentication failed: %w", ErrDecrypt)
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
