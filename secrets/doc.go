// Package secrets is strongbox's portable API: a Manager that creates, lists,
// edits, resets, revokes, deletes and reveals secrets over any storage.Store
// and keeper.Keeper, with role-based access from package rbac.
//
// A Manager is built over a store and a keeper, each opened from a URL:
//
//	k, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{}) // a KMS, or base64key:// locally
//	st, err := storage.OpenStore(ctx, "sqlite:///var/lib/app/secrets.db") // or mem://, postgres://...
//	m, err := secrets.New(secrets.Options{Store: st, Keeper: k})
//	defer m.Close() // before st.Close() and k.Close(): the Manager closes neither
//
// In tests, secretstest.NewManager(t) builds one in memory in one line.
//
// A service creates and manages secrets as a user principal:
//
//	ctx := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "alice",
//		Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}})
//	s, err := m.Create(ctx, "team-a", secrets.Spec{Name: "api-key",
//		Value: secrets.NewValue(v), Decrypters: []string{"k6-runner"}})
//
// A test runner reveals them as a service principal listed in the secret's
// decrypters:
//
//	ctx := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindService, ID: "k6-runner",
//		Namespace: "team-a", Roles: []rbac.Role{rbac.RoleDecrypter}})
//	v, err := m.RevealValue(ctx, "team-a", "api-key")
//	header := v.DangerouslyExpose()
//
// # Limits
//
// Values are valid UTF-8 text of 1 to 24,576 bytes. Names and namespaces
// have 1 to 253 letters, digits, hyphens and underscores; names are unique
// in a namespace. Descriptions have at most 253 characters. At most 10
// labels, keys of 1 to 63 and values of 0 to 63 letters, digits, '-', '_'
// or '.'. At most 64 decrypters, each of 1 to 253 bytes. One Reveal call
// asks for 1 to 100 names. A List or Rewrap page holds at most 1000
// entries (0 means 100). Deleting is permanent and frees the name.
// MaxValueBytes is the value limit as a constant; the others are met
// through Validate's ErrInvalid errors.
//
// # Concurrency
//
// Every secret carries a Revision that changes on each write. Update takes
// the revision the caller read; Reset, Revoke, Rollback, Destroy and Delete take one too, where
// 0 means "whatever is current" (the write is still guarded by the revision
// the Manager read, so a concurrent write is never silently overwritten).
// A stale revision fails with ErrConflict. A name deleted and created
// again starts at revision 1 again, but it is another secret, and a write
// whose read saw the deleted one never carries its fields over to the new
// one: with revision 0 it fails with ErrConflict; with the caller's
// revision it is checked again against the new secret and applies only if
// that revision matches, as it would had it come a moment later.
//
// # Format
//
// A value is encrypted with associated data that binds it to its place,
// the bytes
//
//	"strongbox/aad/v1" 0x00 namespace 0x00 name 0x00 version 0x00 valueID
//
// (version in decimal, valueID 32 lowercase hex digits), so a ciphertext
// copied to another secret, namespace or version does not decrypt. Each value gets a fresh random value id; the
// ciphertext is stored before the metadata that points at it, and removed
// after the metadata stops pointing at it. A crash therefore leaves at worst
// a ciphertext nobody points at, which CollectGarbage removes.
//
// # Format/history
//
// A secret may keep earlier values: Spec.KeepVersions (default
// Options.KeepVersions, whose own default is 0, so an embedder never keeps
// old values by surprise; strongbox serve keeps 3), 0 to MaxKeepVersions,
// changed with Update. A kept value is an ordinary ciphertext, keyed like
// the current one and bound by the same associated data to its own version
// and value id; the metadata's history lists, newest first, the current
// version and the earlier versions in the window (the KeepVersions
// versions before the current one, whether their values are kept, revoked
// or destroyed), never a value:
//
//   - Reset makes the old value a kept one; the value that falls out of the
//     window is removed in the same write (without history: the old value,
//     as before).
//   - Rollback(version) decrypts the kept value and encrypts it again under
//     the next version's associated data, as a new version: history is
//     never rewritten, and a ciphertext is never moved to another version.
//     It needs update, like Reset, and ends a revocation.
//   - Destroy(version) removes one kept value (delete permission); the
//     version stays listed, Destroyed. The current value is Revoke's.
//   - Revoke removes the current value only; kept values stay, so a
//     Rollback can restore one.
//   - Update with a smaller KeepVersions removes the kept values that fall
//     out, which destroys them: it takes the delete permission too.
//   - Delete removes every value of the name; CollectGarbage takes a
//     ciphertext that neither the current value id nor the history names
//     for an orphan, so a crash during a reset leaves, after collection,
//     neither a dangling version nor an extra kept value.
//
// Versions lists the history (read permission). Reveal and RevealValue take
// "name@N" (N from 1, decimal, no sign or leading zeros; names
// cannot contain '@') for version N's value while it is kept, for the same
// decrypters as the current value. A version that never existed, fell out
// of the window, or was revoked or destroyed is ErrNotFound naming the
// version.
//
// # Metrics
//
// A Manager records OpenTelemetry metrics through Options.MeterProvider, or
// the global provider (otel.GetMeterProvider) when that is nil, under the
// scope "github.com/strongbox-go/strongbox/secrets"; it uses only the
// OpenTelemetry API (see package keeper's # Metrics for the keeper's):
//
//	name                       kind     attributes
//	strongbox.secrets.reveals  counter  strongbox.outcome
//
// One count per name asked of Reveal or RevealValue (a call refused as a
// whole counts each name it asked for, up to 100; a call with
// no names or too many counts one). The outcome is "ok", "revoked",
// "decryption_failed", or the error code ("not_found", "permission_denied",
// "invalid", "unavailable", "failed_precondition", "internal", "canceled",
// "deadline_exceeded"); a secret hidden from the caller counts as
// not_found, as the caller saw it. There is no namespace, name, principal
// or value in any attribute: namespaces are tenant ids and names are
// caller input.
//
// # Errors
//
// Every error matches exactly one code with errors.Is: ErrNotFound,
// ErrAlreadyExists, ErrInvalid, ErrConflict, ErrPermissionDenied,
// ErrFailedPrecondition, ErrUnavailable or ErrInternal; ErrorCode returns
// it. Reveal's per-name errors also match ErrRevoked or
// keeper.ErrDecrypt. Context errors are returned unchanged. Errors name
// fields, limits, namespaces and secret names, never a value or key.
// Rejected input is never quoted, not even in part: an error gives the
// field, the position and the rule it breaks (a well-formed name or label
// key may be quoted).
//
// Existence is hidden from callers that may not read the namespace (see
// package rbac, # Existence): on Update, Reset, Revoke, Delete and each
// name of Reveal, a missing secret, a secret that does not list the caller
// as a decrypter, a stale revision and a decrypters change the caller may
// not make all give ErrNotFound with one message, which names neither the
// current revision nor the reason. A caller holding read gets the precise
// code (ErrPermissionDenied, ErrConflict). The audit event always records
// the real code. A denial that does not depend on any secret (no
// principal, another namespace, a missing role) is ErrPermissionDenied
// before any storage or key call. A successful Update, Reset or Revoke by
// such a caller returns only what its write decided (name, version,
// revoked state, revision, update time and author), not the description,
// labels, decrypters or creator that Get would refuse it.
//
// # Security
//
// Deny by default: a call without a principal, or whose principal lacks the
// permission in the namespace, fails with ErrPermissionDenied before any
// storage or key call, and is audited. Values are decrypted only for a
// service principal holding the decrypt permission and listed in the
// secret's decrypters.
//
// Who may decrypt is chosen by whoever supplies the value: Create sets the
// decrypters with the create permission. Changing the decrypters of a
// stored value (Update with a different set, in any order) needs
// rbac.ActionSetDecrypters as well as update, which Admin and Editor hold
// and Secure Values Updater does not, so an Updater cannot list a service
// it controls and read a value someone else supplied. The check needs the
// stored decrypters, so it follows the metadata read (the caller already
// passed update, the namespace-level check), and comes before any write or
// key call. Such an Update is
// audited with Action rbac.ActionSetDecrypters and the decrypter ids before
// and after, whether it is allowed or not; Create's event carries the ids
// after.
//
// Audit events record caller input (names, namespaces) only when it is
// well formed; otherwise as its length and a short keyed hash, e.g.
// "invalid name (len 31, hash 1a2b3c4d)", so a newline cannot forge an
// audit line and a value pasted into a name is not written out. A Reveal
// event names at most 100 secrets.
//
// Value prints as [REDACTED] under fmt (every verb, also inside other
// structs, exported field or not), JSON, text marshalling and slog;
// DangerouslyExpose is the one way to read it. Value.Equal runs in time
// that depends on the lengths, which are not secret, and not on the
// contents.
//
// What is wiped: the Manager hands the keeper a byte copy of the value to
// encrypt and clears it when Encrypt returns; it clears the plaintext
// buffer Decrypt returns once the Value holds its copy, and on a failed
// Decrypt. A Keeper must therefore not keep either buffer after the call.
// What is not: a Value holds a Go string, which cannot be wiped, and so
// does every result of DangerouslyExpose; the garbage collector may have
// copied any buffer before it was cleared, and freed memory is not zeroed
// by the runtime until reused; the caller's own copies (the string given
// to NewValue, request bodies, JSON decoder buffers) are the caller's.
// Clearing shortens how long a plaintext sits in memory; it does not
// defend against a memory dump or a compromised host.
package secrets
