package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/storage"
)

// Record kinds of the shared key configuration.
const (
	kindKeyConfig = "keeper.config"
	kindInstance  = "keeper.instance"
	configKey     = "keks"
)

// Defaults of KeysOptions.
const (
	defaultHeartbeat   = 5 * time.Second
	defaultRemoveGrace = time.Minute
)

// KeysOptions configures Keys; every zero value has a default.
type KeysOptions struct {
	// Instance names this process in the heartbeat records; "" means a
	// random id. Ids are not secret.
	Instance string
	// Heartbeat is how often the instance records which KEKs it holds and
	// which is its primary, and rereads the configuration even without
	// news of a change; 0 means 5 seconds. An instance whose heartbeat is
	// three intervals old counts as gone.
	Heartbeat time.Duration
	// RemoveGrace is how long every live instance must have used another
	// primary before RemoveKEK removes a key, so that writes begun under
	// the old primary have finished; 0 means one minute. Keep it above the
	// longest request (httpapi.Options.RequestTimeout).
	RemoveGrace time.Duration
	// Logger receives what the instance cannot apply (a KEK of the
	// configuration it does not hold); nil discards it.
	Logger *slog.Logger
}

// keyConfig is the shared configuration's JSON.
type keyConfig struct {
	Primary string      `json:"primary"`
	KEKs    []configKEK `json:"keks"`
}

type configKEK struct {
	ID string `json:"id"`
	// URL is the KEK's URL when it is not key material (cloud KMS URLs);
	// empty for local keys, which every instance is given by its own
	// configuration.
	URL     string `json:"url,omitempty"`
	Retired bool   `json:"retired,omitempty"`
}

// heartbeat is an instance record's JSON.
type heartbeat struct {
	Primary      string    `json:"primary"`
	PrimarySince time.Time `json:"primarySince"`
	Held         []string  `json:"held"`
}

// Keys shares an Envelope's key configuration through the store: the list
// of KEKs (ids, cloud URLs, which is primary, which are retired) lives in
// a record every instance follows, learning of a change at once on
// PostgreSQL (LISTEN/NOTIFY) and within a second elsewhere, and each
// instance records which KEKs it holds and which primary it uses. Rotate
// through Keys, never through the Envelope's own methods, on a fleet: see
// the package doc's # Rotation.
type Keys struct {
	st    *storage.Store
	env   *keeper.Envelope
	id    string
	every time.Duration
	grace time.Duration
	log   *slog.Logger

	mu    sync.Mutex // one sync or change at a time
	since time.Time  // when this instance's primary last changed

	cancel context.CancelFunc
	done   chan struct{}
}

// OpenKeys joins env to the key configuration shared through st: it
// creates the configuration from env's KEKs if there is none, applies it
// (opening the cloud KEKs it lists, making its primary env's primary),
// records this instance, and follows changes until Close. Open it before
// the instance serves, so it never writes under a key the fleet retired.
func OpenKeys(ctx context.Context, st *storage.Store, env *keeper.Envelope, opts KeysOptions) (*Keys, error) {
	k := &Keys{st: st, env: env, id: opts.Instance, every: opts.Heartbeat, grace: opts.RemoveGrace, log: opts.Logger,
		done: make(chan struct{})}
	if k.id == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		k.id = "instance-" + hex.EncodeToString(b[:])
	}
	if k.every <= 0 {
		k.every = defaultHeartbeat
	}
	if k.grace <= 0 {
		k.grace = defaultRemoveGrace
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if _, err := st.GetRecord(ctx, kindKeyConfig, configKey); errcode.Of(err) == errcode.NotFound {
		primary, all := env.KEKIDs()
		cfg := keyConfig{Primary: primary}
		for _, id := range all {
			cfg.KEKs = append(cfg.KEKs, configKEK{ID: id})
		}
		if _, err := k.put(ctx, &cfg, 0); err != nil && errcode.Of(err) != errcode.AlreadyExists {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	cfg, _, err := k.get(ctx)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.applyLocked(ctx, cfg)
	// Nothing of this instance is in flight yet, under any key: its
	// heartbeat must not hold up a RemoveKEK (the zero PrimarySince).
	k.since = time.Time{}
	err = k.beatLocked(ctx)
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if primary, _ := env.KEKIDs(); primary != cfg.Primary {
		// Serving would write under a key the other instances may lack,
		// and leave this one unable to read what they write.
		k.removeBeat()
		return nil, errcode.New(errcode.FailedPrecondition, "fleet.OpenKeys",
			fmt.Sprintf("this instance does not hold KEK %q, the fleet's primary: give it in the instance's configuration", cfg.Primary))
	}
	bg, cancel := context.WithCancel(context.Background())
	k.cancel = cancel
	go k.follow(bg)
	return k, nil
}

// Close stops following the configuration and removes this instance's
// heartbeat record. It does not close the store or the Envelope.
func (k *Keys) Close() error {
	k.cancel()
	<-k.done
	k.removeBeat()
	return nil
}

func (k *Keys) removeBeat() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r, err := k.st.GetRecord(ctx, kindInstance, k.id); err == nil {
		_ = k.st.DeleteRecord(ctx, kindInstance, k.id, r.Revision)
	}
}

func (k *Keys) follow(ctx context.Context) {
	defer close(k.done)
	for {
		seq, err := k.st.WaitRecordChange(ctx, kindKeyConfig, -1)
		if err == nil {
			wctx, cancel := context.WithTimeout(ctx, k.every)
			_, err = k.st.WaitRecordChange(wctx, kindKeyConfig, seq)
			if wctx.Err() != nil {
				err = nil // the heartbeat interval passed: sync anyway
			}
			cancel()
		}
		if err != nil {
			// The store cannot wait now (closed, unreachable): do not
			// spin, retry at the heartbeat.
			select {
			case <-ctx.Done():
			case <-time.After(k.every):
			}
		}
		if ctx.Err() != nil {
			return
		}
		sctx, cancel := context.WithTimeout(ctx, k.every)
		if err := k.Sync(sctx); err != nil && ctx.Err() == nil {
			k.log.LogAttrs(ctx, slog.LevelWarn, "strongbox key configuration sync failed", slog.String("error", err.Error()))
		}
		cancel()
	}
}

func (k *Keys) get(ctx context.Context) (*keyConfig, int64, error) {
	r, err := k.st.GetRecord(ctx, kindKeyConfig, configKey)
	if err != nil {
		return nil, 0, err
	}
	var cfg keyConfig
	if err := json.Unmarshal(r.Data, &cfg); err != nil {
		return nil, 0, errcode.New(errcode.Internal, "fleet.Keys", "the shared key configuration does not decode")
	}
	return &cfg, r.Revision, nil
}

func (k *Keys) put(ctx context.Context, cfg *keyConfig, rev int64) (int64, error) {
	data, err := json.Marshal(cfg)
	if err != nil {
		return 0, errcode.Wrap(errcode.Internal, "fleet.Keys", err)
	}
	out, err := k.st.PutRecord(ctx, &storage.Record{Kind: kindKeyConfig, Key: configKey, Data: data, Revision: rev})
	if err != nil {
		return 0, err
	}
	return out.Revision, nil
}

// Sync applies the shared configuration now and records this instance's
// heartbeat; Keys does it on every change and every Heartbeat anyway.
func (k *Keys) Sync(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	cfg, _, err := k.get(ctx)
	if err != nil {
		return err
	}
	k.applyLocked(ctx, cfg)
	return k.beatLocked(ctx)
}

func (k *Keys) applyLocked(ctx context.Context, cfg *keyConfig) {
	_, all := k.env.KEKIDs()
	for _, c := range cfg.KEKs {
		held := slices.Contains(all, c.ID)
		switch {
		case !c.Retired && !held && c.URL != "":
			if err := k.env.AddKEK(ctx, keeper.KEK{ID: c.ID, URL: c.URL}); err != nil && errcode.Of(err) != errcode.AlreadyExists {
				k.log.LogAttrs(ctx, slog.LevelError, "strongbox cannot open a KEK of the shared configuration",
					slog.String("kek", c.ID), slog.String("error", err.Error()))
			}
		case !c.Retired && !held:
			k.log.LogAttrs(ctx, slog.LevelError, "strongbox instance lacks a local KEK of the shared configuration: give it with the instance's configuration",
				slog.String("kek", c.ID))
		}
	}
	// Switch the primary before dropping retired keys: an instance
	// configured with a retired key first (its old primary) can drop it
	// only once it is not its primary any more.
	if primary, _ := k.env.KEKIDs(); primary != cfg.Primary {
		if err := k.env.SetPrimary(cfg.Primary); err != nil {
			k.log.LogAttrs(ctx, slog.LevelError, "strongbox instance cannot use the shared primary KEK: it does not hold it",
				slog.String("kek", cfg.Primary), slog.String("error", err.Error()))
		} else {
			k.since = time.Now()
		}
	}
	primary, all := k.env.KEKIDs()
	for _, c := range cfg.KEKs {
		if c.Retired && c.ID != primary && slices.Contains(all, c.ID) {
			// The fleet-wide checks ran in RemoveKEK.
			if err := k.env.RemoveKEK(ctx, c.ID, keeper.RemoveOptions{Force: true}); err != nil && errcode.Of(err) != errcode.NotFound {
				k.log.LogAttrs(ctx, slog.LevelWarn, "strongbox cannot remove a retired KEK", slog.String("kek", c.ID), slog.String("error", err.Error()))
			}
		}
	}
}

func (k *Keys) beatLocked(ctx context.Context) error {
	primary, all := k.env.KEKIDs()
	data, _ := json.Marshal(heartbeat{Primary: primary, PrimarySince: k.since.UTC(), Held: all})
	exp := time.Now().Add(3 * k.every)
	r, err := k.st.GetRecord(ctx, kindInstance, k.id)
	rev := int64(0)
	switch {
	case err == nil:
		rev = r.Revision
	case errcode.Of(err) != errcode.NotFound:
		return err
	}
	_, err = k.st.PutRecord(ctx, &storage.Record{Kind: kindInstance, Key: k.id, Data: data, Revision: rev, ExpireTime: exp})
	if c := errcode.Of(err); c == errcode.Conflict || c == errcode.AlreadyExists {
		return nil // a concurrent beat of this instance won
	}
	return err
}

// instances returns the heartbeats of the live instances.
func (k *Keys) instances(ctx context.Context) (map[string]heartbeat, error) {
	out := map[string]heartbeat{}
	token := ""
	for {
		page, next, err := k.st.ListRecords(ctx, kindInstance, storage.MaxPageSize, token)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			var hb heartbeat
			if json.Unmarshal(r.Data, &hb) == nil {
				out[r.Key] = hb
			}
		}
		if next == "" {
			return out, nil
		}
		token = next
	}
}

// change applies fn to the configuration by compare-and-swap and then
// syncs this instance.
func (k *Keys) change(ctx context.Context, fn func(*keyConfig) error) error {
	for {
		cfg, rev, err := k.get(ctx)
		if err != nil {
			return err
		}
		if err := fn(cfg); err != nil {
			return err
		}
		if _, err := k.put(ctx, cfg, rev); errcode.Of(err) == errcode.Conflict {
			continue
		} else if err != nil {
			return err
		}
		k.mu.Lock()
		k.applyLocked(ctx, cfg)
		err = k.beatLocked(ctx)
		k.mu.Unlock()
		return err
	}
}

func isLocalURL(u string) bool { return strings.HasPrefix(strings.ToLower(u), "base64key:") }

// AddKEK adds kek to this instance and to the shared configuration. A
// cloud KEK's URL is stored, so every instance opens it; a local key
// (base64key://) never enters the store: only its id does, and every
// other instance must be given the key by its own configuration (it logs
// the id until it is). The key does not become primary: see SetPrimary.
func (k *Keys) AddKEK(ctx context.Context, kek keeper.KEK) error {
	id := kek.ID
	if id == "" && kek.URL != "" {
		id = keeper.DefaultKEKID(kek.URL)
	}
	cfg, _, err := k.get(ctx)
	if err != nil {
		return err
	}
	for _, c := range cfg.KEKs {
		if c.ID == id && c.Retired {
			return errcode.New(errcode.FailedPrecondition, "fleet.AddKEK", fmt.Sprintf("KEK %q was retired; give a new key a new id", id))
		}
	}
	if err := k.env.AddKEK(ctx, kek); err != nil && errcode.Of(err) != errcode.AlreadyExists {
		return err
	}
	stored := ""
	if kek.Wrapper == nil && !isLocalURL(kek.URL) {
		stored = kek.URL
	}
	return k.change(ctx, func(cfg *keyConfig) error {
		for i, c := range cfg.KEKs {
			if c.ID == id {
				if c.Retired {
					return errcode.New(errcode.FailedPrecondition, "fleet.AddKEK", fmt.Sprintf("KEK %q was retired; give a new key a new id", id))
				}
				cfg.KEKs[i].URL = stored
				return nil
			}
		}
		cfg.KEKs = append(cfg.KEKs, configKEK{ID: id, URL: stored})
		return nil
	})
}

// SetPrimary makes KEK id the primary of every instance. It is refused
// with secrets.ErrFailedPrecondition, naming the instance, while any live
// instance does not hold the key: its primary would write data that
// instance cannot read.
func (k *Keys) SetPrimary(ctx context.Context, id string) error {
	const op = "fleet.SetPrimary"
	if err := k.Sync(ctx); err != nil {
		return err
	}
	insts, err := k.instances(ctx)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(insts)) {
		if !slices.Contains(insts[name].Held, id) {
			return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("instance %q does not hold KEK %q yet; give it the key first", name, id))
		}
	}
	return k.change(ctx, func(cfg *keyConfig) error {
		for _, c := range cfg.KEKs {
			if c.ID == id && !c.Retired {
				cfg.Primary = id
				return nil
			}
		}
		return errcode.New(errcode.NotFound, op, fmt.Sprintf("KEK %q is not in the shared configuration; AddKEK it first", id))
	})
}

// RemoveKEK retires KEK id in the whole fleet. It is refused with
// secrets.ErrFailedPrecondition while id is the shared primary, while any
// live instance still writes under it or switched away less than
// RemoveGrace ago, or while inUse reports that stored data still names it
// (pass Manager.KEKInUse(), with a principal in ctx that may read every
// namespace; run Manager.Rewrap first). inUse is required. Every instance
// then drops the key.
func (k *Keys) RemoveKEK(ctx context.Context, id string, inUse func(ctx context.Context, kekID string) (bool, error)) error {
	const op = "fleet.RemoveKEK"
	if inUse == nil {
		return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("cannot tell whether KEK %q still protects data: pass Manager.KEKInUse()", id))
	}
	if err := k.Sync(ctx); err != nil {
		return err
	}
	cfg, _, err := k.get(ctx)
	if err != nil {
		return err
	}
	if cfg.Primary == id {
		return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("KEK %q is the shared primary; SetPrimary another key first", id))
	}
	insts, err := k.instances(ctx)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(insts)) {
		hb := insts[name]
		if hb.Primary == id {
			return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("instance %q still writes under KEK %q", name, id))
		}
		if time.Since(hb.PrimarySince) < k.grace {
			return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("instance %q changed its primary less than %v ago; writes begun under KEK %q may still be in flight", name, k.grace, id))
		}
	}
	// The run-token signing keys are ciphertexts too, outside the secrets
	// KEKInUse counts: move them to the primary here, so that no instance
	// fails to read its signing key after the removal.
	if err := k.rewrapRunTokenKeys(ctx, id); err != nil {
		return err
	}
	used, err := inUse(ctx, id)
	if err != nil {
		return err
	}
	if used {
		return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("KEK %q still protects stored data; run Manager.Rewrap in every namespace first", id))
	}
	return k.change(ctx, func(cfg *keyConfig) error {
		if cfg.Primary == id {
			return errcode.New(errcode.FailedPrecondition, op, fmt.Sprintf("KEK %q became the shared primary meanwhile", id))
		}
		for i, c := range cfg.KEKs {
			if c.ID == id {
				cfg.KEKs[i].Retired, cfg.KEKs[i].URL = true, ""
				return nil
			}
		}
		return errcode.New(errcode.NotFound, op, fmt.Sprintf("KEK %q is not in the shared configuration", id))
	})
}

// rewrapRunTokenKeys re-encrypts under this instance's primary (the shared
// one: RemoveKEK synced) every run-token key record stored under KEK id.
func (k *Keys) rewrapRunTokenKeys(ctx context.Context, id string) error {
	token := ""
	for {
		page, next, err := k.st.ListRecords(ctx, kindRunTokenKey, storage.MaxPageSize, token)
		if err != nil {
			return err
		}
		for _, r := range page {
			for {
				if h, err := keeper.ParseHeader(r.Data); err != nil || h.KEKID != id {
					break
				}
				out, changed, err := k.env.Rewrap(ctx, r.Data, runTokenKeyAD(r.Key))
				if err != nil {
					return errcode.Wrap(errcode.Of(err), "fleet.RemoveKEK", fmt.Errorf("the run-token key %q under KEK %q cannot be moved to the primary: %w", r.Key, id, err))
				}
				if !changed {
					break
				}
				r.Data = out
				_, err = k.st.PutRecord(ctx, r)
				if errcode.Of(err) != errcode.Conflict {
					if err != nil {
						return err
					}
					break
				}
				// Changed meanwhile: reread and look again.
				if r, err = k.st.GetRecord(ctx, kindRunTokenKey, r.Key); err != nil {
					if errcode.Of(err) == errcode.NotFound {
						break
					}
					return err
				}
			}
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// KEKStatus is one key of the shared configuration, as Status reports it.
type KEKStatus struct {
	ID      string
	Primary bool
	// Retired keys were removed by RemoveKEK; their ids cannot come back.
	Retired bool
	// Cloud says the configuration holds the key's URL, which every
	// instance opens by itself; a local key is given to each instance by
	// its own configuration.
	Cloud bool
	// Lacking names the live instances, this one excepted, that do not
	// hold the key (for a retired key: those that still do).
	Lacking []string
}

// Status returns the shared key configuration in its order, with the live
// instances (this one excepted) that lack each key, and the names of those
// instances, sorted. It reads the store; it changes nothing.
func (k *Keys) Status(ctx context.Context) ([]KEKStatus, []string, error) {
	cfg, _, err := k.get(ctx)
	if err != nil {
		return nil, nil, err
	}
	insts, err := k.instances(ctx)
	if err != nil {
		return nil, nil, err
	}
	delete(insts, k.id)
	names := slices.Sorted(maps.Keys(insts))
	out := make([]KEKStatus, 0, len(cfg.KEKs))
	for _, c := range cfg.KEKs {
		s := KEKStatus{ID: c.ID, Primary: c.ID == cfg.Primary, Retired: c.Retired, Cloud: c.URL != ""}
		for _, name := range names {
			if slices.Contains(insts[name].Held, c.ID) == c.Retired {
				s.Lacking = append(s.Lacking, name)
			}
		}
		out = append(out, s)
	}
	return out, names, nil
}
