package keeper_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
)

// TestNoKeyOrPlaintextLeaks registers key-encryption-key URLs and
// plaintexts as test secrets and checks every error and printed form the
// keeper gives on bad URLs, wrong keys, tampering and moved ciphertexts.
func TestNoKeyOrPlaintextLeaks(t *testing.T) {
	since := leakcheck.Count()
	t.Cleanup(func() { leakcheck.Verify(t, since) })
	ctx := context.Background()
	kekURL, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	otherURL, _ := keeper.NewThrowawayKEKURL()
	leakcheck.Register(kekURL, kekURL[len("base64key://"):], otherURL, otherURL[len("base64key://"):])
	bad := leakcheck.NewValue("notakey")

	for _, u := range []string{"base64key://" + bad, "base64key://" + bad + "%zz", "base64key:" + bad, "nosuchscheme://h/k?key=" + bad, "awskms://h/k?token=" + bad} {
		_, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
		leakcheck.CheckError("OpenEnvelope("+keeper.RedactURL(u)+")", err)
		k := keeper.KEK{URL: u}
		leakcheck.Checkf("KEK", k)
		leakcheck.Checkf("options", keeper.EnvelopeOptions{KEKs: []keeper.KEK{k}})
	}

	e, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	leakcheck.Checkf("envelope", e)
	leakcheck.Checkf("KEK", keeper.KEK{URL: kekURL})
	err = e.AddKEK(ctx, keeper.KEK{ID: "bad", URL: "base64key://" + bad})
	leakcheck.CheckError("AddKEK", err)

	pt := leakcheck.NewValue("plain")
	ct, err := e.Encrypt(ctx, []byte(pt), []byte("ns/a/1"))
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Check("ciphertext", string(ct))
	other, err := keeper.OpenEnvelope(ctx, otherURL, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tampered := append([]byte(nil), ct...)
	tampered[len(tampered)-1] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"wrong associated data": func() ([]byte, error) { return e.Decrypt(ctx, ct, []byte("ns/b/1")) },
		"tampered":              func() ([]byte, error) { return e.Decrypt(ctx, tampered, []byte("ns/a/1")) },
		"truncated":             func() ([]byte, error) { return e.Decrypt(ctx, ct[:len(ct)/2], []byte("ns/a/1")) },
		"other key":             func() ([]byte, error) { return other.Decrypt(ctx, ct, []byte("ns/a/1")) },
		"plaintext as ciphertext": func() ([]byte, error) {
			return e.Decrypt(ctx, []byte(pt), []byte("ns/a/1"))
		},
	} {
		out, err := try()
		if err == nil {
			t.Errorf("%s: decrypted", name)
		}
		leakcheck.CheckError(name, err)
		leakcheck.Check(name+" output", string(out))
	}
	leakcheck.Check("stats", fmt.Sprintf("%+v", keeper.StatsOf(e)))
}

// TestMain fails the package's run if any registered test secret reached
// an error, log record, audit event or HTTP body that leakcheck saw.
func TestMain(m *testing.M) { leakcheck.Main(m) }
