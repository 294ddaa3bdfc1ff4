package keeper

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/gate"
	"github.com/tink-crypto/tink-go/v2/aead/aesgcm"
	"github.com/tink-crypto/tink-go/v2/insecuresecretdataaccess"
	"github.com/tink-crypto/tink-go/v2/secretdata"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// Defaults of EnvelopeOptions; see its fields.
const (
	defaultDataKeyMaxAge = 24 * time.Hour
	// 2^24 values, far below the 2^32 limit for AES-GCM with random 96-bit
	// nonces.
	defaultDataKeyMaxUses = 1 << 24
	defaultCacheSize      = 1024
	defaultCacheTTL       = time.Hour
	defaultCacheMaxStale  = 24 * time.Hour
	defaultKEKTimeout     = 5 * time.Second
)

// EnvelopeOptions configures an Envelope. Every zero value has a
// documented default.
type EnvelopeOptions struct {
	// KEKs are key-encryption keys besides OpenEnvelope's kekURL: older
	// keys that still unwrap, or keys given with an id of their own or as
	// a Wrapper.
	KEKs []KEK
	// Primary is the id of the KEK that wraps new data keys; empty means
	// kekURL's, or the first of KEKs when kekURL is empty.
	Primary string
	// DataKeyMaxAge is how long one data key keeps encrypting before a new
	// one is made; 0 means a day, negative means no limit.
	// While the primary KEK is unavailable an expired key keeps encrypting
	// (within DataKeyMaxUses) rather than fail.
	DataKeyMaxAge time.Duration
	// DataKeyMaxUses is how many values one data key encrypts; 0 means
	// 2^24. Values above 2^32 (the limit of AES-GCM with random nonces)
	// are refused.
	DataKeyMaxUses uint64
	// CacheSize is how many unwrapped data keys are kept; 0 means 1024.
	CacheSize int
	// CacheTTL is how long an unwrapped data key is used before it is
	// unwrapped again, so that a revoked KEK takes effect; 0 means an
	// hour, negative means forever.
	CacheTTL time.Duration
	// CacheMaxStale is how long past CacheTTL a cached key still serves
	// while the KEK is unavailable; 0 means a day, negative means never.
	CacheMaxStale time.Duration
	// KEKTimeout bounds each call to a key-encryption key (one wrap or
	// unwrap), whatever the caller's context allows, so that a hanging key
	// service cannot hold a request; a call past it fails with code
	// Unavailable. 0 means 5 seconds, negative means no limit besides the
	// caller's context.
	KEKTimeout time.Duration
	// KEKFailureBackoff is the longest time an unwrap that failed as
	// unavailable is remembered for its data key (see the package doc's
	// # Data keys and the cache): 0 means 2 seconds, negative means
	// failures are not remembered and every cold decryption calls the KEK.
	KEKFailureBackoff time.Duration
	// MeterProvider receives the Envelope's metrics (see # Metrics in the
	// package doc); nil means otel.GetMeterProvider(), the global one.
	MeterProvider metric.MeterProvider `json:"-"`
}

// stats counts an Envelope's work since it was opened (for tests).
type stats struct {
	// Wraps and Unwraps are calls to key-encryption keys.
	Wraps, Unwraps int64
	// CacheHits and CacheMisses count decryptions that found, or did not
	// find, their data key in the cache; StaleHits counts hits served past
	// the TTL because the KEK was unavailable.
	CacheHits, CacheMisses, StaleHits int64
	// DataKeys is how many data keys this Envelope made.
	DataKeys int64
	// CachedDataKeys is the cache's current size.
	CachedDataKeys int
}

// Envelope is the envelope-encryption Keeper: values are encrypted with
// AES-256-GCM data keys, each data key is wrapped by a key-encryption key,
// and the wrapped data key travels in the ciphertext. It is safe for
// concurrent use. Its state sits behind a pointer, so every printed form
// of an Envelope shows that pointer and nothing of its keys.
type Envelope struct {
	*envelope
}

// envelope is an Envelope's state.
type envelope struct {
	maxAge  time.Duration
	maxUses uint64
	// kekTimeout bounds one KEK call; 0: none.
	kekTimeout time.Duration
	now        func() time.Time
	cache      *dataKeyCache
	gate       gate.Gate // the Close gate

	mu      sync.RWMutex // guards keks and primary
	keks    map[string]*openedKEK
	primary string

	rotateMu sync.Mutex // one data key made at a time
	current  atomic.Pointer[currentKey]

	wraps, unwraps, hits, misses, stale, dataKeys atomic.Int64
	metrics                                       *envelopeMetrics
}

// currentKey is the data key new values are encrypted with.
type currentKey struct {
	unprintable
	dk   *dataKey
	uses atomic.Uint64
}

var (
	_ Keeper = (*Envelope)(nil)
	_ interface {
		Rewrap(ctx context.Context, ciphertext, associatedData []byte) ([]byte, bool, error)
	} = (*Envelope)(nil)
)

// OpenEnvelope opens an Envelope. Its primary key-encryption key is
// kekURL, with id DefaultKEKID(kekURL), unless opts.Primary names another;
// opts.KEKs are further keys (older ones that still unwrap, keys with ids
// of their own, Wrappers). kekURL may be empty when opts.KEKs holds a key;
// then the first of them (or opts.Primary) is primary. A local key is
// base64key:// and the key (see the package doc's # Local keys);
// NewThrowawayKEKURL makes one. Every URL is opened now, so a bad one
// fails here; no key is called yet.
func OpenEnvelope(ctx context.Context, kekURL string, opts EnvelopeOptions) (*Envelope, error) {
	return openEnvelope(ctx, kekURL, opts, time.Now)
}

// openEnvelope is OpenEnvelope with a clock.
func openEnvelope(ctx context.Context, kekURL string, opts EnvelopeOptions, now func() time.Time) (_ *Envelope, err error) {
	const op = "keeper.OpenEnvelope"
	if kekURL != "" {
		first := KEK{ID: DefaultKEKID(kekURL), URL: kekURL}
		opts.KEKs = append([]KEK{first}, opts.KEKs...)
	}
	if len(opts.KEKs) == 0 {
		return nil, errcode.New(errcode.Invalid, op, "a key-encryption key URL (or a KEK in EnvelopeOptions.KEKs) is required")
	}
	e := &envelope{
		gate:    gate.Gate{What: "keeper"},
		maxAge:  opts.DataKeyMaxAge,
		maxUses: opts.DataKeyMaxUses,
		now:     now,
		keks:    make(map[string]*openedKEK),
		metrics: newEnvelopeMetrics(opts.MeterProvider),
	}
	if e.maxAge == 0 {
		e.maxAge = defaultDataKeyMaxAge
	}
	if e.maxUses == 0 {
		e.maxUses = defaultDataKeyMaxUses
	}
	if e.maxUses > 1<<32 {
		return nil, errcode.New(errcode.Invalid, op, "DataKeyMaxUses above 2^32 breaks AES-GCM's random nonce limit")
	}
	size, ttl, stale := opts.CacheSize, opts.CacheTTL, opts.CacheMaxStale
	if size < 0 {
		return nil, errcode.New(errcode.Invalid, op, "CacheSize must not be negative")
	}
	if size == 0 {
		size = defaultCacheSize
	}
	if ttl == 0 {
		ttl = defaultCacheTTL
	}
	if stale == 0 {
		stale = defaultCacheMaxStale
	}
	e.cache = newDataKeyCache(size, ttl, stale, now)
	switch {
	case opts.KEKFailureBackoff > 0:
		e.cache.maxBackoff = opts.KEKFailureBackoff
	case opts.KEKFailureBackoff < 0:
		e.cache.maxBackoff = 0
	}
	switch {
	case opts.KEKTimeout == 0:
		e.kekTimeout = defaultKEKTimeout
	case opts.KEKTimeout > 0:
		e.kekTimeout = opts.KEKTimeout
	}
	defer func() {
		if err != nil {
			e.closeKEKs()
		}
	}()
	for _, k := range opts.KEKs {
		ok, err := openKEK(ctx, op, k)
		if err != nil {
			return nil, err
		}
		if _, dup := e.keks[ok.id]; dup {
			ok.release()
			return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("duplicate KEK id %q", ok.id))
		}
		e.keks[ok.id] = ok
		if e.primary == "" {
			e.primary = ok.id
		}
	}
	if opts.Primary != "" {
		if _, ok := e.keks[opts.Primary]; !ok {
			return nil, errcode.New(errcode.Invalid, op, fmt.Sprintf("primary KEK %q is not among KEKs", opts.Primary))
		}
		e.primary = opts.Primary
	}
	return &Envelope{e}, nil
}

// begin registers a call in flight, or fails if the Envelope is closed;
// end ends it.
func (e *envelope) begin(op string) error { return e.gate.Enter(op) }

func (e *envelope) end() { e.gate.Leave() }

// Close waits for calls in flight, forgets every cached data key and closes
// the KEKs the Envelope opened from URLs. Later calls fail with code
// FailedPrecondition. Close is idempotent.
func (e *envelope) Close() error {
	if !e.gate.Close() {
		return nil
	}
	e.current.Store(nil)
	e.cache.purge("")
	return e.closeKEKs()
}

func (e *envelope) closeKEKs() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var first error
	for id, k := range e.keks {
		if err := k.release(); err != nil && first == nil {
			first = errcode.Wrap(errcode.Internal, "keeper.Close", fmt.Errorf("KEK %q: %w", id, err))
		}
		delete(e.keks, id)
	}
	return first
}

// Encrypt encrypts plaintext bound to associatedData with the current data
// key, making (and wrapping, one KEK call) a new data key first when there
// is none, or it is too old or too used, or the primary KEK changed.
func (e *envelope) Encrypt(ctx context.Context, plaintext, associatedData []byte) ([]byte, error) {
	const op = "keeper.Encrypt"
	if err := e.begin(op); err != nil {
		return nil, err
	}
	defer e.end()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dk, err := e.dataKeyForEncrypt(ctx, op)
	if err != nil {
		return nil, err
	}
	return seal(op, dk, plaintext, associatedData)
}

func seal(op string, dk *dataKey, plaintext, associatedData []byte) ([]byte, error) {
	ad := make([]byte, 0, dk.aadLen+len(associatedData))
	ad = append(append(ad, dk.header[:dk.aadLen]...), associatedData...)
	payload, err := dk.aead.Encrypt(plaintext, ad)
	if err != nil {
		// Tink's message names sizes only; keep it out anyway.
		return nil, errcode.New(errcode.Invalid, op, "AES-GCM refused the plaintext (too long?)")
	}
	out := make([]byte, 0, len(dk.header)+len(payload))
	return append(append(out, dk.header...), payload...), nil
}

// Decrypt authenticates and decrypts ciphertext bound to associatedData.
// A data key found in the cache needs no KEK call.
func (e *envelope) Decrypt(ctx context.Context, ciphertext, associatedData []byte) ([]byte, error) {
	const op = "keeper.Decrypt"
	if err := e.begin(op); err != nil {
		return nil, err
	}
	defer e.end()
	return e.decrypt(ctx, op, ciphertext, associatedData)
}

func (e *envelope) decrypt(ctx context.Context, op string, ciphertext, associatedData []byte) ([]byte, error) {
	p, err := parse(ciphertext)
	if err != nil {
		return nil, err
	}
	dk, err := e.dataKeyForDecrypt(ctx, op, p)
	if err != nil {
		return nil, err
	}
	ad := make([]byte, 0, len(p.aadPrefix)+len(associatedData))
	ad = append(append(ad, p.aadPrefix...), associatedData...)
	pt, err := dk.aead.Decrypt(p.payload, ad)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, errAuthentication)
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// Rewrap re-encrypts ciphertext under the primary KEK and the current data
// key, without returning the plaintext. A ciphertext already under the
// primary KEK in the current format is authenticated and returned as is,
// with changed == false, so a caller scanning a store calls Rewrap on
// every ciphertext and writes back only the changed ones. Rotating only
// the data key does not make old ciphertexts stale: their data keys stay
// wrapped by the primary KEK.
func (e *envelope) Rewrap(ctx context.Context, ciphertext, associatedData []byte) ([]byte, bool, error) {
	const op = "keeper.Rewrap"
	if err := e.begin(op); err != nil {
		return nil, false, err
	}
	defer e.end()
	pt, err := e.decrypt(ctx, op, ciphertext, associatedData)
	if err != nil {
		return nil, false, err
	}
	defer clear(pt)
	if h, _ := ParseHeader(ciphertext); !e.needsRewrap(h) {
		return ciphertext, false, nil
	}
	dk, err := e.dataKeyForEncrypt(ctx, op)
	if err != nil {
		return nil, false, err
	}
	out, err := seal(op, dk, pt, associatedData)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

func (e *envelope) needsRewrap(h Header) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return h.Version != formatVersion || h.KEKID != e.primary
}

// dataKeyForEncrypt returns the current data key, counting one use, after
// rotating it if needed.
func (e *envelope) dataKeyForEncrypt(ctx context.Context, op string) (*dataKey, error) {
	primary := e.primaryID()
	if cur := e.current.Load(); cur != nil && cur.dk.kekID == primary && e.fresh(cur) {
		if cur.uses.Add(1) <= e.maxUses {
			return cur.dk, nil
		}
	}
	return e.rotate(ctx, op, false)
}

func (e *envelope) fresh(cur *currentKey) bool {
	return e.maxAge < 0 || e.now().Sub(cur.dk.created) < e.maxAge
}

// rotate makes a new current data key unless another caller just did (or
// force is set), and returns the current key with one use counted.
func (e *envelope) rotate(ctx context.Context, op string, force bool) (*dataKey, error) {
	e.rotateMu.Lock()
	defer e.rotateMu.Unlock()
	primary := e.primaryID()
	cur := e.current.Load()
	usable := cur != nil && cur.dk.kekID == primary
	if usable && !force && e.fresh(cur) && cur.uses.Add(1) <= e.maxUses {
		return cur.dk, nil
	}
	dk, err := e.newDataKey(ctx, op, primary)
	if err != nil {
		// Outage: an expired key may keep encrypting within its use limit.
		if usable && !force && isUnavailable(err) && cur.uses.Add(1) <= e.maxUses {
			return cur.dk, nil
		}
		return nil, err
	}
	next := &currentKey{dk: dk}
	next.uses.Store(1)
	e.current.Store(next)
	return dk, nil
}

// rotateDataKey makes a new data key now (one KEK call); values encrypted
// from now on use it. Old data keys keep decrypting.
func (e *envelope) rotateDataKey(ctx context.Context) error {
	const op = "keeper.RotateDataKey"
	if err := e.begin(op); err != nil {
		return err
	}
	defer e.end()
	_, err := e.rotate(ctx, op, true)
	if err == nil {
		// The forced key counted a use it did not make.
		if cur := e.current.Load(); cur != nil {
			cur.uses.Add(^uint64(0))
		}
	}
	return err
}

func (e *envelope) kek(id string) (*openedKEK, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	k, ok := e.keks[id]
	return k, ok
}

// newDataKey makes a random data key and wraps it with KEK kekID.
func (e *envelope) newDataKey(ctx context.Context, op, kekID string) (*dataKey, error) {
	k, ok := e.kek(kekID)
	if !ok {
		return nil, errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("primary KEK %q is not open", kekID))
	}
	var id [dataKeyIDLen]byte
	key := make([]byte, dataKeyLen)
	if _, err := rand.Read(id[:]); err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	if _, err := rand.Read(key); err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	rec := marshalRecord(id, key)
	defer clear(rec)
	defer clear(key)
	e.wraps.Add(1)
	start := time.Now()
	cctx, cancel := e.kekContext(ctx)
	wrapped, err := k.wrapper.Wrap(cctx, rec)
	if err != nil {
		err = e.kekError(ctx, cctx, op, k, false, err)
	}
	cancel()
	e.metrics.kekCall(ctx, "wrap", start, err)
	if err != nil {
		return nil, err
	}
	if len(wrapped) == 0 || len(wrapped) > maxWrappedKeyLen {
		return nil, errcode.New(errcode.Internal, op, fmt.Sprintf("KEK %q returned a wrapped key of %d bytes, want 1 to %d", kekID, len(wrapped), maxWrappedKeyLen))
	}
	a, err := newAEAD(key)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	now := e.now()
	dk := &dataKey{id: id, kekID: kekID, aead: a, created: now}
	dk.header, dk.aadLen = appendHeader(nil, kekID, id, wrapped)
	e.dataKeys.Add(1)
	// Values encrypted with this key decrypt warm in this process.
	e.cache.put(string(dk.header), dk, now)
	return dk, nil
}

// kekContext returns the context of one KEK call: ctx bounded by
// KEKTimeout.
func (e *envelope) kekContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.kekTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, e.kekTimeout)
}

// kekError classifies the error of a KEK call made with cctx, derived from
// the caller's ctx: a call cut by KEKTimeout is unavailable, whatever the
// wrapper made of its context's end.
func (e *envelope) kekError(ctx, cctx context.Context, op string, k *openedKEK, unwrap bool, err error) error {
	if ctx.Err() == nil && cctx.Err() != nil {
		what := "wrap data key"
		if unwrap {
			what = "unwrap data key"
		}
		return errcode.New(errcode.Unavailable, op, fmt.Sprintf("KEK %q: %s: no answer within %v (KEKTimeout)", k.id, what, e.kekTimeout))
	}
	return kekError(ctx, op, k, unwrap, err)
}

// dataKeyForDecrypt finds the data key of p in the cache or unwraps it.
func (e *envelope) dataKeyForDecrypt(ctx context.Context, op string, p *parsed) (*dataKey, error) {
	dk, state := e.cache.get(p.cacheKey, e.now())
	if state == cacheFresh {
		e.hits.Add(1)
		e.metrics.lookup(ctx, e.metrics.hit)
		return dk, nil
	}
	e.misses.Add(1)
	if err := ctx.Err(); err != nil {
		e.metrics.lookup(ctx, e.metrics.miss)
		return nil, err
	}
	fetched, err := e.cache.load(ctx, p.cacheKey, func(ctx context.Context) (*dataKey, error) {
		return e.unwrap(ctx, op, p)
	})
	if err != nil {
		if state == cacheStale && isUnavailable(err) {
			e.stale.Add(1)
			e.metrics.lookup(ctx, e.metrics.stale)
			return dk, nil
		}
		e.metrics.lookup(ctx, e.metrics.miss)
		return nil, err
	}
	e.metrics.lookup(ctx, e.metrics.miss)
	return fetched, nil
}

// unwrap asks the KEK the header names for the data key and caches it.
func (e *envelope) unwrap(ctx context.Context, op string, p *parsed) (*dataKey, error) {
	k, ok := e.kek(p.kekID)
	if !ok {
		return nil, fmt.Errorf("%s: KEK %q is not held by this keeper: %w", op, p.kekID, ErrUnknownKEK)
	}
	e.unwraps.Add(1)
	start := time.Now()
	cctx, cancel := e.kekContext(ctx)
	rec, err := k.wrapper.Unwrap(cctx, p.wrapped)
	if err != nil {
		err = e.kekError(ctx, cctx, op, k, true, err)
	}
	cancel()
	if err != nil {
		e.metrics.kekCall(ctx, "unwrap", start, err)
		return nil, err
	}
	defer clear(rec)
	key, ok := parseRecord(rec, p.dataKeyID)
	if !ok {
		err := fmt.Errorf("%s: KEK %q unwrapped a data key that does not match the header: %w", op, p.kekID, errAuthentication)
		e.metrics.kekCall(ctx, "unwrap", start, err)
		return nil, err
	}
	e.metrics.kekCall(ctx, "unwrap", start, nil)
	a, err := newAEAD(key)
	if err != nil {
		return nil, errcode.Wrap(errcode.Internal, op, err)
	}
	now := e.now()
	dk := &dataKey{id: p.dataKeyID, kekID: p.kekID, aead: a, created: now}
	// Re-encode rather than alias the caller's ciphertext.
	dk.header, dk.aadLen = appendHeader(nil, p.kekID, p.dataKeyID, p.wrapped)
	// A concurrent RemoveKEK may have run since the lookup: cache keys only
	// of KEKs still held. RemoveKEK purges after deleting under e.mu, so
	// holding the read lock across the put leaves no stale entry behind.
	e.mu.RLock()
	if _, still := e.keks[p.kekID]; still {
		e.cache.put(string(dk.header), dk, now)
	}
	e.mu.RUnlock()
	return dk, nil
}

func newAEAD(key []byte) (tink.AEAD, error) {
	params, err := aesgcm.NewParameters(aesgcm.ParametersOpts{
		KeySizeInBytes: dataKeyLen, IVSizeInBytes: gcmNonceLen, TagSizeInBytes: gcmTagLen,
		Variant: aesgcm.VariantNoPrefix,
	})
	if err != nil {
		return nil, err
	}
	k, err := aesgcm.NewKey(secretdata.NewBytesFromData(key, insecuresecretdataaccess.Token{}), 0, params)
	if err != nil {
		return nil, err
	}
	return aesgcm.NewAEAD(k)
}

// primaryID returns the id of the primary KEK.
func (e *envelope) primaryID() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.primary
}

// KEKIDs returns the id of the primary KEK, which wraps new data keys,
// and the ids of every KEK held, sorted.
func (e *envelope) KEKIDs() (primary string, all []string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	all = make([]string, 0, len(e.keks))
	for id := range e.keks {
		all = append(all, id)
	}
	slices.Sort(all)
	return e.primary, all
}

// stats returns counters of the Envelope's work.
func (e *envelope) stats() stats {
	return stats{
		Wraps: e.wraps.Load(), Unwraps: e.unwraps.Load(),
		CacheHits: e.hits.Load(), CacheMisses: e.misses.Load(), StaleHits: e.stale.Load(),
		DataKeys: e.dataKeys.Load(), CachedDataKeys: e.cache.len(),
	}
}
