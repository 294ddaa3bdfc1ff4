// Package keeper encrypts secret values for strongbox: the Keeper
// interface (encrypt and decrypt bound to associated data) and Envelope, its
// envelope-encryption implementation.
//
// Envelope encrypts each value with an AES-256-GCM data key (a Tink AEAD)
// and wraps that data key with a key-encryption key (KEK). The wrapped
// data key travels inside every ciphertext, so the keeper stores nothing.
//
//	u, _ := keeper.NewThrowawayKEKURL() // or "awskms://alias/strongbox?region=eu-west-1"
//	k, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
//	ct, err := k.Encrypt(ctx, value, associatedData)
//	pt, err := k.Decrypt(ctx, ct, associatedData)
//
// OpenEnvelope is the one constructor: a KEK URL, and options that may
// add more keys (older ones, keys with ids of their own, keys given as
// code through the Wrapper interface).
//
// # Key-encryption keys and the gocloud adapter
//
// This package imports nothing of gocloud.dev, gRPC or the cloud SDKs: a
// program that uses it, or package secrets, links none of them. It opens
// one kind of KEK URL itself, base64key://KEY, a local key (see # Local
// keys; NewThrowawayKEKURL makes one). Every other KEK URL (awskms://,
// gcpkms://, azurekeyvault://, hashivault://, or any other gocloud
// secrets URL) opens only in a program that imports the adapter and the
// gocloud driver for the scheme:
//
//	import (
//		_ "github.com/strongbox-go/strongbox/keeper/gocloudkeeper"
//		_ "gocloud.dev/secrets/awskms"
//	)
//
// Without the adapter such a URL fails with code Invalid and a message
// naming the package to import. A key that no URL names (a key service
// client built in code) is a Wrapper, given as KEK.Wrapper;
// gocloudkeeper.Wrapper makes one of any opened gocloud secrets keeper.
// A Wrapper's errors are read by their codes (see Wrapper).
//
// Package keepertest holds the conformance suite every Keeper runs;
// package gocloudkeeper also exposes a Keeper as a gocloud secrets
// keeper.
//
// # Data keys and the cache
//
// One data key encrypts many values: a new one is made (one KEK call) when
// the current one is older than EnvelopeOptions.DataKeyMaxAge (default a
// day), has encrypted DataKeyMaxUses values (default 2^24, far below the
// 2^32 limit of AES-GCM with random nonces), or the primary KEK changed.
// Old data keys keep decrypting for ever.
//
// Unwrapped data keys are cached, keyed by the exact wrapped-key bytes, at
// most CacheSize (default 1024) of them, least recently used first out.
// After CacheTTL (default an hour) a cached key is unwrapped again on next
// use, so revoking a KEK takes effect; if that unwrap fails because the KEK
// is unavailable, the cached key keeps serving for up to CacheMaxStale
// (default a day). So a warm keeper decrypts through a key-service outage,
// and ten thousand values under one data key cost at most one KEK call to
// decrypt. A cold miss during an outage fails with code Unavailable. While
// the primary KEK is unavailable, an expired data key also keeps
// encrypting, within its use limit. Concurrent misses on one data key make
// one KEK call.
//
// Waits are bounded: each KEK call (one wrap or unwrap) gets at most
// EnvelopeOptions.KEKTimeout (default 5 s) whatever the caller's context
// allows, and fails with code Unavailable past it, so a hanging key
// service cannot hold a request. During an outage, an unwrap that failed
// as unavailable is remembered per data key (a negative cache): for 100 ms
// after the first failure, then twice as long after each further one, up
// to EnvelopeOptions.KEKFailureBackoff (default 2 s), cold decryptions of that data key fail at once with the
// remembered error instead of calling the KEK again. So an outage costs
// about one KEK call per data key every 2 s, not one per request, and a
// recovered key service is used again within 2 s. A success, and RemoveKEK,
// forget the failures.
//
// # Rotation
//
// An Envelope holds several KEKs, each with a non-secret id (KEK.ID) that
// every ciphertext carries: one primary, which wraps new data keys, and
// older ones, which still unwrap; KEKIDs lists them. To rotate: AddKEK the
// new key, SetPrimary it, Rewrap every stored ciphertext
// (secrets.Manager.Rewrap does this over a store; ParseHeader tells which
// KEK a ciphertext is under), then RemoveKEK the old one. RemoveKEK refuses while
// RemoveOptions.InUse reports the key still protects data, unless forced.
// On several instances sharing one store, rotate through package
// secrets/fleet (fleet.Keys), which shares the KEK list through the store
// and refuses the unsafe steps; these methods change one process only.
// Data keys rotate by themselves (EnvelopeOptions.DataKeyMaxUses and
// DataKeyMaxAge). Rewrap re-encrypts under the
// primary KEK and current data key without returning the plaintext, and
// leaves a ciphertext already under the primary KEK unchanged: a new data
// key alone makes nothing stale, since old data keys are still wrapped by
// the primary KEK.
//
// # Format
//
// A ciphertext of format version 1 is, in order:
//
//	offset     size  field
//	0          1     format version, 0x01
//	1          1     n, length of the KEK id, 1 to 64
//	2          n     KEK id: ASCII letters, digits, '-', '_', '.', ':'
//	2+n        16    data key id, random
//	18+n       2     m, length of the wrapped data key, big-endian, 1 to 4096
//	20+n       m     wrapped data key: the KEK's encryption of the record
//	                 "SBDK" | 0x01 | data key id (16) | AES-256 key (32)
//	20+n+m     rest  AES-256-GCM (Tink, no output prefix): nonce (12) |
//	                 encrypted value | tag (16)
//
// The GCM tag authenticates the value with associated data
// bytes[0:18+n] (version, KEK id, data key id) followed by the caller's
// associated data, so neither the header nor the binding to the caller's
// place can change. The unwrapped record must name the header's data key
// id. Overhead is 48+n+m bytes (about 160 with a base64key KEK, whose
// wrapped record is 93 bytes: a random 24-byte nonce followed by the
// record sealed with NaCl secretbox, XSalsa20-Poly1305, under the 32-byte
// key; the bytes gocloud's localsecrets writes, so that either reads what
// the other wrote).
// ParseHeader reads the non-secret fields. A later format gets a new
// version byte; every version ever written stays readable, which the test
// vectors in testdata/vectors.json hold.
//
// # Metrics
//
// An Envelope records OpenTelemetry metrics through
// EnvelopeOptions.MeterProvider, or the global provider
// (otel.GetMeterProvider) when that is nil, under the instrumentation
// scope "github.com/strongbox-go/strongbox/keeper". Like gocloud, the
// package uses only the OpenTelemetry API; the program picks the SDK and
// exporter (package secrets/httpapi/metrics serves them to Prometheus).
//
//	name                                     kind       attributes
//	strongbox.keeper.kek.calls               counter    strongbox.kek.operation (wrap, unwrap), strongbox.outcome
//	strongbox.keeper.kek.duration            histogram  the same, in seconds
//	strongbox.keeper.data_key.cache.lookups  counter    strongbox.cache.result (hit, miss, stale)
//
// The outcome is "ok", "unavailable", "permission_denied",
// "failed_precondition", "internal", "canceled", "deadline_exceeded", or
// "decrypt_failed" when the key refused to unwrap or unwrapped something
// other than the header's data key. Every decryption makes one cache
// lookup: a hit, a miss (a KEK call, shared by concurrent misses on one
// data key), or stale (a key past CacheTTL served because the KEK was
// unavailable). No attribute holds a KEK id or URL, a key, or anything of
// a ciphertext or its associated data.
//
// # Errors
//
// The error codes are those of package secrets (secrets.ErrInvalid,
// secrets.ErrUnavailable, ...), matched with errors.Is; every error this
// package returns carries one, except context errors, which are returned
// unchanged. Failures to decrypt match ErrDecrypt (code Internal; the same
// error as secrets.ErrDecryptionFailed) whatever the reason (unknown
// format version, malformed bytes, wrong key, wrong associated data,
// tampered bytes); the message says which. A ciphertext whose header names
// a KEK this Envelope does not hold fails differently: with ErrUnknownKEK
// (code Unavailable, the same error as secrets.ErrUnknownKEK), whose
// message names the KEK id. That is what an instance of a fleet sees for
// data written under a key it has not been given yet, a matter of
// configuration rather than damaged data (a changed byte of the KEK id in
// a header reads the same way). A KEK that cannot be reached gives code Unavailable, one that
// refuses gives PermissionDenied or FailedPrecondition; bad options, a
// malformed base64key URL (see # Local keys) and a KEK URL that needs the
// gocloud adapter when it is not imported give Invalid; calls after Close
// give FailedPrecondition.
//
// # Local keys
//
// A base64key URL is base64key://KEY and nothing else: KEY is the padded
// URL-safe base64 of exactly 32 bytes (44 characters, the last '='),
// which is what gocloud's localsecrets decodes; the scheme may be in any
// case. Anything else is refused with code Invalid and a message saying
// what is wrong (no key, "base64key:KEY" or a third '/', missing or
// misplaced padding, the wrong length, the standard alphabet's '+' or '/',
// a path, query, fragment, user info, port, escape or whitespace), never
// quoting the key. gocloud itself opens "base64key://", "base64key:KEY" and
// "base64key:///KEY" with a fresh random key under an unchanged KEK id, so
// nothing written with them could ever be read back; this package never
// does, and opens base64key URLs itself, never through gocloud (also with
// the adapter imported). Do not pass a gocloud keeper opened from a
// base64key URL as a KEK for the same reason. The only random key is the one NewThrowawayKEKURL
// returns, by name. A URL whose last key character has unused bits set
// (not canonical base64) is accepted, as gocloud accepts it: it names the
// same key, and data written under it stays readable. A KEK id derived by
// DefaultKEKID hashes the URL as written, so a URL that gocloud accepted
// with extra parts (a trailing '/', user info, a fragment) and must now be
// written without them gets a new id: give KEK.ID = DefaultKEKID(the old
// URL) to keep reading data written under the old one.
//
// # Security
//
// Errors never contain a value, key bytes, or a URL with key material:
// a base64key:// URL is the key, so errors print it redacted (the scheme,
// and host and path for URLs other than base64key://; never a base64key
// key, user info, a query or a fragment), and messages from the adapter's
// URL openers are scrubbed of every part of the URL that can be secret,
// raw or escaped. A KEK URL that does not parse (a control character
// such as a trailing newline read from a file, a bad escape) or has no
// scheme is refused by this package with the reason, before an opener
// could quote it.
//
// Printed forms show identity, never keys. A KEK prints the same
// non-secret identity under every fmt verb (%v %+v %#v %s %q %x %d ...,
// through Format) and through encoding.TextMarshaler (MarshalText), which
// encoding/json, slog's text and JSON handlers, and YAML, TOML and XML
// encoders use: its ID, its URL redacted as errors print it, and whether a
// Wrapper is set. EnvelopeOptions print their members with every KEK so.
// An Envelope's state sits behind a pointer, so it prints as that pointer
// (and as {} in JSON), nothing of its keys. These forms are for logs: a
// marshalled KEK cannot be read back into a working one. The package's
// internal types that hold data keys, wrapped data keys, local keys or
// opened KEKs print a fixed mark.
//
// Decrypt returns no partial plaintext on failure. Plaintexts and data
// key records the Envelope handles internally are zeroed after use (Go
// cannot promise no other copy exists). Unwrapped data keys live only in
// memory, bounded by CacheSize and CacheTTL+CacheMaxStale, and are
// dropped on Close and on RemoveKEK of their KEK; a local key is zeroed
// then too.
//
// The associated data is authenticated, not encrypted: it must not be
// secret. Key ids and data key ids are public. A KEK given without an id
// gets DefaultKEKID, a truncated SHA-256 of its URL, which reveals nothing
// usable about the key.
package keeper
