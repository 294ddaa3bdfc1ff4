package keeper_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
)

// Secrets a KEK URL can carry, each with the part that must not show.
var secretKEKURLs = []struct {
	name    string
	url     string
	secrets []string
}{
	{"base64key", testKeyURL("render-1"), []string{testKeyURL("render-1"), strings.TrimPrefix(testKeyURL("render-1"), "base64key://")}},
	{"query token", "hashivault://mykey?token=s3cr3t-t0ken-value", []string{"s3cr3t-t0ken-value"}},
	{"user password", "https://user:passw0rd-value@vault.example/key", []string{"passw0rd-value"}},
}

// TestKEKJSONHidesKey is the regression test for issue #11 item 1: a KEK
// marshalled with encoding/json, or logged through slog's JSON handler,
// printed its whole base64key:// URL, which is the key.
func TestKEKJSONHidesKey(t *testing.T) {
	for _, tc := range secretKEKURLs {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.CheckRenderings(t, keeper.KEK{ID: "kek-1", URL: tc.url}, tc.secrets...)
			leakcheck.CheckRenderings(t, keeper.KEK{URL: tc.url, Wrapper: newCountingKEK(t)}, tc.secrets...)
		})
	}
	t.Run("wrapper", func(t *testing.T) {
		key := [32]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}
		leakcheck.CheckRenderings(t, keeper.KEK{ID: "kek-1", Wrapper: keeper.NewLocalWrapper(key)}, string(key[:9]))
	})
}

// TestEnvelopeOptionsHidesKEKs: options carry KEKs, so every printed form
// of them must hide the KEKs' secrets too (issue #11 item 1).
func TestEnvelopeOptionsHidesKEKs(t *testing.T) {
	for _, tc := range secretKEKURLs {
		t.Run(tc.name, func(t *testing.T) {
			opts := keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "kek-1", URL: tc.url}}, Primary: "kek-1", CacheSize: 3}
			leakcheck.CheckRenderings(t, opts, tc.secrets...)
			// Hidden, not broken: JSON (and so slog's JSON handler)
			// still shows the non-secret identity.
			b, err := json.Marshal(opts)
			if err != nil || !strings.Contains(string(b), `"kek-1"`) {
				t.Errorf("json.Marshal(options) = %s, %v; want the KEK id", b, err)
			}
		})
	}
}

// TestEnvelopeHidesKeys: an Envelope holds opened KEKs, unwrapped data keys
// and wrapped data keys; none of it may print (issue #11 item 1).
func TestEnvelopeHidesKeys(t *testing.T) {
	ctx := context.Background()
	u := testKeyURL("render-envelope")
	e, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ct, err := e.Encrypt(ctx, []byte("render-plaintext"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := keeper.ParseHeader(ct)
	if err != nil {
		t.Fatal(err)
	}
	// The wrapped data key follows the header's fixed fields.
	wrapped := string(ct[20+len(h.KEKID) : 20+len(h.KEKID)+40])
	leakcheck.CheckRenderings(t, e, u, strings.TrimPrefix(u, "base64key://"), wrapped, "render-plaintext")
}
