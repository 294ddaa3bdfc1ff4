package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

// TestKeyedEvictsLeastRecentlyUsed: the per-key buckets are bounded; the
// least recently used key goes first, and a key in use keeps its bucket.
func TestKeyedEvictsLeastRecentlyUsed(t *testing.T) {
	now := time.Unix(0, 0)
	l := New(1, 1, 3, func() time.Time { return now })
	for _, k := range []string{"a", "b", "c"} {
		if _, ok := l.Allow(k); !ok {
			t.Fatalf("first request of %s refused", k)
		}
	}
	l.Allow("a") // a is now the most recent; b the least
	l.Allow("d") // drops b
	if n := l.Len(); n != 3 {
		t.Errorf("%d keys tracked, want 3", n)
	}
	if _, ok := l.Allow("a"); ok {
		t.Error("a lost its empty bucket to the eviction")
	}
	if _, ok := l.Allow("b"); !ok {
		t.Error("b was not evicted: its bucket is still empty")
	}
	var off *Keyed
	if _, ok := off.Allow("x"); !ok {
		t.Error("nil limiter refused")
	}
	if _, blocked := off.Blocked("x"); blocked {
		t.Error("nil limiter blocked")
	}
	off.Failed("x")
}

// TestKeyedFailedBlocks: failures empty the bucket without Allow; Blocked
// then reports it, with the wait, until the rate refills a token.
func TestKeyedFailedBlocks(t *testing.T) {
	now := time.Unix(0, 0)
	l := New(1, 2, 10, func() time.Time { return now })
	if _, blocked := l.Blocked("k"); blocked {
		t.Fatal("unknown key blocked")
	}
	l.Failed("k")
	if _, blocked := l.Blocked("k"); blocked {
		t.Fatal("blocked after one failure of a burst of 2")
	}
	l.Failed("k")
	wait, blocked := l.Blocked("k")
	if !blocked || wait <= 0 || wait > time.Second {
		t.Fatalf("Blocked = %v, %v; want true and a wait in (0, 1s]", wait, blocked)
	}
	now = now.Add(time.Second)
	if _, blocked := l.Blocked("k"); blocked {
		t.Error("still blocked after the bucket refilled")
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		xff    []string
		trust  bool
		want   string
	}{
		{"IPv4 with port", "192.0.2.7:5555", nil, false, "192.0.2.7"},
		{"IPv6 cut to /64", "[2001:db8:1:2:3:4:5:6]:443", nil, false, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6", "[::ffff:192.0.2.7]:1", nil, false, "192.0.2.7"},
		{"X-Forwarded-For ignored by default", "192.0.2.7:1", []string{"198.51.100.1"}, false, "192.0.2.7"},
		{"X-Forwarded-For trusted: last entry", "192.0.2.7:1", []string{"203.0.113.5, 198.51.100.1"}, true, "198.51.100.1"},
		{"X-Forwarded-For trusted: last header", "192.0.2.7:1", []string{"203.0.113.5", "198.51.100.2"}, true, "198.51.100.2"},
		{"X-Forwarded-For trusted but garbage", "192.0.2.7:1", []string{"not-an-ip"}, true, "192.0.2.7"},
		{"no port", "192.0.2.9", nil, false, "192.0.2.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientAddr(r, tc.trust); got != tc.want {
				t.Errorf("ClientAddr = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzClientAddr: any X-Forwarded-For and RemoteAddr give an address
// without panicking; a trusted header that parses is cut like RemoteAddr.
func FuzzClientAddr(f *testing.F) {
	f.Add("192.0.2.7:1", "203.0.113.5, 198.51.100.1")
	f.Add("[2001:db8::1]:443", "2001:db8:1:2:3:4:5:6")
	f.Add("garbage", ",,,")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		plain := ClientAddr(r, false)
		bare := ClientAddr(&http.Request{RemoteAddr: remote, Header: http.Header{}}, true)
		if plain != bare {
			t.Errorf("untrusted address %q depends on X-Forwarded-For (without it: %q)", plain, bare)
		}
		if trusted := ClientAddr(r, true); trusted == "" && plain != "" {
			t.Errorf("trusted address empty for remote %q", remote)
		}
	})
}
