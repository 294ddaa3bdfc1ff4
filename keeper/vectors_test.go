package keeper_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/keeper"
)

var updateVectors = flag.Bool("update-vectors", false, "add missing vectors to testdata/vectors.json (existing ones are never changed)")

const vectorsFile = "testdata/vectors.json"

// vectorFile is testdata/vectors.json.
type vectorFile struct {
	Comment []string `json:"comment"`
	// TestKeys are fixed, public TEST keys by name; they protect nothing.
	TestKeys map[string]string `json:"test_keys"`
	Vectors  []vector          `json:"vectors"`
}

type vector struct {
	Name string `json:"name"`
	// Keys is the decrypting keeper's KEKs: KEK id -> test key name.
	Keys          map[string]string `json:"keys"`
	AssociatedHex string            `json:"associated_data_hex"`
	CiphertextHex string            `json:"ciphertext_hex"`
	// Want is the outcome: ok, wrong_key, wrong_aad, tampered, truncated,
	// unknown_version or unknown_kek.
	Want      string `json:"want"`
	Plaintext string `json:"plaintext,omitempty"`
}

// wantErr maps an outcome to the error it must match.
var wantErr = map[string]error{
	"ok":              nil,
	"wrong_key":       keeper.ErrAuthentication,
	"wrong_aad":       keeper.ErrAuthentication,
	"tampered":        keeper.ErrAuthentication,
	"truncated":       keeper.ErrMalformed,
	"unknown_version": keeper.ErrUnknownVersion,
	"unknown_kek":     keeper.ErrUnknownKEK,
}

// testKeyURL derives a fixed TEST key from its name. It protects nothing.
func testKeyURL(name string) string {
	sum := sha256.Sum256([]byte("strongbox keeper TEST VECTOR key, protects nothing: " + name))
	return "base64key://" + base64.URLEncoding.EncodeToString(sum[:])
}

func readVectors(t testing.TB) *vectorFile {
	t.Helper()
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// keeperFor opens an Envelope holding the vector's keys.
func (f *vectorFile) keeperFor(t testing.TB, v vector) *keeper.Envelope {
	t.Helper()
	var keks []keeper.KEK
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range v.Keys {
			if !yield(id) {
				return
			}
		}
	}) {
		u, ok := f.TestKeys[v.Keys[id]]
		if !ok {
			t.Fatalf("vector %q: no test key %q", v.Name, v.Keys[id])
		}
		keks = append(keks, keeper.KEK{ID: id, URL: u})
	}
	return newEnvelope(t, keeper.EnvelopeOptions{KEKs: keks})
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVectors decrypts every stored vector and checks the outcome it is
// labelled with. Vectors are never edited: a future format adds new ones
// and must still read or reject these exactly so.
func TestVectors(t *testing.T) {
	if *updateVectors {
		generateVectors(t)
	}
	f := readVectors(t)
	for name, u := range f.TestKeys {
		if u != testKeyURL(name) {
			t.Errorf("test key %q is not the fixed derivation", name)
		}
	}
	seen := map[string]bool{}
	for _, v := range f.Vectors {
		seen[v.Want] = true
		t.Run(v.Name, func(t *testing.T) {
			want, ok := wantErr[v.Want]
			if !ok {
				t.Fatalf("unknown outcome %q", v.Want)
			}
			e := f.keeperFor(t, v)
			got, err := e.Decrypt(context.Background(), mustHex(t, v.CiphertextHex), mustHex(t, v.AssociatedHex))
			if want == nil {
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				if diff := cmp.Diff(v.Plaintext, string(got)); diff != "" {
					t.Errorf("Decrypt (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, want) || got != nil {
				t.Errorf("Decrypt = (%q, %v), want (nil, %v)", got, err, want)
			}
		})
	}
	for outcome := range wantErr {
		if !seen[outcome] {
			t.Errorf("no vector with outcome %q", outcome)
		}
	}
}

// generateVectors adds the vectors below that the file lacks, by name.
func generateVectors(t *testing.T) {
	ctx := context.Background()
	f := &vectorFile{}
	if b, err := os.ReadFile(vectorsFile); err == nil {
		if err := json.Unmarshal(b, f); err != nil {
			t.Fatal(err)
		}
	}
	f.Comment = []string{
		"Envelope keeper ciphertext test vectors. Every version of package keeper must decrypt or reject each exactly as labelled (TestVectors).",
		"Never edit or remove a vector; add new ones with: go test ./keeper -run TestVectors -update-vectors",
		"test_keys are fixed TEST keys derived from their names; they protect nothing and must never be used for real data.",
	}
	f.TestKeys = map[string]string{"test-key-1": testKeyURL("test-key-1"), "test-key-2": testKeyURL("test-key-2")}
	have := map[string]bool{}
	for _, v := range f.Vectors {
		have[v.Name] = true
	}
	add := func(v vector) {
		if !have[v.Name] {
			f.Vectors = append(f.Vectors, v)
			have[v.Name] = true
		}
	}
	one := map[string]string{"test-kek-1": "test-key-1"}
	both := map[string]string{"test-kek-1": "test-key-1", "test-kek-2": "test-key-2"}
	e1 := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "test-kek-1", URL: testKeyURL("test-key-1")}}})
	e2 := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "test-kek-2", URL: testKeyURL("test-key-2")}}})
	enc := func(e *keeper.Envelope, pt, ad string) []byte {
		ct, err := e.Encrypt(ctx, []byte(pt), []byte(ad))
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	ad := "strongbox/aad/v1\x00team-a\x00api-key\x001\x00v-0001"
	ct := enc(e1, "s3cr3t-api-key", ad)
	v := func(name string, keys map[string]string, ad string, ct []byte, want, pt string) {
		add(vector{Name: name, Keys: keys, AssociatedHex: hex.EncodeToString([]byte(ad)), CiphertextHex: hex.EncodeToString(ct), Want: want, Plaintext: pt})
	}
	flip := func(i int) []byte { c := slices.Clone(ct); c[i] ^= 0x01; return c }
	n := len("test-kek-1")
	v("v1/ok", one, ad, ct, "ok", "s3cr3t-api-key")
	v("v1/ok-empty-value", one, ad, enc(e1, "", ad), "ok", "")
	v("v1/ok-no-associated-data", one, "", enc(e1, "value without associated data", ""), "ok", "value without associated data")
	v("v1/ok-4KiB", one, ad, enc(e1, strings.Repeat("0123456789abcdef", 256), ad), "ok", strings.Repeat("0123456789abcdef", 256))
	v("v1/ok-second-kek", both, ad, enc(e2, "under the second key", ad), "ok", "under the second key")
	v("v1/wrong-key", map[string]string{"test-kek-1": "test-key-2"}, ad, ct, "wrong_key", "")
	v("v1/wrong-aad-version", one, strings.Replace(ad, "\x001\x00", "\x002\x00", 1), ct, "wrong_aad", "")
	v("v1/wrong-aad-empty", one, "", ct, "wrong_aad", "")
	v("v1/tampered-value", one, ad, flip(len(ct)-20), "tampered", "")
	v("v1/tampered-tag", one, ad, flip(len(ct)-1), "tampered", "")
	v("v1/tampered-nonce", one, ad, flip(len(ct)-(12+16+len("s3cr3t-api-key"))), "tampered", "")
	v("v1/tampered-data-key-id", one, ad, flip(2+n), "tampered", "")
	v("v1/tampered-wrapped-key", one, ad, flip(2+n+16+2+5), "tampered", "")
	v("v1/truncated-header", one, ad, ct[:2+n+8], "truncated", "")
	v("v1/truncated-payload", one, ad, ct[:len(ct)-len("s3cr3t-api-key")-17], "truncated", "")
	v("v1/empty", one, ad, nil, "truncated", "")
	v("v1/unknown-version-0", one, ad, append([]byte{0}, ct[1:]...), "unknown_version", "")
	v("v1/unknown-version-2", one, ad, append([]byte{2}, ct[1:]...), "unknown_version", "")
	v("v1/unknown-version-255", one, ad, append([]byte{255}, ct[1:]...), "unknown_version", "")
	v("v1/unknown-kek", map[string]string{"test-kek-2": "test-key-1"}, ad, ct, "unknown_kek", "")

	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
