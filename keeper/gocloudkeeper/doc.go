// Package gocloudkeeper is the bridge between package keeper and
// gocloud.dev/secrets, both ways. Package keeper imports no gocloud; a
// program that wants cloud key-encryption keys imports this package, and
// so links gocloud, only then.
//
// # Cloud key-encryption keys
//
// Importing this package lets keeper open every KEK URL that gocloud's
// secrets.OpenKeeper opens, besides the base64key:// keys keeper opens
// itself: awskms://, gcpkms://, azurekeyvault://, hashivault://, once the
// program imports the gocloud driver too.
//
//	import (
//		_ "github.com/strongbox-go/strongbox/keeper/gocloudkeeper"
//		_ "gocloud.dev/secrets/awskms"
//	)
//
//	env, err := keeper.OpenEnvelope(ctx, "awskms://alias/strongbox?region=eu-west-1", keeper.EnvelopeOptions{})
//
// The Envelope opens such a URL and closes it on Close. A gocloud keeper
// opened in code (a client with credentials of the program's own) becomes
// a KEK through Wrapper:
//
//	sk, err := awskms.OpenKeeper(client, keyID, nil)
//	kek := keeper.KEK{ID: "aws-2026", Wrapper: gocloudkeeper.Wrapper(sk)}
//
// # A Keeper as a gocloud keeper
//
// New exposes any keeper.Keeper (typically a keeper.Envelope) as a
// *secrets.Keeper, so strongbox's cached, rotating envelope encryption can
// be used anywhere gocloud expects one:
//
//	env, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
//	sk := gocloudkeeper.New(env, gocloudkeeper.Options{CloseKeeper: true})
//	defer sk.Close()
//	ct, err := sk.Encrypt(ctx, plaintext)
//
// The package also registers the URL scheme "strongbox" with
// secrets.OpenKeeper:
//
//	strongbox://?kek=<query-escaped KEK URL>[&aad=<associated data>]
//
// which opens an Envelope over that key-encryption key, with default
// options, and closes it with the keeper. A URL with anything else (a
// host, a path, user info, a fragment, another parameter, a repeated one)
// is refused with code Invalid rather than opened as if the extra part
// were not there.
//
// # Format
//
// Ciphertexts are the wrapped keeper's, unchanged (for an Envelope, see
// package keeper's # Format). gocloud's Keeper takes no per-call associated
// data, so every ciphertext New makes is bound to Options.AssociatedData,
// by default the bytes "strongbox/gocloudkeeper/v1": ciphertexts made
// through the adapter decrypt only through an adapter with the same
// associated data, and never as a value of the secrets Manager (whose
// associated data names namespace, name and version), nor the other way
// round.
//
// # Errors
//
// Errors from a Wrapper or a KEK URL opened through this package carry
// the codes package keeper reads (see Wrapper): gocloud codes Unknown,
// Internal, DeadlineExceeded, ResourceExhausted and Canceled, and network
// errors, are an outage (Unavailable); PermissionDenied stays;
// NotFound, FailedPrecondition and Unimplemented are FailedPrecondition.
//
// The other way, a keeper from New maps strongbox codes to gocloud ones: a
// failed decryption (keeper.ErrDecrypt) is InvalidArgument, as awskms
// reports a bad ciphertext; Unavailable is ResourceExhausted, as awskms
// reports an unavailable key; Invalid is InvalidArgument; context errors
// are Canceled or DeadlineExceeded; the others map to the gocloud code of
// the same name. errors.Is(err, keeper.ErrDecrypt) holds through gocloud's
// wrapping.
//
// # Security
//
// A strongbox:// URL contains the KEK URL, which for base64key:// is the
// key: treat it as a secret. The opener's errors never quote it, and
// package keeper scrubs every secret part of a KEK URL out of the errors
// of the gocloud openers it calls through this package. The values this
// package makes (the driver New wraps, a Wrapper) print a fixed mark under
// fmt, JSON, text and slog. gocloud itself may quote a strongbox:// URL
// it cannot parse in its error, before this package sees it; prefer New
// in code that builds URLs from untrusted input.
package gocloudkeeper
