package keeper_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/keeper"
)

// localKey is a 32-byte key whose URL-safe base64 has '-' and '_' (and
// whose standard base64 has '+' and '/').
var localKey = bytes.Repeat([]byte{0xfb, 0xff, 0xbf, 0x10}, 8)

var (
	localKeyB64 = base64.URLEncoding.EncodeToString(localKey) // 44 characters, one '='
	localKeyURL = "base64key://" + localKeyB64
)

// malformedLocalKEKURLs are base64key URLs that must be refused, each with
// a part of the reason the error must give.
var malformedLocalKEKURLs = []struct {
	name, url, reason string
}{
	{"scheme only", "base64key:", "no key"},
	{"empty", "base64key://", "no key"},
	{"no slashes (opaque)", "base64key:" + localKeyB64, `must follow "base64key://"`},
	{"one slash", "base64key:/" + localKeyB64, `must follow "base64key://"`},
	{"three slashes (path)", "base64key:///" + localKeyB64, "third '/'"},
	{"unpadded", "base64key://" + strings.TrimRight(localKeyB64, "="), "not padded"},
	{"double padding", "base64key://" + localKeyB64 + "=", "not valid padded base64"},
	{"padding in the middle", "base64key://" + localKeyB64[:20] + "=" + localKeyB64[21:], "not valid padded base64"},
	{"31 bytes", "base64key://" + base64.URLEncoding.EncodeToString(localKey[:31]), "31 bytes, want 32"},
	{"33 bytes", "base64key://" + base64.URLEncoding.EncodeToString(append(bytes.Clone(localKey), 1)), "33 bytes, want 32"},
	{"16 bytes", "base64key://" + base64.URLEncoding.EncodeToString(localKey[:16]), "16 bytes, want 32"},
	{"64 bytes", "base64key://" + base64.URLEncoding.EncodeToString(append(bytes.Clone(localKey), localKey...)), "64 bytes, want 32"},
	{"standard alphabet", "base64key://" + base64.StdEncoding.EncodeToString(localKey), "URL-safe"},
	{"trailing slash", localKeyURL + "/", "a path"},
	{"query", localKeyURL + "?x=1", "query"},
	{"empty query", localKeyURL + "?", "query"},
	{"fragment", localKeyURL + "#f", "fragment"},
	{"user info", "base64key://user@" + localKeyB64, "user info"},
	{"port", localKeyURL + ":443", "port"},
	{"percent-escape", "base64key://" + localKeyB64[:43] + "%3D", "percent"},
	{"trailing newline", localKeyURL + "\n", "whitespace"},
	{"trailing space", localKeyURL + " ", "whitespace"},
	{"inner space", "base64key://" + localKeyB64[:10] + " " + localKeyB64[10:], "whitespace"},
	{"other character", "base64key://" + localKeyB64[:10] + "*" + localKeyB64[11:], "outside"},
	{"redacted form read back", "base64key://[REDACTED]", "outside"},
}

// TestMistypedLocalKEKURLRefused is the regression test for issue #11
// item 2: base64key:KEY, base64key:///KEY and base64key:// opened with a
// fresh random key (and the same derived KEK id), so whatever was written
// with them could never be read. Every malformed base64key URL is refused,
// by every way of giving a KEK, with an error that says what is wrong and
// shows nothing of the key.
func TestMistypedLocalKEKURLRefused(t *testing.T) {
	ctx := context.Background()
	good := testKeyURL("mistyped-good")
	for _, tc := range malformedLocalKEKURLs {
		t.Run(tc.name, func(t *testing.T) {
			open := map[string]func() error{
				"OpenEnvelope": func() error {
					e, err := keeper.OpenEnvelope(ctx, tc.url, keeper.EnvelopeOptions{})
					if err == nil {
						e.Close()
					}
					return err
				},
				"NewEnvelope": func() error {
					e, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "k", URL: tc.url}}})
					if err == nil {
						e.Close()
					}
					return err
				},
				"AddKEK": func() error {
					e, err := keeper.OpenEnvelope(ctx, good, keeper.EnvelopeOptions{})
					if err != nil {
						return nil // reported below as "opened"
					}
					defer e.Close()
					return e.AddKEK(ctx, keeper.KEK{ID: "k", URL: tc.url})
				},
			}
			for how, f := range open {
				err := f()
				if err == nil {
					t.Errorf("%s: opened without error", how)
					continue
				}
				if !errors.Is(err, keeper.ErrInvalid) {
					t.Errorf("%s: error %q is not ErrInvalid", how, err)
				}
				if !strings.Contains(err.Error(), tc.reason) {
					t.Errorf("%s: error %q does not say %q", how, err, tc.reason)
				}
				for _, part := range []string{localKeyB64[:12], localKeyB64[12:24], localKeyB64[30:42], base64.StdEncoding.EncodeToString(localKey)[:12]} {
					if strings.Contains(err.Error(), part) {
						t.Errorf("%s: error %q shows part of the key", how, err)
					}
				}
			}
		})
	}
}

// TestLocalKEKURLAccepted: the well-formed forms open, and the key comes
// from the URL: two Envelopes opened from one URL have the same KEK id and
// read each other's ciphertexts, so the id never names a different key.
func TestLocalKEKURLAccepted(t *testing.T) {
	ctx := context.Background()
	// A last character with unused low bits set: non-canonical, but gocloud
	// reads it as the same key, and data written with it must stay readable.
	nonCanonical := localKeyB64[:42] + "R="
	if nonCanonical == localKeyB64 {
		t.Fatal("test key's last character is already R")
	}
	for _, tc := range []struct{ name, url string }{
		{"url-safe alphabet", localKeyURL},
		{"upper-case scheme", "BASE64KEY://" + localKeyB64},
		{"mixed-case scheme", "Base64Key://" + localKeyB64},
		{"non-canonical last character", "base64key://" + nonCanonical},
		{"no '-' or '_'", testKeyURL("accepted")},
		{"throwaway", mustThrowaway(t)},
	} {
		u := tc.url
		t.Run(tc.name, func(t *testing.T) {
			a, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := keeper.OpenEnvelope(ctx, u, keeper.EnvelopeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			pa, _ := a.KEKIDs()
			pb, _ := b.KEKIDs()
			if diff := cmp.Diff(keeper.DefaultKEKID(u), pb); diff != "" || pa != pb {
				t.Errorf("KEK id (-want +got):\n%s", diff)
			}
			ct, err := a.Encrypt(ctx, []byte("v"), []byte("ad"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := b.Decrypt(ctx, ct, []byte("ad")); err != nil || string(got) != "v" {
				t.Errorf("second Envelope from the same URL: Decrypt = %q, %v; want v", got, err)
			}
		})
	}
}

// TestDefaultKEKIDStable pins DefaultKEKID: data names its KEK by this id,
// so it must never change for a URL that opens.
func TestDefaultKEKIDStable(t *testing.T) {
	for u, want := range map[string]string{
		testKeyURL("test-key-1"): "kek-57f18437ceaccf44",
		localKeyURL:              "kek-9d7af4af1b6b3436",
	} {
		if diff := cmp.Diff(want, keeper.DefaultKEKID(u)); diff != "" {
			t.Errorf("DefaultKEKID (-want +got):\n%s", diff)
		}
	}
}

func mustThrowaway(t *testing.T) string {
	t.Helper()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestNewThrowawayKEKURL: each call makes a different well-formed key.
func TestNewThrowawayKEKURL(t *testing.T) {
	a, b := mustThrowaway(t), mustThrowaway(t)
	if a == b {
		t.Fatal("two throwaway URLs are equal")
	}
	for _, u := range []string{a, b} {
		k, ok := strings.CutPrefix(u, "base64key://")
		if raw, err := base64.URLEncoding.DecodeString(k); !ok || err != nil || len(raw) != 32 {
			t.Errorf("throwaway URL of %d characters is not base64key:// and 32 bytes of URL-safe base64", len(u))
		}
	}
}

// TestUnparsableKEKURLErrorHidesIt: a KEK URL that does not parse (a
// trailing newline read from a file, a tab, a bad escape) was quoted
// whole, escaped, in gocloud's error, where the scrubbing of the raw URL
// did not find it: a token in its query showed (issue #11 item 1 class).
func TestUnparsableKEKURLErrorHidesIt(t *testing.T) {
	ctx := context.Background()
	const token = "s3cr3t-t0ken-in-query"
	for _, tc := range []struct{ name, url, reason string }{
		{"trailing newline", "hashivault://k?token=" + token + "\n", "control character"},
		{"tab", "awskms://k?token=" + token + "\tx", "control character"},
		{"DEL", "awskms://k?token=" + token + "\x7f", "control character"},
		{"colon in first segment", "%zz://k?token=" + token + `"x`, "does not parse"},
		{"bad escape", "hashivault://k?token=" + token + "&x=%zz", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "k", URL: tc.url}}})
			if err == nil {
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", err, tc.reason)
			}
			for _, part := range []string{token, token[:12], token[8:]} {
				if strings.Contains(err.Error(), part) {
					t.Errorf("error %q shows the token", err)
				}
			}
		})
	}
}
