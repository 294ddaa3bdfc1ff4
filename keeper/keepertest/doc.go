// Package keepertest is the conformance suite every keeper.Keeper runs.
//
// A keeper's test file starts with
//
//	func TestConformance(t *testing.T) {
//		keepertest.RunConformance(t, func(t *testing.T) keeper.Keeper {
//			k, err := mykeeper.Open(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return k
//		})
//	}
//
// The suite checks: round trips of empty, short, binary and 24 KiB values;
// that decryption with other associated data fails with keeper.ErrDecrypt;
// that every single-bit change, truncation and extension of a ciphertext
// fails with keeper.ErrDecrypt (or keeper.ErrUnknownKEK, when a changed
// byte of the header names a key the keeper does not hold) and returns no
// plaintext; that two
// encryptions of one value differ; that no error carries the plaintext;
// that outputs do not alias inputs; concurrent use; and that Close is
// idempotent, waits for calls in flight and makes later calls fail.
//
// # Errors
//
// The suite requires that every failed decryption match keeper.ErrDecrypt
// (or, for a header naming a key-encryption key the keeper does not hold,
// keeper.ErrUnknownKEK) and return a nil plaintext, and that calls after
// Close fail.
//
// # Security
//
// The suite encrypts only values it makes up; it needs no real key.
package keepertest
