// Package storage is where strongbox keeps secrets: Store, the portable
// type users and the secrets Manager hold, with metadata (name,
// description, labels, decrypters, version, revision) in one collection or
// table and ciphertexts in another, on one backend or two. Backends live
// in subpackages, each a driver (storage/driver) behind an Open function
// and a registered URL scheme; OpenStore opens whichever is linked in:
//
//	import _ "github.com/strongbox-go/strongbox/storage/docstorage" // mem://, docstore://
//	import _ "github.com/strongbox-go/strongbox/storage/sqlstorage" // sqlite://, postgres://
//
//	store, err := storage.OpenStore(ctx, "sqlite:///var/lib/app/strongbox.db")
//
// OpenSplitStore puts metadata and ciphertexts in different places, each
// given by a store URL, for example metadata in PostgreSQL and ciphertexts
// in a docstore collection:
//
//	store, err := storage.OpenSplitStore(ctx, "postgres://...", "docstore://?metadata=...&ciphertexts=...")
//
// A new backend is one package: an unexported type implementing
// driver.Store, const Scheme, a URLOpener returning NewStore over the
// driver, registered with Register in init, and a test file whose first
// test, TestConformance, runs storage/drivertest.
//
// What every backend would otherwise repeat is done here, once: the Close
// contract (Close waits for calls in flight; later calls fail with
// ErrClosed), argument checks, error codes, page tokens and label
// filtering, the normal form of times and copies, and the choice between a
// driver's atomic writes and the sequence below.
//
// # Writes
//
// CreateWithCiphertext, UpdateWithCiphertext and DeleteSecret write a
// secret's metadata and ciphertexts together, and GetCurrent reads them
// together. When one driver holds both collections and has Atomic
// operations (SQLite and PostgreSQL), each is one transaction or one
// query. Otherwise (docstore collections, or a split store) the Store runs
// a sequence that leaves no metadata pointing at a missing ciphertext,
// whatever the point of a crash:
//
//   - create and replace store the new ciphertext first, then the
//     metadata; a metadata write the backend refused (ErrAlreadyExists,
//     ErrConflict, ErrNotFound, ErrInvalid, ErrFailedPrecondition) removes
//     the new ciphertext again, and one whose outcome is unknown (the
//     backend went away: it may have committed) keeps it;
//   - a successful replace then removes the old ciphertext;
//   - a delete removes the metadata (at its revision), then the current
//     ciphertext.
//
// The removals are best effort, bounded by CleanupTimeout and run even
// when the call's context is done; what they miss is an orphan ciphertext
// (no metadata points at it), which garbage collection removes
// (secrets.Manager.CollectGarbage). A sequenced create first checks that
// the name is free, so a duplicate stores nothing at all.
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
// Stores keep CreateTime and UpdateTime in UTC, truncated to the
// microsecond (later digits are dropped). The zero time stays zero. Empty
// Labels and Decrypters come back as nil, empty ciphertext data as an
// empty slice. Listings are ordered by name in byte order; page tokens are
// opaque. Arguments are copied before they reach a driver and results are
// the caller's to change.
//
// # Errors
//
// Every error matches one of ErrNotFound, ErrAlreadyExists, ErrInvalid,
// ErrConflict, ErrFailedPrecondition, ErrUnavailable or ErrInternal with
// errors.Is (they are the codes the secrets package uses), except context
// errors, which pass through unchanged: when a call's context is done, a
// driver error without a code of its own is reported as the context's
// error. Errors are wrapped once, here, with the operation
// ("storage.GetMetadata: not found: secret not found"). Calls after Close
// match ErrClosed and ErrFailedPrecondition. Errors name namespaces, names
// and fields; they never contain ciphertext bytes, and opening never
// echoes a store URL, which may hold a password.
//
// # Security
//
// A Store never sees a plaintext value: the secrets package encrypts with a
// keeper before anything reaches a Store, binding each ciphertext to its
// namespace, name and version. Anyone with the store's data holds only
// ciphertexts, wrapped data keys and metadata.
package storage
