// Package secrets is strongbox's portable API: a Manager that creates, lists,
// edits, resets, revokes, deletes and reveals secrets over any storage.Store
// and keeper.Keeper, with role-based access from package rbac.
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
// or '.'. At most 64 decrypters. Deleting is permanent and frees the name.
//
// # Concurrency
//
// Every secret carries a Revision that changes on each write. Update takes
// the revision the caller read; Reset, Revoke and Delete take one too, where
// 0 means "whatever is current" (the write is still guarded by the revision
// the Manager read, so a concurrent write is never silently overwritten).
// A stale revision fails with ErrConflict.
//
// # Format
//
// A value is encrypted with associated data AssociatedData(namespace, name,
// version, valueID), so a ciphertext copied to another secret, namespace or
// version does not decrypt. Each value gets a fresh random value id; the
// ciphertext is stored before the metadata that points at it, and removed
// after the metadata stops pointing at it. A crash therefore leaves at worst
// a ciphertext nobody points at, which CollectGarbage removes.
//
// # Errors
//
// Every error matches exactly one code with errors.Is: ErrNotFound,
// ErrAlreadyExists, ErrInvalid, ErrConflict, ErrPermissionDenied,
// ErrFailedPrecondition, ErrUnavailable or ErrInternal; ErrorCode returns
// it. Reveal's per-name errors also match ErrRevoked or
// ErrDecryptionFailed. Context errors are returned unchanged. Errors name
// fields, limits, namespaces and secret names, never a value or key.
//
// # Security
//
// Deny by default: a call without a principal, or whose principal lacks the
// permission in the namespace, fails with ErrPermissionDenied before any
// storage or key call, and is audited. Values are decrypted only for a
// service principal holding the decrypt permission and listed in the
// secret's decrypters. Value prints as [REDACTED] under fmt, JSON, text
// marshalling and slog; DangerouslyExpose is the one way to read it.
package secrets
