package keeper_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/strongbox-go/strongbox/keeper"
)

// FuzzDecrypt feeds arbitrary bytes to the format parser and the decrypter
// holding the vectors' test keys: nothing panics, every failure matches
// ErrDecrypt and returns no plaintext, and whatever decrypts has a
// well-formed header. The seed corpus (every vector) runs in go test.
func FuzzDecrypt(f *testing.F) {
	vf := readVectors(f)
	for _, v := range vf.Vectors {
		f.Add(mustHex(f, v.CiphertextHex), mustHex(f, v.AssociatedHex))
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte(nil))
	f.Add([]byte{1, 1, 'a'}, []byte("x"))
	e := newEnvelope(f, keeper.EnvelopeOptions{KEKs: []keeper.KEK{
		{ID: "test-kek-1", URL: testKeyURL("test-key-1")},
		{ID: "test-kek-2", URL: testKeyURL("test-key-2")},
	}})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, ct, ad []byte) {
		orig := bytes.Clone(ct)
		h, herr := keeper.ParseHeader(ct)
		if herr != nil && !errors.Is(herr, keeper.ErrDecrypt) {
			t.Fatalf("ParseHeader error %v does not match ErrDecrypt", herr)
		}
		if herr == nil && (h.Version != keeper.FormatVersion || h.KEKID == "" || len(h.DataKeyID) != 32) {
			t.Fatalf("ParseHeader accepted a bad header: %+v", h)
		}
		pt, err := e.Decrypt(ctx, ct, ad)
		if err != nil {
			if pt != nil {
				t.Fatalf("Decrypt returned %d bytes with error %v", len(pt), err)
			}
			if errors.Is(err, keeper.ErrDecrypt) == errors.Is(err, keeper.ErrUnknownKEK) {
				t.Fatalf("Decrypt error %v matches not exactly one of ErrDecrypt and ErrUnknownKEK", err)
			}
		} else if herr != nil {
			t.Fatalf("Decrypt succeeded on a ciphertext whose header does not parse: %v", herr)
		}
		out, changed, rerr := e.Rewrap(ctx, ct, ad)
		if (rerr == nil) != (err == nil) {
			t.Fatalf("Rewrap error %v disagrees with Decrypt error %v", rerr, err)
		}
		if rerr != nil && (out != nil || changed) {
			t.Fatalf("Rewrap returned output with error %v", rerr)
		}
		if !bytes.Equal(ct, orig) {
			t.Fatal("Decrypt or Rewrap modified its input")
		}
	})
}
