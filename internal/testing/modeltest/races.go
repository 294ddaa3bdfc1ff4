package modeltest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// actRace runs 2 to 4 writes guarded by the same revision at once: exactly
// one wins, the others fail with ErrConflict (or ErrNotFound after a
// winning Delete), and the store holds the winner's write.
func actRace(s *state) {
	ns := s.nsA
	cur := s.model.ns[ns]
	if len(cur) == 0 || rapid.IntRange(0, 3).Draw(s.t, "createRace") == 0 {
		raceCreate(s)
		return
	}
	name := rapid.SampledFrom(slices.Sorted(maps.Keys(cur))).Draw(s.t, "raceTarget")
	target := cur[name]
	p := principal{p: rbac.Principal{Kind: rbac.KindUser, ID: "racer", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}}}
	ctx := s.ctxOf(p)
	kinds := []string{"Update", "Reset", "Delete"}
	if !target.Revoked {
		kinds = append(kinds, "Revoke")
	}
	k := rapid.IntRange(2, 4).Draw(s.t, "racers")
	type racer struct {
		kind  string
		api   API // through a drawn instance: racers of a fleet meet at the store
		value string
		desc  string
		got   *secrets.Secret
		err   error
	}
	racers := make([]*racer, k)
	for i := range racers {
		racers[i] = &racer{
			kind:  rapid.SampledFrom(kinds).Draw(s.t, "raceKind"),
			api:   s.insts[s.drawInstance()].api,
			value: leakcheck.NewValue("race"),
			desc:  fmt.Sprintf("racer %d", i),
		}
	}
	s.h.races.Add(1)
	s.dirty[ns] = true
	s.t.Logf("Race on %s/%s at revision %d: %v", ns, name, target.Revision, kindsOf(racers, func(r *racer) string { return r.kind }))
	if rapid.Bool().Draw(s.t, "raceLatency") {
		// Slow every store and key call a little, so the racers overlap
		// between their read and their write.
		s.setLatency(time.Millisecond)
		defer s.setLatency(0)
	}
	var wg sync.WaitGroup
	for _, r := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch r.kind {
			case "Update":
				r.got, r.err = r.api.Update(ctx, ns, &secrets.Secret{Name: name, Description: r.desc,
					Labels: target.Labels, Decrypters: target.Decrypters, Revision: target.Revision,
					KeepVersions: target.KeepVersions})
			case "Reset":
				r.got, r.err = r.api.Reset(ctx, ns, name, secrets.NewValue(r.value), target.Revision)
			case "Revoke":
				r.got, r.err = r.api.Revoke(ctx, ns, name, target.Revision)
			case "Delete":
				r.err = r.api.Delete(ctx, ns, name, target.Revision)
			}
		}()
	}
	// Maintenance running alongside: a Rewrap (which swaps ciphertexts by
	// compare-and-swap) and a CollectGarbage that spares young orphans. The
	// writes must not notice them, nor they the writes.
	var rewrapErr, gcErr error
	gcRemoved := 0
	withRewrap := rapid.Bool().Draw(s.t, "raceRewrap")
	withGC := rapid.Bool().Draw(s.t, "raceGC")
	admin := rbac.WithPrincipal(background(), rbac.Principal{Kind: rbac.KindUser, ID: "maint", Namespace: ns, Roles: []rbac.Role{rbac.RoleAdmin}})
	if withRewrap {
		m := s.insts[s.drawInstance()].m
		wg.Add(1)
		go func() { defer wg.Done(); rewrapErr = m.Rewrap(admin, ns, secrets.RewrapOptions{PageSize: 1}) }()
	}
	if withGC {
		m := s.insts[s.drawInstance()].m
		wg.Add(1)
		go func() { defer wg.Done(); gcRemoved, gcErr = m.CollectGarbage(admin, ns, 0) }()
	}
	wg.Wait()
	if rewrapErr != nil || gcErr != nil || gcRemoved != 0 {
		s.fatalf("maintenance during a race on %s: Rewrap: %v; CollectGarbage: %v, removed %d young ciphertexts", name, rewrapErr, gcErr, gcRemoved)
	}
	var winner *racer
	for _, r := range racers {
		s.checkTyped("racing "+r.kind, r.err)
		if r.err == nil {
			if winner != nil {
				s.fatalf("race on %s: both %s and %s won with revision %d (silent overwrite)", name, winner.kind, r.kind, target.Revision)
			}
			winner = r
		}
	}
	if winner == nil {
		s.fatalf("race on %s: nobody won: %v", name, kindsOf(racers, func(r *racer) string { return fmt.Sprint(r.err) }))
	}
	for _, r := range racers {
		if r == winner {
			continue
		}
		c := codeOf(r.err)
		if c != errcode.Conflict && !(c == errcode.NotFound && winner.kind == "Delete") {
			s.fatalf("race on %s: losing %s got %v (winner %s)", name, r.kind, r.err, winner.kind)
		}
	}
	after := s.model.clone()
	n := after.get(ns, name)
	now := s.clock.now()
	switch winner.kind {
	case "Update":
		n.Description = winner.desc
		n.Revision++
		n.UpdateTime, n.UpdatedBy = now, p.String()
	case "Reset":
		n.advance(winner.value, now, p.String())
		n.Revision++
		n.UpdateTime, n.UpdatedBy = now, p.String()
	case "Revoke":
		n.revoke()
		n.Revision++
		n.UpdateTime, n.UpdatedBy = now, p.String()
	case "Delete":
		delete(after.ns[ns], name)
	}
	s.model = after
	if winner.got != nil {
		s.checkSecret("race winner "+winner.kind, n, winner.got)
	}
}

func kindsOf[T any](xs []T, f func(T) string) string {
	var out []string
	for _, x := range xs {
		out = append(out, f(x))
	}
	return strings.Join(out, ", ")
}

// raceCreate has 2 to 4 callers create the same new name at once: exactly
// one wins, the others fail with ErrAlreadyExists, and the secret holds the
// winner's value (no orphan from the losers).
func raceCreate(s *state) {
	ns := s.nsA
	var free []string
	for _, n := range validNames {
		if s.model.get(ns, n) == nil {
			free = append(free, n)
		}
	}
	if len(free) == 0 {
		return
	}
	name := rapid.SampledFrom(free).Draw(s.t, "createRaceName")
	k := rapid.IntRange(2, 4).Draw(s.t, "creators")
	p := principal{p: rbac.Principal{Kind: rbac.KindUser, ID: "racer", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}}}
	ctx := s.ctxOf(p)
	specs := make([]secrets.Spec, k)
	apis := make([]API, k)
	got := make([]*secrets.Secret, k)
	errs := make([]error, k)
	for i := range specs {
		specs[i] = secrets.Spec{Name: name, Description: fmt.Sprintf("creator %d", i), Value: secrets.NewValue(leakcheck.NewValue("cr"))}
		apis[i] = s.insts[s.drawInstance()].api
	}
	s.h.races.Add(1)
	s.dirty[ns] = true
	s.t.Logf("Create race on %s/%s by %d callers", ns, name, k)
	var wg sync.WaitGroup
	for i := range specs {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = apis[i].Create(ctx, ns, specs[i]) }()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		s.checkTyped("racing Create", err)
		switch {
		case err == nil && winner >= 0:
			s.fatalf("create race on %s: callers %d and %d both created it (silent overwrite)", name, winner, i)
		case err == nil:
			winner = i
		case codeOf(err) != errcode.AlreadyExists:
			s.fatalf("create race on %s: a loser got %v, want ErrAlreadyExists", name, err)
		}
	}
	if winner < 0 {
		s.fatalf("create race on %s: nobody won: %v", name, errs)
	}
	after := s.model.clone()
	after.ns[ns][name] = s.newSecret(ns, name, p, specs[winner], []string{defaultDecrypter})
	s.model = after
	s.checkSecret("create race winner", after.get(ns, name), got[winner])
}
