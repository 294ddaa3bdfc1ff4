package modeltest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

// actRotateKEK adds a key-encryption key and makes it primary (keeper
// calls, not Manager calls): old values must stay readable (invariant 9).
// With several instances it is fleetRotateKEK.
func actRotateKEK(s *state) {
	if len(s.keks) >= 4 {
		actRemoveKEK(s)
		return
	}
	if s.fleet {
		switch {
		case !s.fleetTurn():
			actRewrap(s)
		case rapid.IntRange(0, 3).Draw(s.t, "wholeRotation") != 0:
			// The operator's whole sequence at once; else its steps
			// come apart, with writes through every instance between.
			fleetRotateKEK(s)
			fleetRemoveKEK(s)
		default:
			fleetRotateKEK(s)
		}
		return
	}
	kek, _, err := fault.NewKEK(s.in)
	if err != nil {
		s.fatalf("NewKEK: %v", err)
	}
	s.t.Cleanup(func() { kek.Close() })
	id := fmt.Sprintf("model-kek-%d", s.h.steps.Load())
	ctx := background()
	if err := s.env.AddKEK(ctx, keeper.KEK{ID: id, Wrapper: kek}); err != nil {
		s.fatalf("AddKEK: %v", err)
	}
	if err := s.env.SetPrimary(id); err != nil {
		s.fatalf("SetPrimary: %v", err)
	}
	s.keks = append(s.keks, id)
	s.t.Logf("RotateKEK: primary is now %s", id)
	s.dirty[s.nsA], s.dirty[s.nsB] = true, true
}

// headers returns the KEK id of every stored ciphertext of both namespaces.
func (s *state) headers() map[string]int {
	ctx := background()
	ids := map[string]int{}
	for _, ns := range []string{s.nsA, s.nsB} {
		refs, err := listAllCiphertexts(ctx, s.h.store, ns)
		if err != nil {
			s.fatalf("ListCiphertexts: %v", err)
		}
		for _, r := range refs {
			ct, err := s.h.store.GetCiphertext(ctx, ns, r.Name, r.ValueID)
			if err != nil {
				continue // removed meanwhile
			}
			h, err := keeper.ParseHeader(ct.Data)
			if err != nil {
				s.fatalf("stored ciphertext %s/%s has no header: %v", ns, r.Name, err)
			}
			ids[h.KEKID]++
		}
	}
	return ids
}

// actRewrap moves a namespace's ciphertexts to the primary KEK through the
// Manager, possibly under a fault: values stay the same, and a run that
// completes leaves nothing under an older key.
func actRewrap(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionUpdate)
	size := rapid.IntRange(0, 3).Draw(s.t, "rewrapPageSize")
	where := fmt.Sprintf("Rewrap(%s, page size %d) by %s", ns, size, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	opts := secrets.RewrapOptions{PageSize: size}
	if !allowed(p, ns, rbac.ActionUpdate) {
		s.checkDenied(where, "Rewrap", func() error { return s.m.Rewrap(ctx, ns, opts) })
		return
	}
	s.dirty[ns] = true
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	err := s.m.Rewrap(cctx, ns, opts)
	cancel()
	fired := s.disarm(a, err)
	s.checkTyped(where, err)
	if fired {
		if err != nil && !faultErr(a, err) {
			s.fatalf("%s: under fault %q: error %v is not a fault's", where, a.desc, err)
		}
		return
	}
	s.expect(where, err, errcode.OK)
	s.h.rewraps.Add(1)
	primary := s.keks[len(s.keks)-1]
	ctxB := background()
	refs, lerr := listAllCiphertexts(ctxB, s.h.store, ns)
	if lerr != nil {
		s.fatalf("ListCiphertexts: %v", lerr)
	}
	for _, r := range refs {
		ct, err := s.h.store.GetCiphertext(ctxB, ns, r.Name, r.ValueID)
		if err != nil {
			continue
		}
		if h, err := keeper.ParseHeader(ct.Data); err != nil || h.KEKID != primary {
			s.fatalf("%s: after a complete run %s/%s is under %q, not the primary %q", where, ns, r.Name, h.KEKID, primary)
		}
	}
}

// actRemoveKEK removes an old key-encryption key, which the keeper allows
// only when no stored ciphertext names it: every value must still decrypt.
// With several instances it is fleetRemoveKEK.
func actRemoveKEK(s *state) {
	if len(s.keks) < 2 {
		actRotateKEK(s)
		return
	}
	if s.fleet {
		if s.fleetTurn() {
			fleetRemoveKEK(s)
		} else {
			actRewrap(s)
		}
		return
	}
	i := rapid.IntRange(0, len(s.keks)-2).Draw(s.t, "oldKEK")
	id := s.keks[i]
	inUse := s.headers()[id] > 0
	err := s.env.RemoveKEK(background(), id, keeper.RemoveOptions{InUse: func(ctx context.Context, kekID string) (bool, error) {
		return s.headers()[kekID] > 0, nil
	}})
	s.t.Logf("RemoveKEK(%s), in use: %v: %v", id, inUse, err)
	s.checkTyped("RemoveKEK", err)
	switch {
	case inUse && codeOf(err) != errcode.FailedPrecondition:
		s.fatalf("RemoveKEK(%s) of a key still in use: %v, want a failed precondition", id, err)
	case !inUse && err != nil:
		s.fatalf("RemoveKEK(%s) of an unused key: %v", id, err)
	case err == nil:
		s.h.kekRemovals.Add(1)
		s.keks = slices.Delete(s.keks, i, i+1)
	}
	s.dirty[s.nsA], s.dirty[s.nsB] = true, true
}

// actTamper plays a hostile database administrator (invariant 2): it
// copies one live secret's ciphertext over another's (in the same or the
// other namespace), asks for the victim's value, which must fail with
// ErrDecryptionFailed, and puts the original back.
func actTamper(s *state) {
	type live struct {
		ns, name string
		m        *mSecret
	}
	var all []live
	for _, ns := range []string{s.nsA, s.nsB} {
		for _, name := range slices.Sorted(maps.Keys(s.model.ns[ns])) {
			if m := s.model.ns[ns][name]; !m.Revoked {
				all = append(all, live{ns, name, m})
			}
		}
	}
	if len(all) < 2 {
		actCreate(s)
		return
	}
	src := all[rapid.IntRange(0, len(all)-1).Draw(s.t, "tamperSource")]
	victim := all[rapid.IntRange(0, len(all)-1).Draw(s.t, "tamperVictim")]
	if src == victim || src.m.value == victim.m.value {
		return
	}
	ctx := background()
	get := func(l live) *storage.Ciphertext {
		md, err := s.h.store.GetMetadata(ctx, l.ns, l.name)
		if err != nil {
			s.fatalf("GetMetadata(%s): %v", l.name, err)
		}
		ct, err := s.h.store.GetCiphertext(ctx, l.ns, l.name, md.ValueID)
		if err != nil {
			s.fatalf("GetCiphertext(%s): %v", l.name, err)
		}
		return ct
	}
	orig, foreign := get(victim), get(src)
	forged := *orig
	forged.Data = foreign.Data
	if err := s.h.store.ReplaceCiphertext(ctx, &forged, orig.Data); err != nil {
		s.fatalf("ReplaceCiphertext: %v", err)
	}
	where := fmt.Sprintf("Reveal of %s/%s holding the ciphertext of %s/%s", victim.ns, victim.name, src.ns, src.name)
	s.t.Logf("%s", where)
	var dec string
	if len(victim.m.Decrypters) > 0 {
		dec = victim.m.Decrypters[0]
	}
	p := rbac.Principal{Kind: rbac.KindService, ID: dec, Namespace: victim.ns, Roles: []rbac.Role{rbac.RoleDecrypter}}
	if dec != "" {
		v, err := s.api.RevealValue(rbac.WithPrincipal(ctx, p), victim.ns, victim.name)
		s.checkTyped(where, err)
		// Through an API the code survives (Internal), not the sentinel.
		failed := errors.Is(err, keeper.ErrDecrypt) || (s.h.opts.API != nil && codeOf(err) == errcode.Internal)
		if err == nil || !failed || v.Len() != 0 {
			s.fatalf("%s: %v, want ErrDecryptionFailed (invariant 2)", where, err)
		}
		s.h.tampers.Add(1)
	}
	if err := s.h.store.ReplaceCiphertext(ctx, orig, forged.Data); err != nil {
		s.fatalf("restoring the ciphertext: %v", err)
	}
	s.dirty[victim.ns] = true
}
