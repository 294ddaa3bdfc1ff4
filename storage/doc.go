// Package storage defines the Store that strongbox keeps secrets in:
// metadata (name, description, labels, decrypters, version, revision) in
// one collection or table, ciphertexts in another, so a deployment can put
// them in different places. Backends live in subpackages and register a URL
// scheme; OpenStore opens whichever is linked in:
//
//	import _ "github.com/strongbox-go/strongbox/storage/docstorage" // mem://, docstore://
//	import _ "github.com/strongbox-go/strongbox/storage/sqlstorage" // sqlite://, postgres://
//
//	store, err := storage.OpenStore(ctx, "sqlite:///var/lib/app/strongbox.db")
//
// A new backend is one package: const Scheme, a URLOpener registered with
// Register in init, and a test file whose first test, TestConformance, runs
// storage/storagetest.
//
// # Revisions
//
// Every metadata write that can race carries the revision it read. Create
// gives revision 1, each update adds 1, and an update or delete whose
// revision is not the stored one fails with ErrConflict: never a silent
// overwrite. Ciphertexts are never overwritten (PutCiphertext fails with
// ErrAlreadyExists); ReplaceCiphertext, for rewrapping, is a compare-and-swap
// on the old bytes.
//
// # Format
//
// Stores keep CreateTime and UpdateTime in UTC with at least millisecond
// precision; the backends of this module keep microseconds (later digits
// are truncated). The zero time stays zero. Empty Labels and Decrypters
// come back as nil. Listings are ordered by name in byte order; page
// tokens are opaque.
//
// # Errors
//
// Every error matches one of ErrNotFound, ErrAlreadyExists, ErrInvalid,
// ErrConflict, ErrFailedPrecondition, ErrUnavailable or ErrInternal with
// errors.Is (they are the codes the secrets package uses), except context
// errors, which pass through unchanged. Calls after Close match ErrClosed
// and ErrFailedPrecondition. Errors name namespaces, names and fields; they
// never contain ciphertext bytes, and opening never echoes a store URL,
// which may hold a password.
//
// # Security
//
// A Store never sees a plaintext value: the secrets package encrypts with a
// keeper before anything reaches a Store, binding each ciphertext to its
// namespace, name and version. Anyone with the store's data holds only
// ciphertexts, wrapped data keys and metadata.
package storage
