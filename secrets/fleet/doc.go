// Package fleet keeps the state that several strongbox instances on one
// store must share in that store's records (see storage's # Records), so
// that many processes are one service: a revocation made through one
// instance holds in every other at once, and after any restart.
//
//	st, _ := storage.OpenStore(ctx, "postgres://...")
//	issuer, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, Revocations: fleet.RunTokenRevocations(st)})
//	tokens, _ := apitoken.New(apitoken.Options{Store: fleet.APITokenStore(st), ...})
//
// RunTokenRevocations is a runtoken.RevocationSet: a revocation is a
// record of kind "runtoken.revoked" keyed by the token id, expiring with
// the token (the store sweeps it with DeleteExpiredRecords; reads ignore it
// from then, when the token is refused as expired anyway). Every
// verification reads the record (one primary-key read), so there is no
// window at all between a revocation through one instance and its refusal
// by another, and nothing to lose at a restart.
//
// APITokenStore is an apitoken.Store over records of kind "apitoken" keyed
// by token id, holding the record's JSON (the token's SHA-256 digest,
// never the token); revoking an API token deletes its record, which every
// instance's next Verify sees.
//
// The in-memory sets of packages runtoken (the default when
// IssuerOptions.Revocations is nil) and apitoken (MemoryStore) remain for
// tests and single-process embeddings: with them, a revocation holds only
// in the process that made it and is lost when it exits.
//
// # Errors
//
// Errors are those of the store (secrets' codes, matched with errors.Is).
// A store that cannot answer whether a run token is revoked makes its
// verification fail (code Unavailable), never pass.
//
// # Security
//
// Records hold token ids, namespaces, subjects, roles and token digests:
// never a token, a value or a key.
package fleet
