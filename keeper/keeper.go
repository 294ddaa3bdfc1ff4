package keeper

import (
	"context"

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
