package gocloudkeeper_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/keeper/gocloudkeeper"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/driver"
	"gocloud.dev/secrets/drivertest"
)

type harness struct{ envs []*keeper.Envelope }

func (h *harness) MakeDriver(ctx context.Context) (driver.Keeper, driver.Keeper, error) {
	var drvs []driver.Keeper
	for range 2 {
		u, err := keeper.NewThrowawayKEKURL()
		if err != nil {
			return nil, nil, err
		}
		env, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
		if err != nil {
			return nil, nil, err
		}
		h.envs = append(h.envs, env)
		drvs = append(drvs, gocloudkeeper.NewDriver(env, gocloudkeeper.Options{}))
	}
	return drvs[0], drvs[1], nil
}

func (h *harness) Close() {
	for _, e := range h.envs {
		e.Close()
	}
}

// decryptErrorCheck checks what a failed decryption looks like through
// gocloud.
type decryptErrorCheck struct{}

func (decryptErrorCheck) Name() string {
	return "decrypt error is InvalidArgument and keeper.ErrDecrypt"
}

func (decryptErrorCheck) ErrorCheck(k *secrets.Keeper, err error) error {
	if got := gcerrors.Code(err); got != gcerrors.InvalidArgument {
		return fmt.Errorf("gcerrors.Code = %v, want InvalidArgument", got)
	}
	if !errors.Is(err, keeper.ErrDecrypt) {
		return fmt.Errorf("error %v does not match keeper.ErrDecrypt", err)
	}
	var coded interface{ Unwrap() []error }
	if !k.ErrorAs(err, &coded) {
		return errors.New("ErrorAs found no strongbox error")
	}
	return nil
}

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(context.Context, *testing.T) (drivertest.Harness, error) {
		return &harness{}, nil
	}, []drivertest.AsTest{decryptErrorCheck{}})
}

func TestAssociatedData(t *testing.T) {
	ctx := context.Background()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	env, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	def := gocloudkeeper.New(env, gocloudkeeper.Options{})
	other := gocloudkeeper.New(env, gocloudkeeper.Options{AssociatedData: []byte("other")})
	ct, err := def.Encrypt(ctx, []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		decrypt func() ([]byte, error)
		wantErr bool
	}{
		{"same adapter options", func() ([]byte, error) { return def.Decrypt(ctx, ct) }, false},
		{"keeper with the default associated data", func() ([]byte, error) {
			return env.Decrypt(ctx, ct, []byte(gocloudkeeper.DefaultAssociatedData))
		}, false},
		{"other associated data", func() ([]byte, error) { return other.Decrypt(ctx, ct) }, true},
		{"keeper without associated data", func() ([]byte, error) { return env.Decrypt(ctx, ct, nil) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decrypt()
			if tc.wantErr {
				if !errors.Is(err, keeper.ErrDecrypt) {
					t.Errorf("Decrypt = (%q, %v), want ErrDecrypt", got, err)
				}
				return
			}
			if err != nil || string(got) != "v" {
				t.Errorf("Decrypt = (%q, %v), want v", got, err)
			}
		})
	}
	// The adapter does not close the keeper unless told to.
	if err := def.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Encrypt(ctx, []byte("v"), nil); err != nil {
		t.Errorf("Envelope closed by an adapter without CloseKeeper: %v", err)
	}
}

func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := secrets.OpenKeeper(ctx, "strongbox://?kek="+url.QueryEscape(u)+"&aad=team-a")
	if err != nil {
		t.Fatal(err)
	}
	ct, err := sk.Encrypt(ctx, []byte("value"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := sk.Decrypt(ctx, ct)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("value", string(got)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// The same key through a plain Envelope, with the URL's aad.
	env, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if got, err := env.Decrypt(ctx, ct, []byte("team-a")); err != nil || string(got) != "value" {
		t.Errorf("Envelope.Decrypt = (%q, %v), want value", got, err)
	}
	if err := sk.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sk.Encrypt(ctx, []byte("v")); err == nil {
		t.Error("Encrypt after Close succeeded")
	}

	key := strings.TrimPrefix(u, "base64key://")
	bad := []string{
		"strongbox://",
		"strongbox://?kek=" + url.QueryEscape(u) + "&kek=" + url.QueryEscape(u),
		"strongbox://?kek=" + url.QueryEscape(u) + "&x=1",
		"strongbox://?kek=" + url.QueryEscape(u[:len(u)-4]),
	}
	for _, s := range bad {
		_, err := secrets.OpenKeeper(ctx, s)
		if !errors.Is(err, errcode.Invalid) {
			t.Errorf("OpenKeeper(bad URL) = %v, want Invalid", err)
		}
		if err != nil && strings.Contains(err.Error(), key[:20]) {
			t.Errorf("error %q contains the key", err)
		}
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want gcerrors.ErrorCode
	}{
		{nil, gcerrors.OK},
		{keeper.ErrDecrypt, gcerrors.InvalidArgument},
		{fmt.Errorf("x: %w", keeper.ErrDecrypt), gcerrors.InvalidArgument},
		{errcode.Unavailable, gcerrors.ResourceExhausted},
		{errcode.Invalid, gcerrors.InvalidArgument},
		{errcode.New(errcode.FailedPrecondition, "op", "closed"), gcerrors.FailedPrecondition},
		{errcode.New(errcode.PermissionDenied, "op", ""), gcerrors.PermissionDenied},
		{errcode.New(errcode.NotFound, "op", ""), gcerrors.NotFound},
		{errcode.New(errcode.AlreadyExists, "op", ""), gcerrors.AlreadyExists},
		{errcode.New(errcode.Internal, "op", ""), gcerrors.Internal},
		{context.Canceled, gcerrors.Canceled},
		{context.DeadlineExceeded, gcerrors.DeadlineExceeded},
		{errors.New("other"), gcerrors.Internal},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.err), func(t *testing.T) {
			if got := gocloudkeeper.Code(tc.err); got != tc.want {
				t.Errorf("Code = %v, want %v", got, tc.want)
			}
		})
	}
}
