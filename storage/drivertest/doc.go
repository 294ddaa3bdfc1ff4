// Package drivertest is the conformance suite every strongbox storage
// driver runs, through the portable type (storage.Store) over it, so it
// checks what users see on that backend. A backend's test file starts
// with
//
//	func TestConformance(t *testing.T) {
//		drivertest.RunConformance(t, func(t *testing.T) driver.Store {
//			return openMyDriver(t) // the backend's unexported driver
//		})
//	}
//
// (an external test package reaches the unexported driver through an
// export_test.go file). RunStoreConformance runs the same suite on a
// Store assembled another way, such as metadata and ciphertexts on two
// backends (storage.OpenSplitStore).
//
// The suite's files follow its topics: crud.go, listing.go, races.go,
// atomic.go (metadata and ciphertext written together) and close.go
// (context errors and Close).
//
// # What it checks
//
//   - CRUD of metadata and ciphertexts, with deep equality of what comes back
//     (nil and empty Labels and Decrypters are equivalent).
//   - Revisions: create gives 1, every update adds 1, a stale, future, zero
//     or negative revision fails with secrets.ErrConflict and changes nothing.
//   - secrets.ErrAlreadyExists on a duplicate CreateMetadata or PutCiphertext
//     (the first value stays), secrets.ErrNotFound, secrets.ErrInvalid for
//     empty keys, invalid UTF-8, nil arguments and malformed page tokens.
//   - Listing: page sizes (defaults and the 1000 cap), opaque tokens, byte
//     order by name (not a locale's collation), every item exactly once
//     across pages with 257 items, items added between pages; label filters
//     combined with paging (filtered pages may be short, never wrong).
//   - Namespace isolation: the same name in two namespaces, for metadata,
//     ciphertexts and listings.
//   - Races: 16 goroutines updating, deleting or replacing with the same
//     revision or old data, or creating the same name: exactly one wins, the
//     others get secrets.ErrConflict (or secrets.ErrAlreadyExists, or
//     secrets.ErrNotFound for a delete that comes after the winner's).
//   - ListCiphertexts paging in one namespace and across all namespaces.
//   - ReplaceCiphertext compare-and-swap.
//   - Deep copies: mutating an argument or a result never reaches the store.
//   - Times: returned in UTC, within 1 ms of what was written, for nanosecond,
//     pre-1970, year-9999, monotonic and zero times. The backends of this
//     module keep microseconds.
//   - Context: a canceled or expired context makes every method return the
//     context's error and write nothing.
//   - Close: later calls fail with ErrClosed (code
//     secrets.ErrFailedPrecondition); a second Close returns; calls in flight
//     during Close finish or fail with ErrClosed, and none succeeds after Close
//     returned.
//   - Errors never contain ciphertext bytes.
//   - The writes of metadata and ciphertext together, whether the driver has
//     Atomic operations or the Store sequences them: GetCurrent on a current,
//     empty, revoked (empty ValueID) or missing ciphertext; and
//     CreateWithCiphertext, UpdateWithCiphertext and DeleteSecret, each with
//     the errors of the calls it stands for (secrets.ErrAlreadyExists,
//     secrets.ErrNotFound, secrets.ErrConflict, secrets.ErrInvalid), a snapshot
//     of the namespace showing that a failed call changed nothing, and 16
//     goroutines racing on one name or revision: one wins and only its
//     ciphertext survives.
//   - History (history.go): KeepVersions and History (up to MaxKeepVersions+1
//     entries, revoked and destroyed markers) round-trip through create,
//     get, list, update and GetCurrent, and are checked (range, newest
//     first); UpdateWithCiphertext drops none, one or several kept
//     ciphertexts, refuses to drop one the new metadata references, and
//     drops nothing on a conflict; DeleteSecret removes the kept values.
//   - Records (records.go): create-only, update and delete at a revision
//     (secrets.ErrAlreadyExists, secrets.ErrConflict, secrets.ErrNotFound),
//     empty and 64 KiB data, argument checks; expiry (expired records are not
//     read, a create replaces one and continues its revision,
//     DeleteExpiredRecords sweeps only them); listing by kind in key order over
//     pages with expired records between; 16 goroutines creating, updating or
//     deleting one record: exactly one wins; the sequence (WaitRecordChange
//     with -1) grows with every write of its kind only; WaitRecordChange
//     returns within a second of a write and is ended by Close; calls after
//     Close fail with ErrClosed.
//
// Subtests use namespaces and record kinds of their own (a random prefix), so
// newDriver may return drivers over shared data, such as one PostgreSQL
// database.
package drivertest
