// Package auditlog writes a secrets Manager's decisions (rbac.AuditEvent)
// as log records, the way strongbox serve logs them, so that the service
// and the benchmarks that stand for it write the same records.
//
// Decision logs one event at level Info under the message
// "strongbox decision", with typed attributes (operation, action,
// principal, namespace, names, outcome, code) and the decrypter lists
// (decryptersBefore, decryptersAfter) only on the events that set or
// change them. Its attributes live on the stack: slog's key-value form
// would box each field, and an absent list would still be encoded, on
// every decrypt.
//
// Write is the record writer both use, and the service's request log with
// them: LogAttrs without the source position, which slog would ask the
// runtime for on every record and which would only name this package.
package auditlog
