package keeper

import (
	"container/list"
	"context"
	"fmt"
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

// failure is a remembered KEK outage for one data key: until it passes,
// cold lookups of the key fail at once with err instead of calling the KEK.
type failure struct {
	unprintable
	err     error
	until   time.Time
	backoff time.Duration
}

// The negative cache's interval: the first failure of a data key's unwrap
// is remembered for minBackoff, each further one in a row for twice the
// last, at most dataKeyCache.maxBackoff (by default defaultMaxBackoff).
const (
	minBackoff        = 100 * time.Millisecond
	defaultMaxBackoff = 2 * time.Second
)

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

	now func() time.Time
	// maxBackoff caps the negative cache's interval; 0: no negative cache.
	maxBackoff time.Duration

	mu      sync.Mutex
	m       map[string]*cacheEntry
	lru     *list.List // front = most recently used
	flights map[string]*flight
	// failures remembers recent unavailable unwraps (the negative cache),
	// at most max of them.
	failures map[string]*failure
}

func newDataKeyCache(max int, ttl, maxStale time.Duration, now func() time.Time) *dataKeyCache {
	return &dataKeyCache{max: max, ttl: ttl, maxStale: maxStale, now: now, maxBackoff: defaultMaxBackoff,
		m: make(map[string]*cacheEntry), lru: list.New(), flights: make(map[string]*flight),
		failures: make(map[string]*failure)}
}

func (c *dataKeyCache) get(key []byte, now time.Time) (*dataKey, cacheState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(key, now)
}

// getLocked is get with c.mu held.
func (c *dataKeyCache) getLocked(key []byte, now time.Time) (*dataKey, cacheState) {
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
	clear(c.failures)
}

func (c *dataKeyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// load runs fetch once for all concurrent callers asking for key, and not
// at all if key is in the cache, fresh, by then. A caller whose context
// ends stops waiting; a result that is another caller's
// context error is retried with this caller's context.
//
// A fetch that fails as unavailable (isUnavailable) is remembered for a
// short, growing interval (minBackoff doubling to maxBackoff): until it
// passes, load returns that failure without calling fetch, so an outage
// of the key service costs one call per data key per interval, not one
// per request. A success forgets it.
func (c *dataKeyCache) load(ctx context.Context, key []byte, fetch func(context.Context) (*dataKey, error)) (*dataKey, error) {
	for {
		c.mu.Lock()
		if fl, ok := c.failures[string(key)]; ok {
			if wait := fl.until.Sub(c.now()); wait > 0 {
				c.mu.Unlock()
				return nil, fmt.Errorf("%w (failed moments ago; next attempt in %v)", fl.err, wait.Round(time.Millisecond))
			}
		}
		f, ok := c.flights[string(key)]
		if !ok {
			// A caller that missed the cache before another's fetch put the
			// key there, and comes here after that fetch ended, finds it now
			// rather than fetching again.
			if dk, state := c.getLocked(key, c.now()); state == cacheFresh {
				c.mu.Unlock()
				return dk, nil
			}
			f = &flight{done: make(chan struct{})}
			c.flights[string(key)] = f
			c.mu.Unlock()
			f.dk, f.err = fetch(ctx)
			c.mu.Lock()
			delete(c.flights, string(key))
			c.recordLocked(string(key), f.err)
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

// recordLocked updates the negative cache with the outcome of a fetch.
func (c *dataKeyCache) recordLocked(key string, err error) {
	if err == nil || !isUnavailable(err) || c.maxBackoff <= 0 {
		delete(c.failures, key)
		return
	}
	now := c.now()
	fl, ok := c.failures[key]
	if !ok {
		if len(c.failures) >= c.max {
			for k, old := range c.failures {
				if !old.until.After(now) || len(c.failures) >= c.max {
					delete(c.failures, k)
				}
			}
		}
		fl = &failure{}
		c.failures[key] = fl
	}
	fl.backoff = min(max(2*fl.backoff, minBackoff), c.maxBackoff)
	fl.err, fl.until = err, now.Add(fl.backoff)
}
