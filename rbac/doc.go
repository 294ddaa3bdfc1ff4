// Package rbac decides who may do what with strongbox secrets: principals
// (users and service identities), roles, actions, the Authorizer interface
// with a default role-based implementation, and audit events.
//
// # Roles
//
// Actions are read (get and list metadata), create, update (metadata, reset,
// revoke), delete, decrypt and set-decrypters. Admin and Editor hold read,
// create, update, delete and set-decrypters; Viewer holds nothing until
// granted a fine-grained role (Secure Values Reader, Creator, Updater,
// Deleter). Decrypt is granted by RoleDecrypter to service identities only,
// and the secrets Manager further requires the service to be listed in the
// secret's decrypters.
//
// Two actions concern credentials rather than secrets. Issue-run-token
// (ActionIssueRunToken) is issuing and revoking the run tokens a test run
// decrypts with; it mirrors the product's rule that only users with the
// Admin or Editor role, or the "Performance Testing (k6): Editor"
// permission (here RoleTestAuthor), can use secrets in tests. Admin and
// Editor hold it; RoleTestAuthor holds only it. Manage-api-tokens
// (ActionManageAPITokens) is issuing, listing and revoking API tokens; only
// Admin holds it, since an API token may carry any role.
//
// Set-decrypters (ActionSetDecrypters) is changing the decrypters of a value
// that is already stored. An Updater may change a secret's description and
// labels and supply a new value, but not choose who may decrypt a value
// someone else supplied: that would let it list a service identity it
// controls and read the value through it. A caller that supplies the value
// in the same call (Create) sets the decrypters with that call's action.
// A custom role table that grants update does not grant set-decrypters:
// list it explicitly.
//
// # Existence
//
// A caller that may not read a namespace must not learn which secret names
// exist in it. The secrets Manager therefore returns ErrNotFound, with one
// message, for every refusal that depends on the stored secret (missing,
// the caller not listed as a decrypter, a stale revision, a decrypters
// change the caller may not make) unless the caller holds read in the
// namespace; callers with read get the precise code. A refusal that does
// not depend on any secret (no principal, another namespace, an action the
// roles lack) is secrets.ErrPermissionDenied before any storage or key call. What a
// successful write reveals (Create's ErrAlreadyExists, a Reset, Revoke or
// Delete at revision 0 succeeding) is inherent in the permission to write.
//
// # Security
//
// Deny by default: the zero Principal, a principal whose ID or namespace is
// empty, longer than 253 bytes or holds control or format characters, a
// principal of another namespace, a user asking to decrypt, or a role table
// without the action all fail with an error matching
// secrets.ErrPermissionDenied (the error codes are package secrets'; this
// package exports none of its own).
// Audit events carry names and decrypter ids, never values; input that is
// not well formed (a name with a newline, a value pasted into a name) is
// recorded by length and a short keyed hash, never echoed, in audit events
// and in denial messages alike.
package rbac
