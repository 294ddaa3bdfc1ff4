// Package gocloudkeeper exposes any keeper.Keeper (typically a
// keeper.Envelope) as a gocloud.dev/secrets keeper, so strongbox's cached,
// rotating envelope encryption can be used anywhere a *secrets.Keeper is.
//
//	env, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
//	sk := gocloudkeeper.New(env, gocloudkeeper.Options{CloseKeeper: true})
//	defer sk.Close()
//	ct, err := sk.Encrypt(ctx, plaintext)
//
// It also registers the URL scheme "strongbox" with secrets.OpenKeeper:
//
//	strongbox://?kek=<query-escaped KEK URL>[&aad=<associated data>]
//
// which opens an Envelope over that key-encryption key and closes it with
// the keeper. A URL with anything else (a host, a path, user info, a
// fragment, another parameter, a repeated one) is refused with code
// Invalid rather than opened as if the extra part were not there.
//
// # Format
//
// Ciphertexts are the wrapped keeper's, unchanged (for an Envelope, see
// package keeper's # Format). gocloud's Keeper takes no per-call associated
// data, so every ciphertext is bound to Options.AssociatedData, by default
// DefaultAssociatedData: ciphertexts made through the adapter decrypt only
// through an adapter with the same associated data, and never as a value of
// the secrets Manager (whose associated data names namespace, name and
// version), nor the other way round.
//
// # Errors
//
// ErrorCode maps strongbox codes to gocloud ones: a failed decryption
// (keeper.ErrDecrypt) is InvalidArgument, as awskms reports a bad
// ciphertext; Unavailable is ResourceExhausted, as awskms reports an
// unavailable key; Invalid is InvalidArgument; context errors are Canceled
// or DeadlineExceeded; the others map to the gocloud code of the same name.
// errors.Is(err, keeper.ErrDecrypt) holds through gocloud's wrapping.
//
// # Security
//
// A strongbox:// URL contains the KEK URL, which for base64key:// is the
// key: treat it as a secret. The opener's errors never quote it. A
// URLOpener (its Options hold KEKs) and the driver NewDriver returns print
// only package keeper's redacted forms under fmt, JSON, text and slog. gocloud itself may quote a URL it cannot parse
// in its error, before this package sees it; prefer New in code that
// builds URLs from untrusted input.
package gocloudkeeper
