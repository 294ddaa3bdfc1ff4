// Package strongbox is an embeddable Go library for the secrets that load
// tests use: API keys, passwords, tokens and certificates.
//
// The packages:
//
//   - secrets: the Manager (create, get, list, update, reset, revoke,
//     delete, reveal), the Value type that never prints, limits and errors.
//   - keeper: envelope encryption with Tink data keys wrapped by a
//     key-encryption key from any gocloud secrets URL.
//   - storage: the Store interface and its backends (docstore, SQL).
//   - rbac: principals, roles, the Authorizer and audit events.
//   - redact: a fast streaming redactor, io.Writer and slog.Handler that
//     replace every fetched secret with ***SECRET_REDACTED***.
//
// See examples/quickstart for the whole path on embedded defaults.
package strongbox
