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
// driver.Store, an unexported URLOpener returning NewStore over it,
// registered for the backend's schemes with Register in init, at most one
// exported constructor from parts (such as sqlstorage.OpenDB over a
// *sql.DB the caller owns), and a test file whose first test,
// TestConformance, runs storage/drivertest.
//
// What every backend would otherwise repeat is done here, once: the Close
// contract (Close waits for calls in flight; later calls fail with
// ErrClosed), argument checks, error codes, page tokens and label
// filtering, the normal form of times and copies, the choice between a
// driver's atomic writes and the sequence below, and the expiry and sweep
// of records.
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
//   - create and replace store the new ciphertext first, then the metadata; a
//     metadata write the backend refused (secrets.ErrAlreadyExists,
//     secrets.ErrConflict, secrets.ErrNotFound, secrets.ErrInvalid,
//     secrets.ErrFailedPrecondition) removes the new ciphertext again, and one
//     whose outcome is unknown (the backend went away: it may have committed)
//     keeps it;
//   - a successful replace then removes the ciphertexts it was told to
//     drop (the old current value, or the kept values that fall out of a
//     history window; none that the new metadata still references);
//   - a delete removes the metadata (at its revision), then the current
//     and the kept ciphertexts.
//
// # History
//
// Metadata.KeepVersions and Metadata.History describe a secret's earlier
// values (secrets.Manager keeps them; see its # Format/history). A kept
// value is an ordinary ciphertext, keyed by namespace, name and value ID
// like the current one, so listing, garbage collection and rewrapping
// treat it like any other; History, newest first and at most driver.MaxKeepVersions+1
// entries, says which value IDs the metadata references. Garbage
// collection takes a ciphertext the current value ID and History do not
// name for an orphan.
//
// The removals are best effort, bounded by ten seconds and run even
// when the call's context is done; what they miss is an orphan ciphertext
// (no metadata points at it), which garbage collection removes
// (secrets.Manager.CollectGarbage). A sequenced create first checks that
// the name is free, so a duplicate stores nothing at all.
//
// # Revisions
//
// Every metadata write that can race carries the revision it read. Create gives
// revision 1, each update adds 1, and an update or delete whose revision is not
// the stored one fails with secrets.ErrConflict: never a silent overwrite.
// Ciphertexts are never overwritten (PutCiphertext fails with
// secrets.ErrAlreadyExists); ReplaceCiphertext, for rewrapping, is a
// compare-and-swap on the old bytes.
//
// # Records
//
// Besides secrets, a Store keeps small opaque records of the service's own
// state that several processes sharing the store must agree on and that
// must survive restarts: API tokens (stored hashed), run-token and
// API-token revocations, the list of key-encryption keys with their
// primary and retired state, run-token signing keys encrypted under a KEK.
// A record is keyed by (Kind, Key) and holds at most 64 KiB of Data, a
// Revision and an optional ExpireTime:
//
//   - PutRecord with Revision 0 creates (secrets.ErrAlreadyExists if the key
//     holds a record that has not expired), with a Revision updates at that
//     revision (secrets.ErrConflict if it moved, secrets.ErrNotFound if
//     absent); of racing writers exactly one wins. DeleteRecord takes the
//     revision too.
//   - Reads (GetRecord, ListRecords) ignore records whose ExpireTime has
//     passed, by the reading process's clock; a create replaces an expired
//     record and continues its revision; DeleteExpiredRecords sweeps them.
//   - ListRecords pages through a kind in key order.
//   - A kind's sequence is a number that grows with every write of
//     that kind, by any process: a poller reads it with
//     WaitRecordChange(ctx, kind, -1) (one small read) and
//     rereads the kind when it moved. On SQL backends it is bumped in the
//     write's transaction; on docstore collections by a second write right
//     after the first, so a crash between the two delays the news until
//     the kind's next write: pollers should also reread every kind at a
//     long interval.
//   - WaitRecordChange(ctx, kind, seq) returns once the kind's sequence
//     differs from seq: on PostgreSQL at once, woken by LISTEN/NOTIFY
//     (every record write sends NOTIFY strongbox_records with the kind as
//     payload, at commit; the Store holds one pooled connection in LISTEN
//     from its first wait until Close), on every other backend by polling
//     the sequence twice a second, so any instance learns of a change
//     within a second. Close ends waits with ErrClosed.
//
// Kinds are 1 to 32 characters of a-z, 0-9, '.', '_', '-', starting with a
// letter; keys are non-empty UTF-8 without NUL bytes, at most 512 bytes.
// Records live with the metadata: in a split store, in the metadata's
// backend. Record data is opaque here: a caller that stores secret
// material in a record (a signing key) encrypts it first.
//
// # Format
//
// Secrets and records are kept per backend as follows:
//
//   - SQL (storage/sqlstorage): tables strongbox_metadata,
//     strongbox_ciphertexts, strongbox_records (kind, key, data, revision,
//     expire_time_us, update_time_us; primary key (kind, key); times in
//     Unix microseconds, expire_time_us 0 for never) and
//     strongbox_record_kinds (kind, seq), created by the schema migrations.
//   - docstore (storage/docstorage): a metadata collection, a ciphertext
//     collection and, for records, a third collection (docstore://
//     parameter records=, or the third argument of OpenCollections) with
//     documents id (query-escaped kind and key joined by ':'), kind, key,
//     data, revision, expire_time, update_time, deleted; the document with
//     an empty key holds the kind's seq.
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
// Every error matches one of secrets.ErrNotFound, secrets.ErrAlreadyExists,
// secrets.ErrInvalid, secrets.ErrConflict, secrets.ErrFailedPrecondition,
// secrets.ErrUnavailable or secrets.ErrInternal with errors.Is (they are the
// codes the secrets package uses), except context errors, which pass through
// unchanged: when a call's context is done, a driver error without a code of
// its own is reported as the context's error. Errors are wrapped once, here,
// with the operation ("storage.GetMetadata: not found: secret not found").
// Calls after Close match ErrClosed and secrets.ErrFailedPrecondition. Errors
// name namespaces, names and fields; they never contain ciphertext bytes, and
// opening never echoes a store URL, which may hold a password.
//
// # Security
//
// A Store never sees a plaintext value: the secrets package encrypts with a
// keeper before anything reaches a Store, binding each ciphertext to its
// namespace, name and version. Anyone with the store's data holds only
// ciphertexts, wrapped data keys and metadata.
package storage
