package keeper

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/tink-crypto/tink-go/v2/tink"
)

// dataKey is an unwrapped data key ready to use.
type dataKey struct {
	unprintable
	id    [dataKeyIDLen]byte
	kekID string
	aead  tink.AEAD
	// header is the ciphertext header for this key, up to the payload;
	// header[:aadLen] is what the AES-GCM tag covers besides the caller's
	// associated data.
	header []byte
	aadLen int
	// created is when this process made or unwrapped the key.
	created time.Time
}

type cacheState int

const (
	cacheMiss cacheState = iota
	cacheFresh
	// cacheStale: older than the TTL but within the stale allowance; it
	// may be used only if refreshing fails because the KEK is unavailable.
	cacheStale
)

type cacheEntry struct {
	unprintable
	key     string
	dk      *dataKey
	fetched time.Time
	elem    *list.Element
}

type flight struct {
	unprintable
	done chan struct{}
	dk   *dataKey
	err  error
}

// dataKeyCache maps a wrapped data key (cacheKey bytes: KEK id, data key id
// and wrapped key) to the unwrapped key. It is bounded by entry count (least
// recently used go first) and by age, and it collapses concurrent misses on
// the same key into one unwrap.
type dataKeyCache struct {
	unprintable
	max      int
	ttl      time.Duration // < 0: never expires
	maxStale time.Duration // < 0: no stale use

	mu      sync.Mutex
	m       map[string]*cacheEntry
	lru     *list.List // front = most recently used
	flights map[string]*flight
}

func newDataKeyCache(max int, ttl, maxStale time.Duration) *dataKeyCache {
	return &dataKeyCache{max: max, ttl: ttl, maxStale: maxStale,
		m: make(map[string]*cacheEntry), lru: list.New(), flights: make(map[string]*flight)}
}

func (c *dataKeyCache) get(key []byte, now time.Time) (*dataKey, cacheState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(key)]
	if !ok {
		return nil, cacheMiss
	}
	age := now.Sub(e.fetched)
	switch {
	case c.ttl < 0 || age < c.ttl:
		c.lru.MoveToFront(e.elem)
		return e.dk, cacheFresh
	case c.maxStale >= 0 && age < c.ttl+c.maxStale:
		return e.dk, cacheStale
	}
	c.removeLocked(e)
	return nil, cacheMiss
}

func (c *dataKeyCache) put(key string, dk *dataKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		e.dk, e.fetched = dk, now
		c.lru.MoveToFront(e.elem)
		return
	}
	e := &cacheEntry{key: key, dk: dk, fetched: now}
	e.elem = c.lru.PushFront(e)
	c.m[key] = e
	for c.lru.Len() > c.max {
		c.removeLocked(c.lru.Back().Value.(*cacheEntry))
	}
}

func (c *dataKeyCache) removeLocked(e *cacheEntry) {
	c.lru.Remove(e.elem)
	delete(c.m, e.key)
}

// purge drops every entry whose key was wrapped by kekID, or every entry if
// kekID is empty.
func (c *dataKeyCache) purge(kekID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.m {
		if kekID == "" || e.dk.kekID == kekID {
			c.removeLocked(e)
		}
	}
}

func (c *dataKeyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// load runs fetch once for all concurrent callers asking for key. A caller
// whose context ends stops waiting; a result that is another caller's
// context error is retried with this caller's context.
func (c *dataKeyCache) load(ctx context.Context, key []byte, fetch func(context.Context) (*dataKey, error)) (*dataKey, error) {
	for {
		c.mu.Lock()
		f, ok := c.flights[string(key)]
		if !ok {
			f = &flight{done: make(chan struct{})}
			c.flights[string(key)] = f
			c.mu.Unlock()
			f.dk, f.err = fetch(ctx)
			c.mu.Lock()
			delete(c.flights, string(key))
			c.mu.Unlock()
			close(f.done)
			return f.dk, f.err
		}
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil && (f.err == context.Canceled || f.err == context.DeadlineExceeded) && ctx.Err() == nil {
			continue
		}
		return f.dk, f.err
	}
}
