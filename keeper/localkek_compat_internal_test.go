package keeper

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper/internal/kekurl"
	"gocloud.dev/secrets/localsecrets"
)

var compatKey = [32]byte([]byte("local KEK compatibility test key"))

// TestLocalKEKMatchesLocalsecrets: base64key:// keys were wrapped by
// gocloud's localsecrets before this package wrapped them itself (issue #12
// item 5); each must unwrap what the other wrapped, so that ciphertexts
// written before the change stay readable and the other way round.
func TestLocalKEKMatchesLocalsecrets(t *testing.T) {
	ctx := context.Background()
	ours := &localKEK{key: compatKey}
	theirs := localsecrets.NewKeeper(compatKey)
	defer theirs.Close()
	for _, rec := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("SBDK record "), 8)} {
		w, err := theirs.Encrypt(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ours.Unwrap(ctx, w)
		if err != nil || !bytes.Equal(got, rec) {
			t.Errorf("localKEK.Unwrap(localsecrets wrap of %d bytes) = (%q, %v)", len(rec), got, err)
		}
		w, err = ours.Wrap(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		if want := localNonceLen + len(rec) + 16; len(w) != want {
			t.Errorf("wrapped %d bytes into %d, want %d", len(rec), len(w), want)
		}
		got, err = theirs.Decrypt(ctx, w)
		if err != nil || !bytes.Equal(got, rec) {
			t.Errorf("localsecrets.Decrypt(localKEK wrap of %d bytes) = (%q, %v)", len(rec), got, err)
		}
	}
}

// FuzzLocalKEKUnwrap checks the local key's parsing of a wrapped record
// against localsecrets': both open exactly the same inputs, to the same
// bytes.
func FuzzLocalKEKUnwrap(f *testing.F) {
	ctx := context.Background()
	theirs := localsecrets.NewKeeper(compatKey)
	defer theirs.Close()
	ours := &localKEK{key: compatKey}
	w, err := theirs.Encrypt(ctx, []byte("SBDK\x01 a data key record"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(w)
	f.Add(w[:localNonceLen])
	f.Add(w[:localNonceLen+15])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, wrapped []byte) {
		in := bytes.Clone(wrapped)
		got, err := ours.Unwrap(ctx, wrapped)
		want, werr := theirs.Decrypt(ctx, wrapped)
		if (err == nil) != (werr == nil) {
			t.Fatalf("localKEK.Unwrap err = %v, localsecrets err = %v", err, werr)
		}
		if err != nil {
			if got != nil || errcode.Of(err) != errcode.Internal || errors.Is(err, errcode.Unavailable) {
				t.Fatalf("Unwrap failure = (%d bytes, %v), want (nil, an uncoded error)", len(got), err)
			}
		} else if !bytes.Equal(got, want) {
			t.Fatalf("Unwrap = %x, localsecrets = %x", got, want)
		}
		if !bytes.Equal(in, wrapped) {
			t.Fatal("Unwrap modified its input")
		}
	})
}

// TestLocalKEKClosed: a local key used after its Envelope closed it (a call
// racing RemoveKEK) fails rather than wrap under a zeroed key.
func TestLocalKEKClosed(t *testing.T) {
	ctx := context.Background()
	k := &localKEK{key: compatKey}
	w, err := k.Wrap(ctx, []byte("record"))
	if err != nil {
		t.Fatal(err)
	}
	k.destroy()
	if out, err := k.Wrap(ctx, []byte("record")); err == nil || out != nil {
		t.Errorf("Wrap after destroy = (%d bytes, %v), want an error", len(out), err)
	}
	if out, err := k.Unwrap(ctx, w); err == nil || out != nil {
		t.Errorf("Unwrap after destroy = (%d bytes, %v), want an error", len(out), err)
	}
	if k.key != [32]byte{} {
		t.Error("destroy left the key in memory")
	}
}

// TestKEKURLNeedsAdapter: without package gocloudkeeper, a KEK URL other
// than base64key:// fails with code Invalid, naming the package to
// import, and quoting nothing of the URL but its scheme, host and path.
func TestKEKURLNeedsAdapter(t *testing.T) {
	saved := kekurl.Get()
	kekurl.Register(nil)
	t.Cleanup(func() { kekurl.Register(saved) })
	for _, u := range []string{"awskms://alias/strongbox?region=eu-west-1", "hashivault://mykey?token=s3cr3t-t0ken-value", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k"} {
		e, err := OpenEnvelope(context.Background(), u, EnvelopeOptions{})
		if e != nil {
			e.Close()
		}
		if errcode.Of(err) != errcode.Invalid {
			t.Fatalf("OpenEnvelope(%s) = %v, want code Invalid", redactURL(u), err)
		}
		for _, want := range []string{kekurl.Adapter, strings.SplitN(u, ":", 2)[0] + "://"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error %q quotes the URL's token", err)
		}
	}
}

// TestCoreHasNoGocloud is the regression test for issue #12 item 5: the
// package that holds Keeper, the format and the Envelope imported
// gocloud.dev/secrets, so every program using it linked gRPC, the
// OpenTelemetry SDK and google.golang.org/api.
func TestCoreHasNoGocloud(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		// The OpenTelemetry API (go.opentelemetry.io/otel, .../metric) is
		// allowed: the Envelope records metrics through it (issue #13 item
		// 4). Its SDK and exporters are the program's choice.
		for _, banned := range []string{"gocloud.dev", "google.golang.org/grpc", "google.golang.org/api",
			"go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters", "github.com/prometheus"} {
			if p == banned || strings.HasPrefix(p, banned+"/") {
				t.Errorf("package keeper depends on %s", p)
			}
		}
	}
}
