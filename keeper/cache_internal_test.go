package keeper

import (
	"context"
	"testing"
	"time"
)

// TestLoadFindsWhatAFinishedFetchCached: a caller that missed the cache
// while another caller's fetch ran, and reaches load after that fetch has
// ended, gets the key that fetch cached, without a second fetch (a second
// unwrap by the KEK). Before, 32 concurrent cold decryptions now and then
// cost two KEK calls. An expired entry is fetched again.
func TestLoadFindsWhatAFinishedFetchCached(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	c := newDataKeyCache(4, time.Minute, -1, func() time.Time { return now })
	key := []byte("kek-1|data-key-id|wrapped")
	dk := &dataKey{kekID: "kek-1"}
	// The other caller's fetch put the key and ended: no flight is left.
	c.put(string(key), dk, now)
	got, err := c.load(context.Background(), key, func(context.Context) (*dataKey, error) {
		t.Error("fetched a key the cache holds")
		return nil, nil
	})
	if err != nil || got != dk {
		t.Fatalf("load = (%p, %v), want the cached key %p", got, err, dk)
	}

	now = now.Add(2 * time.Minute) // past the TTL
	fresh := &dataKey{kekID: "kek-1"}
	fetches := 0
	got, err = c.load(context.Background(), key, func(context.Context) (*dataKey, error) {
		fetches++
		return fresh, nil
	})
	if err != nil || got != fresh || fetches != 1 {
		t.Fatalf("load of an expired key = (%p, %v) after %d fetches, want the fetched key %p after 1", got, err, fetches, fresh)
	}
}
