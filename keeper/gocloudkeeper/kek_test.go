package gocloudkeeper_test

import (
	"context"
	"errors"
	"testing"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/keeper/gocloudkeeper"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/localsecrets"
)

// failingDriver is a gocloud secrets driver whose every call fails with
// one gcerrors code.
type failingDriver struct{ code gcerrors.ErrorCode }

var errFailing = errors.New("key service says no")

func (failingDriver) Encrypt(context.Context, []byte) ([]byte, error) { return nil, errFailing }
func (failingDriver) Decrypt(context.Context, []byte) ([]byte, error) { return nil, errFailing }
func (failingDriver) Close() error                                    { return nil }
func (failingDriver) ErrorAs(error, any) bool                         { return false }
func (d failingDriver) ErrorCode(error) gcerrors.ErrorCode            { return d.code }

// TestWrapperClassifies: a gocloud keeper used as a KEK through Wrapper
// reports outages, refusals and lost keys with the codes package keeper
// gave them when it called gocloud itself.
func TestWrapperClassifies(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		code gcerrors.ErrorCode
		want errcode.Code
	}{
		{gcerrors.Unknown, errcode.Unavailable},
		{gcerrors.Internal, errcode.Unavailable},
		{gcerrors.DeadlineExceeded, errcode.Unavailable},
		{gcerrors.ResourceExhausted, errcode.Unavailable},
		{gcerrors.PermissionDenied, errcode.PermissionDenied},
		{gcerrors.NotFound, errcode.FailedPrecondition},
		{gcerrors.FailedPrecondition, errcode.FailedPrecondition},
		{gcerrors.InvalidArgument, errcode.Internal},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			sk := secrets.NewKeeper(failingDriver{tc.code})
			defer sk.Close()
			e, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "remote", Wrapper: gocloudkeeper.Wrapper(sk)}}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			_, err = e.Encrypt(ctx, []byte("v"), nil)
			if got := errcode.Of(err); got != tc.want {
				t.Errorf("Encrypt error = %v (code %v), want code %v", err, got, tc.want)
			}
		})
	}
}

// TestWrapperRoundTrip: data keys wrapped through a gocloud keeper unwrap
// in another Envelope over the same key, and a wrong key is a decryption
// failure, not an outage.
func TestWrapperRoundTrip(t *testing.T) {
	ctx := context.Background()
	open := func(key [32]byte) *keeper.Envelope {
		sk := localsecrets.NewKeeper(key)
		t.Cleanup(func() { sk.Close() })
		e, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "k", Wrapper: gocloudkeeper.Wrapper(sk)}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	key := [32]byte{1, 2, 3}
	ct, err := open(key).Encrypt(ctx, []byte("v"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := open(key).Decrypt(ctx, ct, []byte("ad")); err != nil || string(got) != "v" {
		t.Errorf("Decrypt = (%q, %v), want v", got, err)
	}
	// localsecrets reports a wrong key as Unknown, which Wrapper takes for
	// an outage (as for any gocloud keeper): the doc says to use a
	// base64key:// URL for a key in memory.
	_, err = open([32]byte{9}).Decrypt(ctx, ct, []byte("ad"))
	if errcode.Of(err) != errcode.Unavailable {
		t.Errorf("Decrypt under a wrong gocloud key = %v, want code Unavailable", err)
	}
}
