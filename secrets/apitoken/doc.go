// Package apitoken issues and verifies API tokens: long-lived bearer
// credentials that an admin creates for a person or for automation (CI, a
// deployment script) to call the management API of package httpapi,
// scoped to one namespace and a set of rbac roles, with an expiry, and
// revocable.
//
//	toks, _ := apitoken.New(apitoken.Options{Store: apitoken.NewMemoryStore(), Guard: mgr})
//	tok, rec, _ := toks.Issue(ctx, "team-a", apitoken.Grant{Subject: "ci",
//		Roles: []rbac.Role{rbac.RoleEditor}, TTL: 30 * 24 * time.Hour})
//	// hand tok.DangerouslyExpose() to the caller once; rec.ID revokes it
//	p, err := toks.Verify(ctx, bearer) // on every request
//
// Issue, List and Revoke need rbac.ActionManageAPITokens (Admin) in the
// namespace and are decided and audited by the Guard, normally the
// deployment's *secrets.Manager (secrets.Manager.Authorize). Bootstrap
// issues the first admin token of a fresh service.
//
// # Format
//
// A token is 73 ASCII characters:
//
//	sbx_<id>_<secret>
//
// "sbx_" lets secret scanners and the HTTP handler recognise it; id is 16
// characters of lowercase base32 (10 random bytes), the public id that
// lists, audits and revocations use; secret is 52 characters of lowercase
// base32 (32 random bytes, 256 bits). Nothing else is accepted.
//
// # Principal
//
// A token acts as rbac.Principal{Kind: rbac.KindUser, ID: Subject,
// Namespace: its namespace, Roles: its roles}. Automation gets KindUser,
// not KindService, on purpose: an API token is a management credential,
// and strongbox keeps decrypting for service identities holding a run
// token; a user never decrypts whatever its roles, so a leaked API token
// can change or delete secrets its roles allow but never read a value. A
// Grant may not carry rbac.RoleDecrypter.
//
// # Storage
//
// A Store keeps Records: metadata and the SHA-256 digest of the token,
// never the token. Digesting without salt or a slow hash is the practice
// for high-entropy tokens (GitHub, npm): 256 random bits cannot be guessed
// from the digest, and verification stays one lookup by id. MemoryStore
// keeps records in one process; FileStore in one JSON file of mode 0600
// (one process, e.g. strongbox serve's data directory; a file of another
// format version is refused, not rewritten); a durable Store shared by
// several processes (over package storage) must pass
// apitokentest.RunConformance, as both do.
//
// # Errors
//
// Verify fails with an error matching ErrInvalidToken (code
// PermissionDenied), ErrExpired for an expired token, or code Unavailable
// when the store cannot answer. Issue fails with code Invalid for a grant
// outside the limits; Revoke with NotFound when the namespace has no token
// with that id (a token of another namespace is not found either); all of
// them with PermissionDenied when the Guard refuses. No error contains a
// token or its digest.
//
// # Security
//
// The token is returned once, by Issue or Bootstrap, as a secrets.Value,
// which prints as a placeholder under every fmt verb, JSON and slog; store
// and show it only where it is handed over. Verify compares digests in
// constant time (crypto/subtle) after a lookup by the public id, so timing
// reveals at most whether an id exists, which is not secret.
// VerifyDigest is Verify for a server that keeps a token's id and digest
// instead of the token (package webui's sessions): it refuses a revoked or
// expired token as Verify does; no route of the API takes a digest. A revoked
// token's record is deleted: the next Verify fails. An expired record is
// kept (listable, revocable) and refused. Lifetimes are capped
// (Options.MaxTTL, default DefaultMaxTTL); Issue rounds them to seconds.
// The admin chooses Subject, so a token may carry the ID a person has at
// the identity provider; audits tell them apart by the token id, which
// httpapi's request events record for every request an API token
// authenticates (and CreatedBy names who issued it).
package apitoken
