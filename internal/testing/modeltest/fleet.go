package modeltest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/fleet"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage"
)

// instance is one process of a sequence: a Manager over its own view of
// the shared store, with its own keeper (and so its own data-key cache),
// its own key-encryption-key clients holding the same keys as every other
// instance, and its own Injector, so that a fault or crash hits one
// process and leaves the others running. With more than one instance,
// keys rotate through each instance's fleet.Keys and run tokens are
// revoked through fleet.RunTokenRevocations: the shared state of a fleet.
type instance struct {
	name   string
	in     *fault.Injector
	env    *keeper.Envelope
	m      *secrets.Manager
	api    API
	keys   *fleet.Keys // nil with one instance: keys rotate through env
	issuer *runtoken.Issuer
	keks   map[string]*fault.KEK // this process's client of each KEK, by id
}

// Record kinds of the shared key configuration (secrets/fleet's doc,
// # Rotation).
const (
	kindKeyConfig   = "keeper.config"
	kindKeyInstance = "keeper.instance"
)

// drawManagers draws how many Managers run a sequence: two or three in
// about two sequences of three. More would check the fleet more, but a
// sequence by several Managers costs some 40% more than one by a single
// Manager. rapid's IntRange is not uniform (over 1000 draws of 0..4 it
// gave 201, 247, 164, 204, 184), so the single Manager takes the two
// rarest values: about 650 of 1000 sequences (standard deviation 15) have
// several, well above the half Run asserts.
func drawManagers(t *rapid.T) int {
	return []int{2, 2, 1, 3, 1}[rapid.IntRange(0, 4).Draw(t, "managers")]
}

// drawInstance picks the instance the next call goes through (no draw
// with one).
func (s *state) drawInstance() int {
	if len(s.insts) == 1 {
		return 0
	}
	return rapid.IntRange(0, len(s.insts)-1).Draw(s.t, "instance")
}

// use makes insts[i] the instance the actions call.
func (s *state) use(i int) {
	s.cur = i
	inst := s.insts[i]
	s.m, s.api, s.in, s.env = inst.m, inst.api, inst.in, inst.env
}

// calls counts the store, keeper and KEK calls of every instance.
func (s *state) calls() int {
	n := 0
	for _, inst := range s.insts {
		n += inst.in.Calls("")
	}
	return n
}

// setLatency slows every instance's store and key calls.
func (s *state) setLatency(d time.Duration) {
	for _, inst := range s.insts {
		inst.in.SetLatency(d)
	}
}

// resetFleet removes the key configuration and heartbeats a former
// sequence left in the store: sequences share the store, one at a time,
// and each starts a fleet of its own.
func (s *state) resetFleet() {
	ctx := background()
	if r, err := s.h.store.GetRecord(ctx, kindKeyConfig, "keks"); err == nil {
		if err := s.h.store.DeleteRecord(ctx, kindKeyConfig, "keks", r.Revision); err != nil {
			s.fatalf("deleting the former key configuration: %v", err)
		}
	} else if codeOf(err) != errcode.NotFound {
		s.fatalf("reading the key configuration: %v", err)
	}
	recs, _, err := s.h.store.ListRecords(ctx, kindKeyInstance, storage.MaxPageSize, "")
	if err != nil {
		s.fatalf("listing heartbeats: %v", err)
	}
	for _, r := range recs {
		_ = s.h.store.DeleteRecord(ctx, r.Kind, r.Key, r.Revision)
	}
}

// newInstance starts instance i of the sequence.
func (s *state) newInstance(i int) *instance {
	t, h := s.t, s.h
	inst := &instance{name: "model-" + string(rune('a'+i)), in: &fault.Injector{}, keks: map[string]*fault.KEK{}}
	// A hang in a call whose context has no short deadline (the Manager's
	// cleanup after a write) gives up quickly instead of stalling.
	inst.in.SetMaxHang(100 * time.Millisecond)
	st := h.store
	if h.instanceStore != nil {
		st = h.instanceStore(st)
	}
	// One injector for the store, the keeper and the KEK: one process,
	// whose crash stops all three.
	fstore := fault.NewStoreIn(st, inst.in).Store
	var kek *fault.KEK
	if i == 0 {
		k, _, err := fault.NewKEK(inst.in)
		if err != nil {
			t.Fatal(err)
		}
		kek = k
	} else {
		kek = s.insts[0].keks[s.firstKEK].Share(inst.in)
	}
	inst.keks[s.firstKEK] = kek
	// The model's faults fail single calls: no negative cache, which
	// would make one failure fail the next calls too (keeper's own tests
	// cover it).
	opts := keeper.EnvelopeOptions{KEKs: []keeper.KEK{{ID: s.firstKEK, Wrapper: kek}}, KEKFailureBackoff: -1}
	if rapid.Bool().Draw(t, "uncachedKEK") {
		// Every Encrypt makes (wraps) a data key and every Decrypt unwraps
		// one, so key service faults hit every value operation.
		opts.DataKeyMaxUses = 1
		opts.CacheTTL = time.Nanosecond
		opts.CacheMaxStale = -1
	}
	env, err := keeper.OpenEnvelope(background(), "", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close(); kek.Close() })
	inst.env = env
	m, err := secrets.New(secrets.Options{
		KeepVersions:      s.keep,
		Store:             fstore,
		Keeper:            &fault.Keeper{Keeper: env, In: inst.in},
		Auditor:           leakcheck.Auditor(s.audit),
		DefaultDecrypters: []string{defaultDecrypter},
		Clock:             s.clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	inst.m, inst.api = m, m
	if h.opts.API != nil {
		inst.api = h.opts.API(t, m)
	}
	return inst
}

// fleetTurn decides whether a key rotation step of a fleet happens (else
// the step rewraps, the operator's step between them): one time in 32,
// since every change of the shared configuration is several record writes
// by every instance, each a commit (on SQLite and PostgreSQL an fsync,
// some 3 to 5 ms on a loaded 2-core machine): a whole rotation with its
// Rewrap is some 100 ms on SQLite and 150 ms on PostgreSQL, against some
// 11 and 25 ms for a whole single-Manager sequence. A thousand sequences
// still make a few dozen promotions and removals through fleet.Keys on
// every backend, and Run fails if they make none.
func (s *state) fleetTurn() bool { return rapid.IntRange(0, 31).Draw(s.t, "fleetKeys") == 0 }

// startFleet opens every instance's fleet.Keys, at the sequence's first
// rotation: until then every instance holds the one key of its own
// configuration, which is what the shared configuration starts from, so
// the sequences that rotate no key do not pay for following it.
func (s *state) startFleet() {
	if s.insts[0].keys != nil {
		return
	}
	s.resetFleet()
	for _, inst := range s.insts {
		// Shared state goes through the store itself, not this process's
		// faulted view: the model's faults hit Manager calls. The
		// heartbeat is long so that nothing but the changes the sequence
		// makes moves a key, and the grace short so that a removal the
		// model expects is not refused for the time it took.
		keys, err := fleet.OpenKeys(background(), s.h.store, inst.env, fleet.KeysOptions{Instance: inst.name, Heartbeat: time.Hour, RemoveGrace: time.Nanosecond})
		if err != nil {
			s.fatalf("OpenKeys for %s: %v", inst.name, err)
		}
		s.t.Cleanup(func() { keys.Close() })
		inst.keys = keys
	}
}

// startIssuers gives every instance a run-token issuer, at the sequence's
// first RevokeRunToken: each signs with the key the first one made and
// stored (fleet.RunTokenKey) and consults the revocations in the store.
func (s *state) startIssuers() {
	if s.insts[0].issuer != nil {
		return
	}
	for _, inst := range s.insts {
		key, err := fleet.RunTokenKey(background(), s.h.store, inst.env, s.nsA)
		if err != nil {
			s.fatalf("RunTokenKey for %s: %v", inst.name, err)
		}
		inst.issuer, err = runtoken.NewIssuer(runtoken.IssuerOptions{Key: key, Revocations: fleet.RunTokenRevocations(s.h.store)})
		if err != nil {
			s.fatalf("NewIssuer for %s: %v", inst.name, err)
		}
	}
}

// syncAll has every instance but synced (which applied its own change)
// apply the shared key configuration now, as each does by itself within a
// second, and checks that each holds the sequence's keys with the model's
// primary.
func (s *state) syncAll(where string, synced *instance) {
	s.t.Helper()
	for _, inst := range s.insts {
		if inst != synced {
			if err := inst.keys.Sync(background()); err != nil {
				s.fatalf("%s: Sync of %s: %v", where, inst.name, err)
			}
		}
		primary, all := inst.env.KEKIDs()
		if primary != s.keks[len(s.keks)-1] || !slices.Equal(slices.Sorted(slices.Values(all)), slices.Sorted(slices.Values(s.keks))) {
			s.fatalf("%s: %s holds %v with primary %s; want %v, the last primary", where, inst.name, all, primary, s.keks)
		}
	}
}

// fleetRotateKEK is the first half of the operator's sequence of
// secrets/fleet's # Rotation: every instance is given a new local key by
// its own configuration (AddKEK through its Keys), then SetPrimary through
// any one makes it every instance's primary. Sometimes one instance is
// given the key late: until it is, SetPrimary must be refused, naming it,
// since that instance could not read what the others would write.
func fleetRotateKEK(s *state) {
	s.startFleet()
	id := fmt.Sprintf("model-kek-%d", s.h.steps.Load())
	base, _, err := fault.NewKEK(s.insts[0].in)
	if err != nil {
		s.fatalf("NewKEK: %v", err)
	}
	ctx := background()
	give := func(inst *instance) {
		kek := base
		if inst != s.insts[0] {
			kek = base.Share(inst.in)
		}
		if err := inst.keys.AddKEK(ctx, keeper.KEK{ID: id, Wrapper: kek}); err != nil {
			s.fatalf("AddKEK(%s) through %s: %v", id, inst.name, err)
		}
		inst.keks[id] = kek
	}
	late := -1
	if rapid.IntRange(0, 2).Draw(s.t, "kekLate") == 0 {
		late = s.drawInstance()
	}
	for i, inst := range s.insts {
		if i != late {
			give(inst)
		}
	}
	via := s.insts[s.drawInstance()]
	if late >= 0 {
		err := via.keys.SetPrimary(ctx, id)
		s.t.Logf("SetPrimary(%s) through %s while %s lacks it: %v", id, via.name, s.insts[late].name, err)
		s.checkTyped("SetPrimary", err)
		if codeOf(err) != errcode.FailedPrecondition || !strings.Contains(err.Error(), strconv.Quote(s.insts[late].name)) {
			s.fatalf("SetPrimary(%s) through %s while %s lacks the key: %v; want a failed precondition naming %s",
				id, via.name, s.insts[late].name, err, s.insts[late].name)
		}
		s.h.refusedPromotions.Add(1)
		give(s.insts[late])
	}
	if err := via.keys.SetPrimary(ctx, id); err != nil {
		s.fatalf("SetPrimary(%s) through %s: %v", id, via.name, err)
	}
	s.keks = append(s.keks, id)
	s.h.fleetPromotions.Add(1)
	s.t.Logf("RotateKEK through %s: primary is now %s", via.name, id)
	s.syncAll("after SetPrimary", via)
	s.dirty[s.nsA], s.dirty[s.nsB] = true, true
}

// fleetRemoveKEK is the rest of the operator's sequence: often a Rewrap
// of both namespaces through any instances first (step 3), then
// RemoveKEK through any instance's Keys (step 4), refused for the primary
// and while stored data names the key; once it succeeds every instance
// drops the key and every value still decrypts (the step's store check)
// through the instance the next steps use.
func fleetRemoveKEK(s *state) {
	via := s.insts[s.drawInstance()]
	ctx := background()
	if rapid.IntRange(0, 4).Draw(s.t, "removePrimary") == 0 {
		primary := s.keks[len(s.keks)-1]
		err := via.keys.RemoveKEK(ctx, primary, func(context.Context, string) (bool, error) { return false, nil })
		s.t.Logf("RemoveKEK(%s), the primary, through %s: %v", primary, via.name, err)
		s.checkTyped("RemoveKEK", err)
		if codeOf(err) != errcode.FailedPrecondition {
			s.fatalf("RemoveKEK(%s) of the shared primary through %s: %v, want a failed precondition", primary, via.name, err)
		}
		return
	}
	if rapid.IntRange(0, 2).Draw(s.t, "rewrapFirst") != 0 {
		for _, ns := range []string{s.nsA, s.nsB} {
			inst := s.insts[s.drawInstance()]
			admin := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "operator", Namespace: ns, Roles: []rbac.Role{rbac.RoleAdmin}})
			if err := inst.m.Rewrap(admin, ns, secrets.RewrapOptions{}); err != nil {
				s.fatalf("Rewrap(%s) through %s before a removal: %v", ns, inst.name, err)
			}
		}
	}
	i := rapid.IntRange(0, len(s.keks)-2).Draw(s.t, "oldKEK")
	id := s.keks[i]
	// Nothing writes between this scan and RemoveKEK's question.
	used := s.headers()[id] > 0
	asked := false
	err := via.keys.RemoveKEK(ctx, id, func(_ context.Context, kekID string) (bool, error) {
		asked = true
		if kekID != id {
			s.fatalf("RemoveKEK(%s) asked whether %s is in use", id, kekID)
		}
		return used, nil
	})
	s.t.Logf("RemoveKEK(%s) through %s, in use: %v: %v", id, via.name, used, err)
	s.checkTyped("RemoveKEK", err)
	switch {
	case used && codeOf(err) != errcode.FailedPrecondition:
		s.fatalf("RemoveKEK(%s) of a key still in use through %s: %v, want a failed precondition", id, via.name, err)
	case !used && err != nil:
		s.fatalf("RemoveKEK(%s) of an unused key through %s: %v", id, via.name, err)
	case err == nil && !asked:
		s.fatalf("RemoveKEK(%s) through %s removed the key without asking whether data uses it", id, via.name)
	case err == nil:
		s.h.kekRemovals.Add(1)
		s.h.fleetRemovals.Add(1)
		s.keks = slices.Delete(s.keks, i, i+1)
		s.syncAll("after RemoveKEK", via)
	}
	s.dirty[s.nsA], s.dirty[s.nsB] = true, true
}

// actRevokeRunToken issues two run tokens through one instance, which
// another accepts, revokes one through any instance, and checks that
// every instance then refuses it as revoked and that another still
// accepts the other: revocations live in the store, not in a process.
// Seven times in eight it is a Reveal instead: the revocation is a
// commit and every verification a read of the store, on every instance.
func actRevokeRunToken(s *state) {
	if rapid.IntRange(0, 7).Draw(s.t, "revokeRunToken") != 0 {
		actReveal(s)
		return
	}
	s.startIssuers()
	ctx := background()
	by := s.insts[s.cur]
	grant := runtoken.Grant{Namespace: s.nsA, Subject: defaultDecrypter, AllNames: true, TTL: time.Hour}
	tok, claims, err := by.issuer.Issue(ctx, grant)
	if err != nil {
		s.fatalf("Issue through %s: %v", by.name, err)
	}
	keep, keepClaims, err := by.issuer.Issue(ctx, grant)
	if err != nil {
		s.fatalf("Issue through %s: %v", by.name, err)
	}
	rev := s.insts[s.drawInstance()]
	verify := func(inst *instance, which, tok, wantID string, revoked bool) {
		s.t.Helper()
		got, err := inst.issuer.Verifier().Verify(ctx, tok)
		s.checkTyped("Verify", err)
		// Tokens are not registered with leakcheck, whose every check
		// would then scan for each of them; an error naming one is
		// caught here.
		if err != nil && (strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), claims.ID)) {
			s.fatalf("%s: the error of Verify holds the token or its id", inst.name)
		}
		switch {
		case revoked && (!errors.Is(err, runtoken.ErrInvalidToken) || runtoken.Reason(err) != "revoked"):
			s.fatalf("%s accepts or misjudges a run token revoked through %s (%s): %v", inst.name, rev.name, which, err)
		case !revoked && err != nil:
			s.fatalf("%s refuses a run token issued by %s (%s): %v", inst.name, by.name, which, err)
		case !revoked && got.ID != wantID:
			s.fatalf("%s reads another token id from the token (%s)", inst.name, which)
		}
	}
	verify(s.insts[s.drawInstance()], "the one to revoke", tok, claims.ID, false)
	s.t.Logf("RevokeRunToken: issued through %s, revoked through %s", by.name, rev.name)
	if err := rev.issuer.Verifier().Revoke(ctx, claims.ID, claims.Expiry); err != nil {
		s.fatalf("Revoke through %s: %v", rev.name, err)
	}
	for _, inst := range s.insts {
		verify(inst, "the revoked one", tok, claims.ID, true)
	}
	verify(s.insts[s.drawInstance()], "the other one", keep, keepClaims.ID, false)
	s.h.revocations.Add(1)
}
