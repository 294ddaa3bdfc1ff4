package runtoken

import (
	"slices"
	"sync"
)

// parsedCache remembers the claims of tokens whose signature and payload a
// Verifier has already checked, keyed by the exact token text, so that a
// run that sends the same token with every request pays the HMAC and the
// strict JSON decoding once (issue #17 item 3: they were the run-token
// share of a warm decrypt's profile). Only what parse decides is cached:
// the same bytes under the same, never-changing keys always parse the same.
// The lifetime, expiry, not-before and revocation checks run on every
// Verify. Failures are not cached. The cache holds at most maxParsed
// tokens and is emptied when full; it is in process memory, as the
// Verifier's keys are.
type parsedCache struct {
	mu sync.RWMutex
	m  map[string]Claims
}

const maxParsed = 4096

func (p *parsedCache) get(token string) (Claims, bool) {
	p.mu.RLock()
	c, ok := p.m[token]
	p.mu.RUnlock()
	if ok {
		c.Names = slices.Clone(c.Names) // callers own what Verify returns
	}
	return c, ok
}

func (p *parsedCache) put(token string, c Claims) {
	c.Names = slices.Clone(c.Names)
	p.mu.Lock()
	if p.m == nil || len(p.m) >= maxParsed {
		p.m = make(map[string]Claims)
	}
	p.m[token] = c
	p.mu.Unlock()
}
