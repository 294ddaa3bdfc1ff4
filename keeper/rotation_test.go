package keeper_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
)

// stored is one ciphertext as a store would hold it.
type stored struct {
	pt, ad, ct []byte
}

// inUse reports whether any stored ciphertext names kekID, the way the
// secrets Manager scans its store.
func inUse(store []*stored) func(context.Context, string) (bool, error) {
	return func(_ context.Context, kekID string) (bool, error) {
		for _, s := range store {
			h, err := keeper.ParseHeader(s.ct)
			if err != nil {
				return false, err
			}
			if h.KEKID == kekID {
				return true, nil
			}
		}
		return false, nil
	}
}

// TestRotateRewrapRemove rotates the key-encryption key and the data key,
// rewraps, removes the old key, and checks that every value written
// before, during and after still decrypts.
func TestRotateRewrapRemove(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	oldKEK, newKEK := newCountingKEK(t), newCountingKEK(t)
	e := newEnvelopeAt(t, keeper.EnvelopeOptions{
		KEKs:           []keeper.KEK{oldKEK.kek(t, "kek-2025")},
		DataKeyMaxUses: 10,
	}, clk.Now)
	var store []*stored
	write := func(phase string, n int) {
		t.Helper()
		for i := range n {
			s := &stored{pt: fmt.Appendf(nil, "%s-value-%d", phase, i), ad: fmt.Appendf(nil, "ns/%s-%d/1", phase, i)}
			ct, err := e.Encrypt(ctx, s.pt, s.ad)
			if err != nil {
				t.Fatalf("Encrypt %s %d: %v", phase, i, err)
			}
			s.ct = ct
			store = append(store, s)
		}
	}
	checkAll := func(when string) {
		t.Helper()
		for i, s := range store {
			got, err := e.Decrypt(ctx, s.ct, s.ad)
			if err != nil {
				t.Fatalf("%s: Decrypt %d (%s): %v", when, i, s.pt, err)
			}
			if diff := cmp.Diff(s.pt, got); diff != "" {
				t.Fatalf("%s: Decrypt %d (-want +got):\n%s", when, i, diff)
			}
		}
	}
	dataKeys := func() map[string]int {
		m := map[string]int{}
		for _, s := range store {
			h, err := keeper.ParseHeader(s.ct)
			if err != nil {
				t.Fatal(err)
			}
			m[h.KEKID+"/"+h.DataKeyID]++
		}
		return m
	}

	write("before", 25) // 3 data keys by use count
	clk.Advance(25 * time.Hour)
	write("aged", 5) // a 4th data key by age
	if got := len(dataKeys()); got != 4 {
		t.Errorf("data keys after use and age rotation = %d, want 4", got)
	}
	if err := keeper.RotateDataKey(ctx, e); err != nil {
		t.Fatal(err)
	}
	write("rotated", 1)
	checkAll("after data key rotation")

	if err := e.AddKEK(ctx, newKEK.kek(t, "kek-2026")); err != nil {
		t.Fatal(err)
	}
	write("added", 3) // still under the old primary
	if err := e.SetPrimary("kek-2026"); err != nil {
		t.Fatal(err)
	}
	write("during", 12)
	checkAll("after KEK rotation")

	if err := e.RemoveKEK(ctx, "kek-2025", keeper.RemoveOptions{InUse: inUse(store)}); !errors.Is(err, errcode.FailedPrecondition) {
		t.Fatalf("RemoveKEK of a key still in use = %v, want FailedPrecondition", err)
	}

	// Rewrap, interleaved with new writes; a second pass changes nothing.
	for pass := range 2 {
		changed := 0
		for i, s := range store {
			if i%10 == 0 && pass == 0 {
				write(fmt.Sprintf("rewrap-%d", i), 1)
			}
			out, ok, err := e.Rewrap(ctx, s.ct, s.ad)
			if err != nil {
				t.Fatalf("pass %d: Rewrap %d: %v", pass, i, err)
			}
			if ok {
				changed++
				s.ct = out
			} else if &out[0] != &s.ct[0] {
				t.Errorf("pass %d: Rewrap %d reported no change but returned new bytes", pass, i)
			}
		}
		want := 3 + 25 + 5 + 1 // everything written under kek-2025
		if pass == 1 {
			want = 0
		}
		if changed != want {
			t.Errorf("pass %d: Rewrap changed %d ciphertexts, want %d", pass, changed, want)
		}
	}
	for k := range dataKeys() {
		if k[:len("kek-2026")] != "kek-2026" {
			t.Errorf("after rewrap a ciphertext still uses %s", k)
		}
	}
	if err := e.RemoveKEK(ctx, "kek-2025", keeper.RemoveOptions{InUse: inUse(store)}); err != nil {
		t.Fatalf("RemoveKEK after rewrap: %v", err)
	}
	primary, ids := e.KEKIDs()
	if diff := cmp.Diff([]string{"kek-2026", "kek-2026"}, append([]string{primary}, ids...)); diff != "" {
		t.Errorf("KEKIDs, primary first (-want +got):\n%s", diff)
	}
	write("after", 5)
	before := oldKEK.calls()
	checkAll("after removing the old KEK")
	if got := oldKEK.calls() - before; got != 0 {
		t.Errorf("the removed KEK was called %d times", got)
	}

	// A fresh keeper holding only the new key reads everything too.
	fresh := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{newKEK.kek(t, "kek-2026")}})
	for i, s := range store {
		got, err := fresh.Decrypt(ctx, s.ct, s.ad)
		if err != nil || string(got) != string(s.pt) {
			t.Fatalf("fresh keeper: Decrypt %d = (%q, %v), want %q", i, got, err, s.pt)
		}
	}
	if got, max := keeper.StatsOf(fresh).Unwraps, int64(len(dataKeys())); got > max {
		t.Errorf("fresh keeper unwrapped %d times for %d data keys", got, max)
	}
}

func TestRemoveKEK(t *testing.T) {
	ctx := context.Background()
	errScan := errors.New("store scan failed")
	tests := []struct {
		name     string
		id       string
		opts     keeper.RemoveOptions
		wantCode error
	}{
		{"unknown", "nope", keeper.RemoveOptions{Force: true}, errcode.NotFound},
		{"primary", "a", keeper.RemoveOptions{Force: true}, errcode.FailedPrecondition},
		{"no InUse", "b", keeper.RemoveOptions{}, errcode.FailedPrecondition},
		{"in use", "b", keeper.RemoveOptions{InUse: func(context.Context, string) (bool, error) { return true, nil }}, errcode.FailedPrecondition},
		{"scan fails", "b", keeper.RemoveOptions{InUse: func(context.Context, string) (bool, error) { return false, errScan }}, errScan},
		{"scan canceled", "b", keeper.RemoveOptions{InUse: func(context.Context, string) (bool, error) { return false, context.Canceled }}, context.Canceled},
		{"not in use", "b", keeper.RemoveOptions{InUse: func(_ context.Context, id string) (bool, error) { return id != "b", nil }}, nil},
		{"forced", "b", keeper.RemoveOptions{Force: true, InUse: func(context.Context, string) (bool, error) { return true, nil }}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newCountingKEK(t), newCountingKEK(t)
			e := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{a.kek(t, "b"), b.kek(t, "a")}, Primary: "b"})
			ct, err := e.Encrypt(ctx, []byte("v"), nil) // under "b"
			if err != nil {
				t.Fatal(err)
			}
			if err := e.SetPrimary("a"); err != nil {
				t.Fatal(err)
			}
			err = e.RemoveKEK(ctx, tc.id, tc.opts)
			if tc.wantCode == nil {
				if err != nil {
					t.Fatalf("RemoveKEK = %v, want nil", err)
				}
				if _, err := e.Decrypt(ctx, ct, nil); !errors.Is(err, keeper.ErrUnknownKEK) {
					t.Errorf("Decrypt under the removed KEK = %v, want ErrUnknownKEK", err)
				}
				return
			}
			if !errors.Is(err, tc.wantCode) {
				t.Fatalf("RemoveKEK = %v, want %v", err, tc.wantCode)
			}
			if got, err := e.Decrypt(ctx, ct, nil); err != nil || string(got) != "v" {
				t.Errorf("Decrypt after a refused RemoveKEK = (%q, %v), want v", got, err)
			}
		})
	}
}

func TestRewrap(t *testing.T) {
	ctx := context.Background()
	a, b := newCountingKEK(t), newCountingKEK(t)
	e := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{a.kek(t, "a"), b.kek(t, "b")}})
	ad := []byte("ns/name/1")
	ct, err := e.Encrypt(ctx, []byte("value"), ad)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("current", func(t *testing.T) {
		out, changed, err := e.Rewrap(ctx, ct, ad)
		if err != nil || changed || string(out) != string(ct) {
			t.Errorf("Rewrap of a current ciphertext = (changed %v, %v), want unchanged", changed, err)
		}
	})
	t.Run("wrong associated data", func(t *testing.T) {
		out, changed, err := e.Rewrap(ctx, ct, []byte("ns/other/1"))
		if !errors.Is(err, keeper.ErrAuthentication) || out != nil || changed {
			t.Errorf("Rewrap = (%d bytes, %v, %v), want (nil, false, ErrAuthentication)", len(out), changed, err)
		}
	})
	if err := e.SetPrimary("b"); err != nil {
		t.Fatal(err)
	}
	t.Run("wrong associated data after rotation", func(t *testing.T) {
		out, changed, err := e.Rewrap(ctx, ct, []byte("ns/other/1"))
		if !errors.Is(err, keeper.ErrAuthentication) || out != nil || changed {
			t.Errorf("Rewrap = (%d bytes, %v, %v), want (nil, false, ErrAuthentication)", len(out), changed, err)
		}
	})
	t.Run("stale", func(t *testing.T) {
		out, changed, err := e.Rewrap(ctx, ct, ad)
		if err != nil || !changed {
			t.Fatalf("Rewrap = (changed %v, %v), want changed", changed, err)
		}
		h2, err := keeper.ParseHeader(out)
		if err != nil || h2.KEKID != "b" {
			t.Errorf("rewrapped header = %+v, %v; want KEK b, current", h2, err)
		}
		got, err := e.Decrypt(ctx, out, ad)
		if err != nil || string(got) != "value" {
			t.Errorf("Decrypt(rewrapped) = (%q, %v), want value", got, err)
		}
		if _, err := e.Decrypt(ctx, out, []byte("ns/other/1")); !errors.Is(err, keeper.ErrDecrypt) {
			t.Errorf("rewrapped ciphertext lost its associated data binding: %v", err)
		}
	})
}

func TestDataKeyRotation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		opts     keeper.EnvelopeOptions
		n        int
		step     time.Duration
		wantKeys int
	}{
		{"defaults", keeper.EnvelopeOptions{}, 100, time.Minute, 1},
		{"by uses", keeper.EnvelopeOptions{DataKeyMaxUses: 7}, 50, 0, 8},
		{"by age", keeper.EnvelopeOptions{DataKeyMaxAge: time.Hour}, 10, 30 * time.Minute, 5},
		{"default age", keeper.EnvelopeOptions{}, 10, 6 * time.Hour, 3},
		{"no age limit", keeper.EnvelopeOptions{DataKeyMaxAge: -1}, 10, 1000 * time.Hour, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kek, clk := newCountingKEK(t), newClock()
			tc.opts.KEKs = []keeper.KEK{kek.kek(t, "k")}
			e := newEnvelopeAt(t, tc.opts, clk.Now)
			ids := map[string]bool{}
			for range tc.n {
				ct, err := e.Encrypt(ctx, []byte("v"), nil)
				if err != nil {
					t.Fatal(err)
				}
				h, _ := keeper.ParseHeader(ct)
				ids[h.DataKeyID] = true
				clk.Advance(tc.step)
			}
			if got := len(ids); got != tc.wantKeys {
				t.Errorf("data keys = %d, want %d", got, tc.wantKeys)
			}
			if got := keeper.StatsOf(e).Wraps; got != int64(tc.wantKeys) {
				t.Errorf("wraps = %d, want %d", got, tc.wantKeys)
			}
		})
	}
}

func TestOutage(t *testing.T) {
	ctx := context.Background()
	kek, clk := newCountingKEK(t), newClock()
	e := newEnvelopeAt(t, keeper.EnvelopeOptions{
		KEKs:     []keeper.KEK{kek.kek(t, "k")},
		CacheTTL: time.Hour, CacheMaxStale: 2 * time.Hour, DataKeyMaxAge: time.Hour,
	}, clk.Now)
	ad := []byte("ns/name/1")
	warm, err := e.Encrypt(ctx, []byte("warm"), ad)
	if err != nil {
		t.Fatal(err)
	}
	// A ciphertext from another keeper: its data key is not in e's cache.
	other := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k")}})
	cold, err := other.Encrypt(ctx, []byte("cold"), ad)
	if err != nil {
		t.Fatal(err)
	}

	kek.down.Store(true)
	steps := []struct {
		name    string
		advance time.Duration
		ct      []byte
		want    string // "" means want Unavailable
	}{
		{"warm within TTL", 0, warm, "warm"},
		{"cold miss", 0, cold, ""},
		{"warm past TTL, within stale allowance", 90 * time.Minute, warm, "warm"},
		{"warm past stale allowance", 2 * time.Hour, warm, ""},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		got, err := e.Decrypt(ctx, s.ct, ad)
		switch {
		case s.want == "" && (!errors.Is(err, keeper.ErrUnavailable) || got != nil):
			t.Errorf("%s: Decrypt = (%q, %v), want Unavailable", s.name, got, err)
		case s.want != "" && (err != nil || string(got) != s.want):
			t.Errorf("%s: Decrypt = (%q, %v), want %q", s.name, got, err, s.want)
		}
	}
	if got := keeper.StatsOf(e).StaleHits; got != 1 {
		t.Errorf("StaleHits = %d, want 1", got)
	}
	// Encryption keeps going on the expired data key while the KEK is down.
	if _, err := e.Encrypt(ctx, []byte("during outage"), ad); err != nil {
		t.Errorf("Encrypt with an expired data key during an outage: %v", err)
	}
	// A keeper that never made a data key cannot encrypt.
	fresh := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k")}})
	if _, err := fresh.Encrypt(ctx, []byte("v"), ad); !errors.Is(err, keeper.ErrUnavailable) {
		t.Errorf("Encrypt without a data key during an outage = %v, want Unavailable", err)
	}
	if err := keeper.RotateDataKey(ctx, e); !errors.Is(err, keeper.ErrUnavailable) {
		t.Errorf("RotateDataKey during an outage = %v, want Unavailable", err)
	}

	kek.down.Store(false)
	// The negative cache remembers a failure for at most 2 s.
	clk.Advance(2 * time.Second)
	for _, ct := range [][]byte{warm, cold} {
		if _, err := e.Decrypt(ctx, ct, ad); err != nil {
			t.Errorf("Decrypt after the outage: %v", err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	e2 := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k")}})
	if _, err := e2.Decrypt(canceled, cold, ad); !errors.Is(err, context.Canceled) {
		t.Errorf("cold Decrypt with a canceled context = %v, want context.Canceled", err)
	}
}

func TestCacheBounded(t *testing.T) {
	ctx := context.Background()
	kek := newCountingKEK(t)
	e := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{kek.kek(t, "k")}, CacheSize: 2, DataKeyMaxUses: 1})
	var cts [][]byte
	for i := range 5 {
		ct, err := e.Encrypt(ctx, []byte("v"), []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		cts = append(cts, ct)
	}
	if got := keeper.StatsOf(e).CachedDataKeys; got != 2 {
		t.Errorf("cached data keys = %d, want 2", got)
	}
	before := kek.unwraps.Load()
	for i, ct := range cts {
		if _, err := e.Decrypt(ctx, ct, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Keys 0-2 were evicted; decrypting 0,1,2 evicts 3 and 4 again.
	if got := kek.unwraps.Load() - before; got != 5 {
		t.Errorf("unwraps = %d, want 5", got)
	}
	if got := keeper.StatsOf(e).CachedDataKeys; got != 2 {
		t.Errorf("cached data keys = %d, want 2", got)
	}
}

func TestWrongKey(t *testing.T) {
	ctx := context.Background()
	a, b := newCountingKEK(t), newCountingKEK(t)
	ea := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{a.kek(t, "same-id")}})
	eb := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{b.kek(t, "same-id")}})
	ec := newEnvelope(t, keeper.EnvelopeOptions{KEKs: []keeper.KEK{b.kek(t, "other-id")}})
	ct, err := ea.Encrypt(ctx, []byte("v"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := eb.Decrypt(ctx, ct, nil); !errors.Is(err, keeper.ErrAuthentication) || got != nil {
		t.Errorf("Decrypt with another key under the same id = (%q, %v), want ErrAuthentication", got, err)
	}
	if got, err := ec.Decrypt(ctx, ct, nil); !errors.Is(err, keeper.ErrUnknownKEK) || got != nil {
		t.Errorf("Decrypt naming an unknown KEK = (%q, %v), want ErrUnknownKEK", got, err)
	}
}
