package keeper_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/errcode"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/keeper/keepertest"
)

func TestConformance(t *testing.T) {
	keepertest.RunConformance(t, func(t *testing.T) keeper.Keeper {
		return newLocalEnvelope(t, keeper.EnvelopeOptions{})
	})
}

// newLocalEnvelope opens an Envelope over a fresh local key. It is closed
// when the test ends.
func newLocalEnvelope(t testing.TB, opts keeper.EnvelopeOptions) *keeper.Envelope {
	t.Helper()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	e, err := keeper.OpenEnvelope(context.Background(), u, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestDataKeyReuseAndWarmCache(t *testing.T) {
	ctx := context.Background()
	kek := newCountingKEK(t)
	e := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k1")}})

	const n = 10000
	cts := make([][]byte, n)
	for i := range cts {
		ct, err := e.Encrypt(ctx, fmt.Appendf(nil, "value-%d", i), fmt.Appendf(nil, "ns/s-%d/1", i))
		if err != nil {
			t.Fatal(err)
		}
		cts[i] = ct
	}
	if got := kek.calls(); got != 1 {
		t.Errorf("KEK calls for %d encryptions = %d, want 1", n, got)
	}
	decryptAll := func(t *testing.T, k keeper.Keeper) {
		t.Helper()
		for i, ct := range cts {
			pt, err := k.Decrypt(ctx, ct, fmt.Appendf(nil, "ns/s-%d/1", i))
			if err != nil {
				t.Fatalf("Decrypt %d: %v", i, err)
			}
			if want := fmt.Sprintf("value-%d", i); string(pt) != want {
				t.Fatalf("Decrypt %d = %q, want %q", i, pt, want)
			}
		}
	}
	t.Run("warm", func(t *testing.T) {
		before := kek.calls()
		decryptAll(t, e)
		if got := kek.calls() - before; got != 0 {
			t.Errorf("KEK calls for %d warm decryptions = %d, want 0", n, got)
		}
	})
	t.Run("cold", func(t *testing.T) {
		cold := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k1")}})
		before := kek.calls()
		decryptAll(t, cold)
		if got := kek.calls() - before; got != 1 {
			t.Errorf("KEK calls for %d decryptions by a cold keeper = %d, want 1", n, got)
		}
		want := keeper.Stats{Unwraps: 1, CacheHits: n - 1, CacheMisses: 1, CachedDataKeys: 1}
		if diff := cmp.Diff(want, keeper.StatsOf(cold)); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}
	})
	t.Run("cold concurrent", func(t *testing.T) {
		cold := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k1")}})
		before := kek.calls()
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Go(func() {
				if _, err := cold.Decrypt(ctx, cts[g], fmt.Appendf(nil, "ns/s-%d/1", g)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := kek.calls() - before; got != 1 {
			t.Errorf("KEK calls for 32 concurrent cold decryptions = %d, want 1", got)
		}
	})
}

func TestParseHeader(t *testing.T) {
	ctx := context.Background()
	kek := newCountingKEK(t)
	e := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "team-a:kek.2026_01")}})
	ct, err := e.Encrypt(ctx, []byte("v"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := keeper.ParseHeader(ct)
	if err != nil {
		t.Fatalf("ParseHeader: %v", err)
	}
	if diff := cmp.Diff(keeper.Header{Version: 1, KEKID: "team-a:kek.2026_01", DataKeyID: h.DataKeyID}, h); diff != "" {
		t.Errorf("ParseHeader (-want +got):\n%s", diff)
	}
	if len(h.DataKeyID) != 32 {
		t.Errorf("DataKeyID = %q, want 32 hex digits", h.DataKeyID)
	}
	if _, changed, err := e.Rewrap(ctx, ct, []byte("ad")); err != nil || changed {
		t.Errorf("Rewrap of a fresh ciphertext = (changed %v, %v), want unchanged", changed, err)
	}
	// Byte offsets of the layout in doc.go, for KEK id length n = 18.
	const n = 18
	set := func(i int, b byte) []byte { c := bytes.Clone(ct); c[i] = b; return c }
	tests := []struct {
		name string
		ct   []byte
		want error
	}{
		{"empty", nil, keeper.ErrMalformed},
		{"version 0", set(0, 0), keeper.ErrUnknownVersion},
		{"version 2", set(0, 2), keeper.ErrUnknownVersion},
		{"version only", ct[:1], keeper.ErrMalformed},
		{"KEK id length 0", set(1, 0), keeper.ErrMalformed},
		{"KEK id length 65", set(1, 65), keeper.ErrMalformed},
		{"KEK id length past end", set(1, 64), keeper.ErrMalformed},
		{"KEK id with space", set(2, ' '), keeper.ErrMalformed},
		{"KEK id with NUL", set(3, 0), keeper.ErrMalformed},
		{"no data key id", ct[:2+n+15], keeper.ErrMalformed},
		{"wrapped length 0", set(2+n+16+1, 0), keeper.ErrMalformed},
		{"wrapped length over 4096", set(2+n+16, 0x20), keeper.ErrMalformed},
		{"no payload", ct[:len(ct)-28], keeper.ErrMalformed},
		{"payload shorter than nonce and tag", ct[:len(ct)-2], keeper.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "wrapped length 0" && ct[2+n+16] != 0 {
				t.Skip("wrapped key longer than 255 bytes")
			}
			_, err := keeper.ParseHeader(tc.ct)
			if !errors.Is(err, tc.want) || !errors.Is(err, keeper.ErrDecrypt) {
				t.Errorf("ParseHeader error = %v, want %v (and ErrDecrypt)", err, tc.want)
			}
			got, err := e.Decrypt(ctx, tc.ct, []byte("ad"))
			if !errors.Is(err, tc.want) || got != nil {
				t.Errorf("Decrypt = (%q, %v), want (nil, %v)", got, err, tc.want)
			}
		})
	}
}

func TestErrorsHideKeyMaterial(t *testing.T) {
	ctx := context.Background()
	key := "c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwMTI" // not 32 bytes once decoded
	tests := []struct {
		name, url, secret string
	}{
		{"bad key length", "base64key://" + key, key},
		{"not base64", "base64key://" + key + "!!", key},
		{"bad escape", "base64key://" + key + "%zz", key},
		{"unknown query", "base64key://" + key + "?x=1", key},
		{"unregistered scheme", "nosuchkms://" + key + "?token=hunter2hunter2", "hunter2hunter2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keeper.OpenEnvelope(ctx, tc.url, keeper.EnvelopeOptions{})
			if err == nil {
				t.Fatal("OpenEnvelope succeeded, want an error")
			}
			if !errors.Is(err, keeper.ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error %q contains key material", err)
			}
		})
	}
	t.Run("KEK prints redacted", func(t *testing.T) {
		k := keeper.KEK{ID: "k", URL: "base64key://" + key}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			if s := fmt.Sprintf(verb, k); strings.Contains(s, key) || strings.Contains(s, fmt.Sprintf("%x", key)) {
				t.Errorf("Sprintf(%s, KEK) = %q, contains the key", verb, s)
			}
		}
		if s := fmt.Sprintf("%+v", keeper.EnvelopeOptions{KEKs: []keeper.KEK{k}}); strings.Contains(s, key) {
			t.Errorf("options print the key: %q", s)
		}
	})
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"base64key://c2VjcmV0", "base64key://[REDACTED]"},
		{"base64key://", "base64key://"},
		{"awskms://alias/strongbox?region=eu-west-1", "awskms://alias/strongbox?[REDACTED]"},
		{"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k"},
		{"hashivault://user:pass@mykey", "hashivault://mykey?[REDACTED]"},
		{"base64key:opaque-key", "base64key://[REDACTED]"},
		{"%zz", "[REDACTED]"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, keeper.RedactURL(tc.in)); diff != "" {
				t.Errorf("RedactURL (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewEnvelopeInvalid(t *testing.T) {
	ctx := context.Background()
	sk := newCountingKEK(t)
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts keeper.EnvelopeOptions
	}{
		{"no KEK", keeper.EnvelopeOptions{}},
		{"URL and Wrapper", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "a", URL: u, Wrapper: sk}}}},
		{"neither", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "a"}}}},
		{"Wrapper without id", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{Wrapper: sk}}}},
		{"bad id", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "a b", Wrapper: sk}}}},
		{"long id", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: strings.Repeat("a", 65), Wrapper: sk}}}},
		{"duplicate id", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "a", Wrapper: sk}, {ID: "a", URL: u}}}},
		{"unknown primary", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "a", Wrapper: sk}}, Primary: "b"}},
		{"uses over 2^32", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "a", Wrapper: sk}}, DataKeyMaxUses: 1<<32 + 1}},
		{"negative cache", keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: "a", Wrapper: sk}}, CacheSize: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := keeper.OpenEnvelope(ctx, "", tc.opts)
			if !errors.Is(err, keeper.ErrInvalid) {
				t.Errorf("NewEnvelope error = %v, want ErrInvalid", err)
			}
			if e != nil {
				t.Error("NewEnvelope returned an Envelope with its error")
			}
		})
	}
	if _, err := keeper.OpenEnvelope(ctx, "", keeper.EnvelopeOptions{}); !errors.Is(err, keeper.ErrInvalid) {
		t.Errorf("OpenEnvelope(\"\") error = %v, want ErrInvalid", err)
	}
}

func TestDefaultKEKID(t *testing.T) {
	u1, _ := keeper.NewThrowawayKEKURL()
	u2, _ := keeper.NewThrowawayKEKURL()
	// TestDefaultKEKIDStable pins the ids of fixed URLs.
	if keeper.DefaultKEKID(u1) == keeper.DefaultKEKID(u2) {
		t.Error("two keys got one id")
	}
	ctx := context.Background()
	e, err := keeper.OpenEnvelope(ctx, u1, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ct, err := e.Encrypt(ctx, []byte("v"), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := keeper.ParseHeader(ct)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keeper.DefaultKEKID(u1), h.KEKID); diff != "" {
		t.Errorf("KEK id in header (-want +got):\n%s", diff)
	}
	if strings.Contains(string(ct), strings.TrimPrefix(u1, "base64key://")) {
		t.Error("ciphertext contains the KEK URL")
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	kek := newCountingKEK(t)
	e := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "a")}})
	ct, err := e.Encrypt(ctx, []byte("v"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	calls := map[string]error{
		"Encrypt":       second(e.Encrypt(ctx, []byte("v"), nil)),
		"Decrypt":       second(e.Decrypt(ctx, ct, nil)),
		"Rewrap":        third(e.Rewrap(ctx, ct, nil)),
		"RotateDataKey": keeper.RotateDataKey(ctx, e),
		"SetPrimary":    e.SetPrimary("a"),
		"AddKEK":        e.AddKEK(ctx, kek.kek(t, "b")),
		"RemoveKEK":     e.RemoveKEK(ctx, "a", keeper.RemoveOptions{Force: true}),
	}
	for name, err := range calls {
		if !errors.Is(err, errcode.FailedPrecondition) {
			t.Errorf("%s after Close = %v, want FailedPrecondition", name, err)
		}
	}
	if got := keeper.StatsOf(e).CachedDataKeys; got != 0 {
		t.Errorf("cached data keys after Close = %d, want 0", got)
	}
}

func second[T any](_ T, err error) error        { return err }
func third[T, U any](_ T, _ U, err error) error { return err }

func TestCloseWaitsForCallsInFlight(t *testing.T) {
	ctx := context.Background()
	kek := newCountingKEK(t)
	enc := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k")}})
	ct, err := enc.Encrypt(ctx, []byte("v"), nil)
	if err != nil {
		t.Fatal(err)
	}
	kek.delay = 200 * time.Millisecond
	e := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k")}})
	before, doneBefore := kek.unwraps.Load(), kek.unwrapsDone.Load()
	result := make(chan error, 1)
	go func() {
		_, err := e.Decrypt(ctx, ct, nil) // cold: waits on the slow KEK
		result <- err
	}()
	for kek.unwraps.Load() == before {
		time.Sleep(time.Millisecond)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	// The goroutine's own bookkeeping runs after Decrypt has left, so it
	// may lag Close; the KEK call inside the Decrypt may not.
	if kek.unwrapsDone.Load() == doneBefore {
		t.Error("Close returned before the Decrypt in flight finished")
	}
	if err := <-result; err != nil {
		t.Errorf("Decrypt in flight during Close: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := enc.Encrypt(canceled, []byte("v"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Encrypt with a canceled context = %v, want context.Canceled", err)
	}
}
