package keeper

import (
	"context"
	"fmt"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// ErrDecrypt matches every failure to authenticate or parse a ciphertext:
// wrong key, wrong associated data, tampered, truncated or unknown-format
// bytes. It has code Internal, and is the same error as
// secrets.ErrDecryptionFailed. Wrap it, e.g. fmt.Errorf("...: %w",
// ErrDecrypt). A ciphertext under a key-encryption key the keeper does not
// hold fails with ErrUnknownKEK instead.
var ErrDecrypt error = errcode.New(errcode.Internal, "", "decryption failed")

// ErrUnknownKEK matches the failure to decrypt a ciphertext whose header
// names a key-encryption key this keeper does not hold: typically data
// written by another instance that already has a newer key, or after
// RemoveKEK. The message names the KEK id (ids are not secret). It has code
// Unavailable (the key may arrive, or another instance may hold it) and
// does not match ErrDecrypt, which means the bytes themselves are wrong. It
// is the same error as secrets.ErrUnknownKEK.
var ErrUnknownKEK error = errcode.New(errcode.Unavailable, "", "unknown key-encryption key")

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
	// errAuthentication: a key or the associated data does not match, or
	// the bytes were changed.
	errAuthentication = fmt.Errorf("authentication failed: %w", ErrDecrypt)
)

// A Keeper that can re-encrypt a ciphertext under its current key without
// handing the plaintext to the caller has a method
//
//	Rewrap(ctx context.Context, ciphertext, associatedData []byte) (out []byte, changed bool, err error)
//
// (Envelope does): it returns ciphertext re-encrypted under the current
// primary key-encryption key, bound to the same associated data, or, if
// the ciphertext is already current, authenticates it and returns it
// unchanged with changed == false; it fails like Decrypt on a ciphertext
// that does not authenticate. The secrets Manager uses it to migrate
// stored values after a key rotation.
