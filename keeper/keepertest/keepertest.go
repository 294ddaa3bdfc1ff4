package keepertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/keeper"
)

// marker is the plaintext whose absence from errors the suite checks.
const marker = "keepertest-plaintext-4f1c9e"

// RunConformance runs the conformance suite. newKeeper returns a fresh
// keeper for each subtest; the suite closes it.
func RunConformance(t *testing.T, newKeeper func(t *testing.T) keeper.Keeper) {
	t.Helper()
	open := func(t *testing.T) keeper.Keeper {
		t.Helper()
		k := newKeeper(t)
		if k == nil {
			t.Fatal("newKeeper returned nil")
		}
		t.Cleanup(func() { k.Close() })
		return k
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("AssociatedDataMismatch", func(t *testing.T) { testAssociatedDataMismatch(t, open(t)) })
	t.Run("Tampered", func(t *testing.T) { testTampered(t, open(t)) })
	t.Run("EncryptionsDiffer", func(t *testing.T) { testEncryptionsDiffer(t, open(t)) })
	t.Run("NoAliasing", func(t *testing.T) { testNoAliasing(t, open(t)) })
	t.Run("ErrorsCarryNoPlaintext", func(t *testing.T) { testErrorsCarryNoPlaintext(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("Close", func(t *testing.T) { testClose(t, newKeeper(t)) })
}

func encrypt(t *testing.T, k keeper.Keeper, pt, ad []byte) []byte {
	t.Helper()
	ct, err := k.Encrypt(context.Background(), pt, ad)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return ct
}

func testRoundTrip(t *testing.T, k keeper.Keeper) {
	ctx := context.Background()
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	tests := []struct {
		name   string
		pt, ad []byte
	}{
		{"empty value", []byte{}, []byte("ns/name/1")},
		{"one byte", []byte("x"), []byte("ns/name/1")},
		{"text", []byte(marker), []byte("ns/name/1")},
		{"binary", binary, []byte("ns/name/2")},
		{"24 KiB", bytes.Repeat([]byte("v"), 24*1024), []byte("ns/big/1")},
		{"no associated data", []byte(marker), nil},
		{"binary associated data", []byte(marker), binary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := encrypt(t, k, tc.pt, tc.ad)
			if len(tc.pt) >= 8 && bytes.Contains(ct, tc.pt) {
				t.Error("ciphertext contains the plaintext")
			}
			got, err := k.Decrypt(ctx, ct, tc.ad)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if diff := cmp.Diff(tc.pt, got); diff != "" {
				t.Errorf("Decrypt(Encrypt(pt)) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// wantDecryptError checks that a failed decryption matches ErrDecrypt and
// returned nothing.
func wantDecryptError(t *testing.T, got []byte, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("Decrypt succeeded, want an error")
	}
	if !errors.Is(err, keeper.ErrDecrypt) {
		t.Errorf("Decrypt error = %v, want one matching keeper.ErrDecrypt", err)
	}
	if got != nil {
		t.Errorf("Decrypt returned %d bytes with its error, want nil", len(got))
	}
}

func testAssociatedDataMismatch(t *testing.T, k keeper.Keeper) {
	ctx := context.Background()
	ad := []byte("strongbox/aad/v1\x00ns\x00api-key\x003\x00v-1")
	ct := encrypt(t, k, []byte(marker), ad)
	tests := []struct {
		name string
		ad   []byte
	}{
		{"nil", nil},
		{"other namespace", []byte("strongbox/aad/v1\x00ns2\x00api-key\x003\x00v-1")},
		{"other name", []byte("strongbox/aad/v1\x00ns\x00api-kez\x003\x00v-1")},
		{"other version", []byte("strongbox/aad/v1\x00ns\x00api-key\x004\x00v-1")},
		{"prefix", ad[:len(ad)-1]},
		{"extended", append(bytes.Clone(ad), 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := k.Decrypt(ctx, ct, tc.ad)
			wantDecryptError(t, got, err)
		})
	}
	t.Run("empty versus some", func(t *testing.T) {
		ct := encrypt(t, k, []byte(marker), nil)
		got, err := k.Decrypt(ctx, ct, []byte("x"))
		wantDecryptError(t, got, err)
	})
}

func testTampered(t *testing.T, k keeper.Keeper) {
	ctx := context.Background()
	ad := []byte("ns/name/1")
	ct := encrypt(t, k, []byte(marker), ad)
	t.Run("bit flips", func(t *testing.T) {
		for i := range ct {
			for _, bit := range []byte{0x01, 0x80} {
				bad := bytes.Clone(ct)
				bad[i] ^= bit
				got, err := k.Decrypt(ctx, bad, ad)
				// A flipped byte of the KEK id names a key the keeper
				// does not hold: ErrUnknownKEK, the only other answer.
				if err == nil || got != nil || errors.Is(err, keeper.ErrDecrypt) == errors.Is(err, keeper.ErrUnknownKEK) {
					t.Fatalf("byte %d ^ %#x: Decrypt = (%d bytes, %v), want (nil, ErrDecrypt or ErrUnknownKEK)", i, bit, len(got), err)
				}
			}
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for n := range len(ct) {
			got, err := k.Decrypt(ctx, ct[:n], ad)
			if err == nil || got != nil || !errors.Is(err, keeper.ErrDecrypt) {
				t.Fatalf("first %d of %d bytes: Decrypt = (%d bytes, %v), want (nil, ErrDecrypt)", n, len(ct), len(got), err)
			}
		}
	})
	t.Run("extended", func(t *testing.T) {
		got, err := k.Decrypt(ctx, append(bytes.Clone(ct), 0), ad)
		wantDecryptError(t, got, err)
	})
	t.Run("nil", func(t *testing.T) {
		got, err := k.Decrypt(ctx, nil, ad)
		wantDecryptError(t, got, err)
	})
	t.Run("spliced", func(t *testing.T) {
		// The head of one ciphertext of the value with the tail of another,
		// cut between their first and last differing bytes, so the result
		// equals neither.
		other := encrypt(t, k, []byte(marker), ad)
		if len(other) != len(ct) {
			t.Skip("ciphertexts of one value differ in length")
		}
		first, last := -1, -1
		for i := range ct {
			if ct[i] != other[i] {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first < 0 || first == last {
			t.Skip("the two ciphertexts differ in at most one byte")
		}
		bad := append(bytes.Clone(ct[:first+1]), other[first+1:]...)
		got, err := k.Decrypt(ctx, bad, ad)
		wantDecryptError(t, got, err)
	})
}

func testEncryptionsDiffer(t *testing.T, k keeper.Keeper) {
	ad := []byte("ns/name/1")
	seen := make(map[string]bool)
	for i := range 100 {
		ct := encrypt(t, k, []byte(marker), ad)
		if seen[string(ct)] {
			t.Fatalf("encryption %d repeated an earlier ciphertext", i)
		}
		seen[string(ct)] = true
	}
}

func testNoAliasing(t *testing.T, k keeper.Keeper) {
	ctx := context.Background()
	pt, ad := []byte(marker), []byte("ns/name/1")
	ct := encrypt(t, k, pt, ad)
	keep := bytes.Clone(ct)
	pt[0] ^= 0xff // the caller reuses its buffers
	got, err := k.Decrypt(ctx, ct, ad)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if diff := cmp.Diff([]byte(marker), got); diff != "" {
		t.Errorf("Decrypt after the caller changed its plaintext buffer (-want +got):\n%s", diff)
	}
	got[0] ^= 0xff
	if diff := cmp.Diff(keep, ct); diff != "" {
		t.Errorf("ciphertext changed by writing to the plaintext (-want +got):\n%s", diff)
	}
	again, err := k.Decrypt(ctx, ct, ad)
	if err != nil {
		t.Fatalf("second Decrypt: %v", err)
	}
	if diff := cmp.Diff([]byte(marker), again); diff != "" {
		t.Errorf("second Decrypt (-want +got):\n%s", diff)
	}
}

func testErrorsCarryNoPlaintext(t *testing.T, k keeper.Keeper) {
	ctx := context.Background()
	pt, ad := []byte(marker), []byte("ns/name/1")
	ct := encrypt(t, k, pt, ad)
	var errs []error
	record := func(_ []byte, err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	record(k.Decrypt(ctx, ct, []byte("other")))
	record(k.Decrypt(ctx, ct[:len(ct)-1], ad))
	for i := 0; i < len(ct); i += 7 {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x10
		record(k.Decrypt(ctx, bad, ad))
	}
	record(k.Decrypt(ctx, pt, ad)) // the plaintext passed off as ciphertext
	if len(errs) == 0 {
		t.Fatal("no decryption failed")
	}
	forbidden := []string{marker, hex.EncodeToString(pt), base64.StdEncoding.EncodeToString(pt), fmt.Sprint(pt)}
	for _, err := range errs {
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			for _, f := range forbidden {
				if strings.Contains(text, f) {
					t.Errorf("error %q contains the plaintext", text)
				}
			}
		}
	}
}

func testConcurrent(t *testing.T, k keeper.Keeper) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				pt := fmt.Appendf(nil, "%s-%d-%d", marker, g, i)
				ad := fmt.Appendf(nil, "ns/name-%d/%d", g, i)
				ct, err := k.Encrypt(ctx, pt, ad)
				if err != nil {
					errc <- err
					return
				}
				got, err := k.Decrypt(ctx, ct, ad)
				if err != nil {
					errc <- err
					return
				}
				if !bytes.Equal(got, pt) {
					errc <- errors.New("round trip mismatch under concurrency")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func testClose(t *testing.T, k keeper.Keeper) {
	ctx := context.Background()
	ad := []byte("ns/name/1")
	ct := encrypt(t, k, []byte(marker), ad)

	// Calls racing with Close either complete correctly or fail; none
	// may see a half-closed keeper.
	var wg sync.WaitGroup
	start := make(chan struct{})
	bad := make(chan string, 16)
	for range 4 {
		wg.Go(func() {
			<-start
			for range 200 {
				got, err := k.Decrypt(ctx, ct, ad)
				if err != nil {
					return
				}
				if string(got) != marker {
					bad <- "Decrypt racing with Close returned a wrong plaintext"
					return
				}
			}
		})
	}
	close(start)
	if err := k.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
	close(bad)
	for msg := range bad {
		t.Error(msg)
	}

	if got, err := k.Decrypt(ctx, ct, ad); err == nil || got != nil {
		t.Errorf("Decrypt after Close = (%d bytes, %v), want (nil, error)", len(got), err)
	}
	if got, err := k.Encrypt(ctx, []byte(marker), ad); err == nil || got != nil {
		t.Errorf("Encrypt after Close = (%d bytes, %v), want (nil, error)", len(got), err)
	}
	k.Close() // a second Close must not panic or hang
}
