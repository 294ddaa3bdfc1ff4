// Package strongbox is an embeddable Go library for the secrets that load
// tests use: API keys, passwords, tokens and certificates. A Go service
// imports it to create, list, edit, reset, revoke and delete secrets; a test
// runner imports it to fetch a secret by name at run time and to keep every
// fetched value out of its logs. This package holds no code: the library is
// its packages, and Example shows the whole path.
//
// The packages:
//
//   - secrets: the Manager (create, get, list, update, reset, revoke, delete,
//     reveal, rewrap), Value that never prints, limits and errors.
//   - secrets/source: k6-compatible runner sources (mock, file, url, and
//     store over a Manager) and the caching Resolver.
//   - secrets/httpapi: the http.Handler (management routes and the k6
//     url-protocol decrypt route), its client and remote source.
//   - secrets/httpapi/metrics: strongbox's metrics in the Prometheus text
//     format, for a /metrics endpoint.
//   - secrets/run: runs a command (k6) with a server's secrets and keeps
//     them out of its output and files: strongbox run and strongbox scan.
//   - secrets/runtoken: signed, expiring, revocable run tokens for
//     decrypt-only access over HTTP.
//   - secrets/apitoken: long-lived, scoped, revocable API tokens for people
//     and automation calling the management API.
//   - secrets/apitoken/apitokentest: the conformance tests every
//     apitoken.Store runs.
//   - secrets/fleet: the state several instances on one store share through
//     it: run-token revocations, API tokens, the run-token signing key,
//     the list of key-encryption keys and the secrets page's sessions.
//   - secrets/oidcauth: OIDC/JWT bearer authentication for the management
//     API, with claims mapped to rbac principals.
//   - secrets/webui: the secrets page, an http.Handler to list, create, edit,
//     reset, revoke and delete secrets in a browser.
//   - secrets/webui/webuitest: the conformance tests every
//     webui.SessionStore runs.
//   - secrets/secretstest: test helpers: an in-memory Manager, editor and
//     runner principals, a k6 url server, AssertNoSecrets.
//   - keeper: the Keeper interface, the ciphertext format and envelope
//     encryption under a key-encryption key; no gocloud dependency.
//   - keeper/gocloudkeeper: the gocloud.dev/secrets bridge: KMS key URLs
//     (awskms://, gcpkms://, ...) for keeper, and a Keeper as a gocloud keeper.
//   - keeper/keepertest: the conformance suite every Keeper runs.
//   - service: running strongbox as a service: the data directory (keys,
//     embedded database) and the readiness check of store and keys.
//   - storage: Store, the portable type over backends: metadata and
//     ciphertexts apart, on one backend or two, opened from URLs.
//   - storage/driver: the interface storage backends implement.
//   - storage/drivertest: the conformance suite every storage driver runs.
//   - storage/docstorage: gocloud docstore backends: mem://, DynamoDB,
//     Firestore, MongoDB.
//   - storage/sqlstorage: SQL backends: SQLite (sqlite://, embedded) and
//     PostgreSQL (postgres://).
//   - rbac: principals, roles, actions, the Authorizer and audit events.
//   - redact: a fast streaming redactor, io.Writer and slog.Handler that
//     replace every secret with ***SECRET_REDACTED***.
//
// The command cmd/strongbox is the service (strongbox serve) and the CLI
// (secret, token, run, scan, key); the commands
// examples/quickstart, examples/runner and examples/server run the same
// path as small programs. strongbox is licensed under the Apache License
// 2.0 (the LICENSE file).
package strongbox
