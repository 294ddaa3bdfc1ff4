// Package runtoken issues and verifies run tokens: short-lived, signed
// bearer credentials that let one test run decrypt some secrets of one
// namespace over the HTTP API (package httpapi), the way k6 Cloud hands a
// run-scoped token to its url secret source.
//
// The service that starts a run issues a token next to its Manager:
//
//	iss, _ := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key})
//	tok, claims, _ := iss.Issue(ctx, runtoken.Grant{Namespace: "team-a",
//		Subject: "k6-runner", Names: []string{"api-key"}, TTL: time.Hour})
//
// and the HTTP handler verifies it on every request with iss.Verifier():
// signature, expiry and revocation, without a database read. A token is
// revoked through the same Verifier:
//
//	err = iss.Verifier().Revoke(ctx, claims.ID, claims.Expiry)
//
// A server that only verifies tokens another process issues builds its own
// with NewVerifier (an Ed25519 public key is enough). A token acts as
// claims.Principal(): a service principal whose ID is the run identity
// (Subject), in the token's namespace, holding only the decrypter role; the
// handler also refuses names outside claims.Names and every route but
// decrypt. The secrets must still list the Subject among their decrypters.
//
// # Format
//
// Version 1 tokens are ASCII, with no ',' '=' or space, so they fit in a k6
// secret-source spec and an HTTP header unquoted:
//
//	sbrt1.<kid>.<payload>.<signature>
//
// where:
//
//   - "sbrt1." is the format version (strongbox run token 1).
//   - kid names the signing key: 1 to 64 letters, digits, '-' or '_'.
//   - payload is base64url without padding (RFC 4648 §5) of a UTF-8 JSON
//     object with exactly these members:
//     "jti" token id, 22 base64url characters (16 random bytes);
//     "ns" namespace; "sub" run identity (a service principal ID);
//     "names" sorted, unique secret names, 1 to 100 (absent: all names);
//     "iat", "exp" issue and expiry times in whole Unix seconds, from 0
//     to 253402300799 (9999-12-31), exp > iat.
//   - signature is base64url without padding of the signature of the ASCII
//     bytes "sbrt1.<kid>.<payload>": HMAC-SHA256 (32 bytes) or Ed25519 (64
//     bytes), whichever algorithm the verifier's key with that kid has. The
//     token never chooses the algorithm.
//
// The signature is checked before the payload is decoded. The claims are
// decoded strictly (internal/strictjson): member names are matched exactly
// and each may appear once, so "NS", "ſub" (Unicode case folding) or a
// second "ns" is refused, not read as "ns"; unknown members, invalid
// UTF-8, invalid escapes (lone surrogates), nesting over 64 and trailing
// data are refused too, as are non-canonical base64 and tokens over 48
// KiB. A verifier also refuses a token whose lifetime (exp - iat) exceeds
// its maximum (see # Security), whatever key signed it.
//
// # Errors
//
// Verify fails with an error matching ErrInvalidToken (code
// PermissionDenied) when it refuses the token; Reason(err) says why:
// "malformed", "unknown_key", "signature", "lifetime", "expired",
// "not_yet_valid" or "revoked" (a revoked token; secrets.ErrRevoked is a
// revoked secret value). It fails with
// code Unavailable when the RevocationSet cannot be read; context errors
// pass through. NewIssuer, NewVerifier, Issue and Revoke fail with code
// Invalid (secrets.ErrInvalid). No error contains a token, its id or key
// material.
//
// When the token's signature was valid, so that its id was chosen by a
// key holder and not by the sender (expired, not yet valid, too long,
// revoked, invalid claims with a well-formed id, revocation set down),
// IDFromError(err) returns the token id for the audit; for forged,
// unknown-key or unparseable tokens it returns "", false.
//
// # Security
//
// Tokens are bearer credentials: whoever holds one may use it until it
// expires or is revoked, so keep them short-lived (default one hour, at
// most IssuerOptions.MaxTTL, default 24 hours) and out of logs. HMAC keys
// need at least 32 random bytes (NewHMACKey(id, nil) makes one) and are shared
// by issuer and verifiers; key ids have 1 to 64 letters, digits, '-' or
// '_'. With Ed25519 the verifiers hold only the public key (Key.Public,
// NewEd25519PublicKey).
//
// Lifetime is bounded on the verifying side too, so that a leaked or
// mis-issued long-lived token (or one from an issuer with other settings)
// is worthless: Verify refuses (reason "lifetime") a token whose exp - iat
// exceeds VerifierOptions.MaxLifetime (default 24 hours; an Issuer's own
// Verifier uses its MaxTTL), and (reason "not_yet_valid") one issued more than
// Leeway (default 30 seconds) ahead of its Clock. Expiry is never
// extended.
//
// Revocation is a set of token ids consulted on every Verify (in memory
// per Verifier unless the options give a shared RevocationSet; an Issuer's
// Verifier uses the Issuer's). Verifier.Revoke is the one way to revoke. A
// revocation holds at least until the token could expire, whatever expiry
// the caller passes: Revoke keeps the id until the later of the given
// expiry and now + MaxLifetime + Leeway (no token carrying it can verify
// after that), so Revoke(ctx, id, time.Time{}) is enough when only the id
// is known. The in-memory set forgets an id only after that time and
// refuses a time already past. Verifiers sharing a RevocationSet should
// share MaxLifetime and Leeway, or revoke with the token's Expiry.
//
// A Key, like secrets.Value, prints only its id and algorithm under every
// fmt verb, encoding/json, MarshalText and slog, through a pointer or a
// copy (its material sits behind a pointer). A Verifier prints the ids and
// algorithms of its keys; an Issuer holds its key and Verifier behind
// pointers and prints their addresses. Claims hold no secret; the token id
// is not secret either. Rotate keys by issuing with a new Key and keeping
// the old one in IssuerOptions.OldKeys (or VerifierOptions.Keys) until its
// tokens expired.
//
// # Authorization
//
// Issue and Verifier.Revoke check no caller: they are for trusted code. A
// service that lets people start runs uses IssueFor and RevokeFor, which
// need rbac.ActionIssueRunToken in the grant's namespace (Admin, Editor, or
// rbac.RoleTestAuthor, the product's "Performance Testing (k6): Editor"),
// decided and audited by a Guard, normally the deployment's
// *secrets.Manager. Package httpapi serves them as routes.
//
// # Published keys
//
// Verifier.JWKS is the JSON Web Key Set of the verifier's Ed25519 public
// keys (OKP keys, RFC 8037), served by httpapi at /.well-known/jwks.json,
// so that another service can verify run tokens with the key named by the
// token's kid: Ed25519 over the ASCII bytes "sbrt1.<kid>.<payload>", then
// the checks of # Format and # Security. HMAC keys are never published.
//
// # Not a JWT
//
// Decision: run tokens stay the sbrt1 format above and do not
// become a JWT profile. Reasons:
//
//   - The format already has what a strict profile would add: the
//     algorithm belongs to the key id, never to the token (no "alg"
//     header, so no "none" and no HMAC/public-key confusion); one canonical
//     encoding (strict base64url, exact JSON members, each once); a size
//     cap; audience and issuer are fixed by the prefix and the key set.
//   - The same API accepts OIDC JWTs from an identity provider (package
//     oidcauth). A run token that is also a JWT could be taken for an
//     identity token by a lax verifier, or the reverse, whenever the two
//     share a key set or a library; RFC 8725 §3.11 asks for explicit
//     typing to prevent exactly that. A distinct "sbrt1." prefix makes the
//     confusion impossible rather than a configuration duty.
//   - A run token is decrypt-only and short-lived: its verifiers are
//     strongbox's own handler and the few services a deployment writes.
//     For them the published JWKS and the few lines of # Format suffice in
//     any language with an Ed25519 function. Generic gateways that only
//     speak JWT should authenticate people with OIDC, not run tokens.
//
// Should gateways need to verify run tokens themselves, a version 2 would
// be a JWS compact serialization with "typ":"sbrt+jwt", "alg":"EdDSA"
// only, "iss" the service URL and "aud" the decrypt API, under a new
// prefix, issued next to version 1 during a migration.
package runtoken
