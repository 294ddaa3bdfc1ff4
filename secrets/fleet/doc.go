// Package fleet keeps the state that several strongbox instances on one
// store must share in that store's records (see storage's # Records), so
// that many processes are one service: a revocation made through one
// instance holds in every other at once, and after any restart.
//
//	st, _ := storage.OpenStore(ctx, "postgres://...")
//	keys, _ := fleet.OpenKeys(ctx, st, env, fleet.KeysOptions{}) // before serving
//	key, _ := fleet.RunTokenKey(ctx, st, env, "rt-1")
//	issuer, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, Revocations: fleet.RunTokenRevocations(st)})
//	tokens, _ := apitoken.New(apitoken.Options{Store: fleet.APITokenStore(st), ...})
//	admin, rec, _ := fleet.BootstrapAPIToken(ctx, st, tokens, "default") // rec != nil in one process only
//	go fleet.Sweeper(ctx, st, 0, logger)
//
// strongbox serve (cmd/strongbox) is wired this way on every backend.
// RunTokenRevocations is a runtoken.RevocationSet: a revocation is a
// record of kind "runtoken.revoked" keyed by the token id, expiring with
// the token (Sweep deletes it with DeleteExpiredRecords; reads ignore it
// from then, when the token is refused as expired anyway). Every
// verification reads the record (a primary-key read), so there is no
// window at all between a revocation through one instance and its refusal
// by another, and nothing to lose at a restart. Verifications of one token
// that arrive while a read of its record is in flight share the next read,
// which begins after each of them did and so sees every revocation that
// completed before: the VUs of a load test, which all present one run
// token, cost the store one read at a time, not one each.
//
// APITokenStore is an apitoken.Store over records of kind "apitoken" keyed
// by token id, holding the record's JSON (the token's SHA-256 digest,
// never the token); revoking an API token deletes its record, which every
// instance's next Verify sees.
//
// WebSessions is the secrets page's session store (webui.Options.Sessions)
// over records of kind "webui.session", keyed by the SHA-256 of the
// session id and expiring with the session: a browser signed in through
// one instance is signed in on every other and after a restart, and a
// sign-out through one (which deletes the record) ends it on all.
//
// BootstrapAPIToken issues a store's first admin token once per store:
// of processes starting at once on an empty store, the one that creates
// the record of kind "apitoken.bootstrap" (create-if-absent: one racer
// wins) issues it, the others issue none. The record is a one-minute
// lease until the token is stored, so a process that died in between
// does not leave the store without a way in.
//
// Sweep deletes the expired records of this package's kinds (revocations,
// heartbeats, bootstrap leases, page sessions); Sweeper runs it every minute or so, at a
// random point of each interval so that instances do not sweep together.
// Reads ignore expired records anyway: sweeping keeps the store small.
//
// The in-memory sets of packages runtoken (the default when
// IssuerOptions.Revocations is nil) and apitoken (MemoryStore) remain for
// tests and single-process embeddings: with them, a revocation holds only
// in the process that made it and is lost when it exits.
//
// # Rotation
//
// Keys shares an Envelope's key configuration: the list of KEKs (ids, the
// URLs of cloud KEKs, which is primary, which are retired) lives in one
// record of kind "keeper.config" that every instance follows (at once on
// PostgreSQL through LISTEN/NOTIFY, within a second on other backends by
// polling, and every KeysOptions.Heartbeat in any case), and each instance
// keeps a heartbeat record of kind "keeper.instance" saying which KEKs it
// holds and which primary it uses, expiring after three heartbeats. A
// local key's material (base64key://) never enters the store: only its
// id; each instance is given local keys by its own configuration. Open
// Keys before the instance serves: OpenKeys refuses (FailedPrecondition,
// naming the key) an instance that does not hold the shared primary,
// which would write what the others may not read. A newly opened
// instance has no write in flight, so its heartbeat does not hold up a
// RemoveKEK; one whose primary changed while it served does, for
// RemoveGrace.
//
// The operator's sequence for a fleet, through any one instance's Keys:
//
//  1. AddKEK(new): a cloud KEK reaches every instance by itself; a local
//     key must be added to every instance's own configuration (each logs
//     the id it lacks until then).
//  2. SetPrimary(new): refused, naming the instance, while any live
//     instance does not hold the key, since that instance could not read
//     what the others then write. Every instance switches within a second.
//  3. Manager.Rewrap every namespace (any instance).
//  4. RemoveKEK(old): refused while old is the shared primary, while any
//     live instance still writes under it or switched away less than
//     KeysOptions.RemoveGrace ago (writes begun under it may be in
//     flight), and while any stored ciphertext still names it (pass
//     Manager.KEKInUse()). The run-token signing keys (RunTokenKey),
//     which KEKInUse does not count, are rewrapped under the primary
//     first. Every instance then drops the key; its id stays retired and
//     cannot be added again.
//
// Status reports the shared list with, for each key, the live instances
// that lack it (strongbox key list prints it): check it before SetPrimary.
//
// The keeper.Envelope's own AddKEK, SetPrimary and RemoveKEK act on one
// process only: on a fleet, use Keys. A secret under a KEK an instance
// lacks reads as keeper.ErrUnknownKEK, naming the id.
//
// RunTokenKey shares a run-token signing key: the first instance makes an
// Ed25519 key and stores it encrypted by its keeper (record kind
// "runtoken.key", bound to the key id), every other reads it, so a token
// issued through one instance verifies on all. Rotate it by giving a new
// id as IssuerOptions.Key and the old key in OldKeys until its tokens
// expire.
//
// # Errors
//
// Errors are those of the store (secrets' codes, matched with errors.Is);
// a refused rotation step has code FailedPrecondition and says why.
// A store that cannot answer whether a run token is revoked makes its
// verification fail (code Unavailable), never pass.
//
// # Security
//
// Records hold token ids, namespaces, subjects, roles and token digests:
// never a token, a value or a key. Page sessions also hold their CSRF
// token and one-time message (secret names and descriptions), and a
// bearer credential other than an API token only sealed under a key that
// only the browser's cookie yields.
package fleet
