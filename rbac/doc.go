// Package rbac decides who may do what with strongbox secrets: principals
// (users and service identities), roles, actions, the Authorizer interface
// with a default role-based implementation, and audit events.
//
// # Roles
//
// Actions are read (get and list metadata), create, update (metadata, reset,
// revoke), delete and decrypt. Admin and Editor hold read, create, update and
// delete; Viewer holds nothing until granted a fine-grained role (Secure
// Values Reader, Creator, Updater, Deleter). Decrypt is granted by
// RoleDecrypter to service identities only, and the secrets Manager further
// requires the service to be listed in the secret's decrypters.
//
// # Security
//
// Deny by default: the zero Principal, a principal of another namespace, a
// user asking to decrypt, or a role table without the action all fail with
// an error matching ErrPermissionDenied. Audit events carry names, never
// values.
package rbac
