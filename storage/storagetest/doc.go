// Package storagetest is the conformance suite every strongbox storage
// backend runs: a backend's test file starts with
//
//	func TestConformance(t *testing.T) {
//		storagetest.RunConformance(t, func(t *testing.T) storage.Store {
//			s, err := mybackend.Open(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// # What it checks
//
//   - CRUD of metadata and ciphertexts, with deep equality of what comes back
//     (nil and empty Labels and Decrypters are equivalent).
//   - Revisions: create gives 1, every update adds 1, a stale, future, zero
//     or negative revision fails with ErrConflict and changes nothing.
//   - ErrAlreadyExists on a duplicate CreateMetadata or PutCiphertext (the
//     first value stays), ErrNotFound, ErrInvalid for empty keys, invalid
//     UTF-8, nil arguments and malformed page tokens.
//   - Listing: page sizes (defaults and the 1000 cap), opaque tokens, byte
//     order by name (not a locale's collation), every item exactly once
//     across pages with 257 items, items added between pages; label filters
//     combined with paging (filtered pages may be short, never wrong).
//   - Namespace isolation: the same name in two namespaces, for metadata,
//     ciphertexts and listings.
//   - Races: 16 goroutines updating, deleting or replacing with the same
//     revision or old data, or creating the same name: exactly one wins, the
//     others get ErrConflict (or ErrAlreadyExists, or ErrNotFound for a
//     delete that comes after the winner's).
//   - ListCiphertexts paging in one namespace and across all namespaces.
//   - ReplaceCiphertext compare-and-swap.
//   - Deep copies: mutating an argument or a result never reaches the store.
//   - Times: returned in UTC, within TimePrecision (1 ms) of what was
//     written, for nanosecond, pre-1970, year-9999, monotonic and zero times.
//     The backends of this module keep microseconds.
//   - Context: a canceled or expired context makes every method return the
//     context's error and write nothing.
//   - Close: later calls fail with ErrClosed (code ErrFailedPrecondition); a
//     second Close returns; calls in flight during Close finish or fail
//     with ErrClosed, and none succeeds after Close returned.
//   - Errors never contain ciphertext bytes.
//   - The optional interfaces, when the Store implements them (the subtests
//     skip otherwise): storage.CurrentGetter's GetCurrent on a current,
//     empty, revoked (empty ValueID) or missing ciphertext; and
//     storage.AtomicWriter's CreateWithCiphertext, UpdateWithCiphertext and
//     DeleteSecret, each with the errors of the calls it replaces
//     (ErrAlreadyExists, ErrNotFound, ErrConflict, ErrInvalid), a snapshot
//     of the namespace showing that a failed call changed nothing, and 16
//     goroutines racing on one name or revision: one wins and only its
//     ciphertext survives.
//
// Subtests use namespaces of their own (a random prefix), so newStore may
// return Stores over shared data, such as one PostgreSQL database.
package storagetest
