package modeltest

import (
	"errors"
	"fmt"
	idnames "github.com/strongbox-go/strongbox/internal/names"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
)

// actions by name; actionNames repeats some to weight the draw.
var actions = map[string]func(*state){
	"Create":         actCreate,
	"Get":            actGet,
	"List":           actList,
	"Update":         actUpdate,
	"Reset":          actReset,
	"Revoke":         actRevoke,
	"Delete":         actDelete,
	"Reveal":         actReveal,
	"CollectGarbage": actCollect,
	"Race":           actRace,
	"RotateKEK":      actRotateKEK,
	"Rewrap":         actRewrap,
	"RemoveKEK":      actRemoveKEK,
	"Tamper":         actTamper,
	"RevokeRunToken": actRevokeRunToken,
	// Value history (history.go).
	"Versions":     actVersions,
	"Rollback":     actRollback,
	"Destroy":      actDestroy,
	"RevealPinned": actRevealPinned,
}

var actionNames = []string{
	"Create", "Create", "Get", "List", "Update", "Update", "Reset", "Reset",
	"Revoke", "Delete", "Reveal", "Reveal", "CollectGarbage", "Race",
	"RotateKEK", "Rewrap", "RemoveKEK", "Tamper", "RevokeRunToken",
	// Value history: one Create's weight went to Rollback, which creates
	// secrets that keep values when it finds none (history.go), so the
	// suite's time stays flat.
	"Versions", "Rollback", "Rollback", "Destroy", "RevealPinned",
}

// actionNamesWithoutRaces is actionNames without the Race step.
var actionNamesWithoutRaces = slices.DeleteFunc(slices.Clone(actionNames), func(a string) bool { return a == "Race" })

// ---------------------------------------------------------------------------
// Actions

func actCreate(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionCreate)
	spec := secrets.Spec{
		Name: s.drawName(), Description: s.drawDescription(), Labels: s.drawLabels(),
		Decrypters: s.drawDecrypters(), Value: secrets.NewValue(s.drawValue()),
		KeepVersions: s.drawSpecKeep(),
	}
	where := fmt.Sprintf("Create(%s, %q) by %s", ns, spec.Name, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	if s.clientRefuses(where, !utf8.ValidString(spec.Description) || !utf8.ValidString(spec.Value.DangerouslyExpose()),
		func() error { _, err := s.api.Create(ctx, ns, spec); return err }) {
		return
	}
	if !allowed(p, ns, rbac.ActionCreate) {
		s.checkDenied(where, "Create", func() error { _, err := s.api.Create(ctx, ns, spec); return err })
		return
	}
	decs := spec.Decrypters
	if decs == nil {
		decs = []string{defaultDecrypter}
	}
	w := errcode.OK
	switch {
	case !validName(spec.Name), !validDescription(spec.Description), !validLabels(spec.Labels),
		!validDecrypters(decs), !validValue(spec.Value.DangerouslyExpose()),
		spec.KeepVersions != nil && !validKeep(*spec.KeepVersions):
		w = errcode.Invalid
	case s.model.get(ns, spec.Name) != nil:
		w = errcode.AlreadyExists
	}
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		after.ns[ns][spec.Name] = s.newSecret(ns, spec.Name, p, spec, decs)
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := s.api.Create(cctx, ns, spec)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.checkSecret(where, s.model.get(ns, spec.Name), got)
	}
}

func actGet(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionRead)
	name := s.drawName()
	where := fmt.Sprintf("Get(%s, %q) by %s", ns, name, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	if s.unroutable(where, name, func() error { _, err := s.api.Get(ctx, ns, name); return err }) {
		return
	}
	if !allowed(p, ns, rbac.ActionRead) {
		s.checkDenied(where, "Get", func() error { _, err := s.api.Get(ctx, ns, name); return err })
		return
	}
	w := errcode.OK
	switch {
	case !validName(name):
		w = errcode.Invalid
	case s.model.get(ns, name) == nil:
		w = errcode.NotFound
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := s.api.Get(cctx, ns, name)
	cancel()
	s.settleRead(where, a, err, w)
	if err == nil {
		s.checkSecret(where, s.model.get(ns, name), got)
	}
}

func actList(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionRead)
	sel := rapid.SampledFrom(selectors).Draw(s.t, "selector")
	size := rapid.SampledFrom(pageSizes).Draw(s.t, "pageSize")
	where := fmt.Sprintf("List(%s, selector %q, page size %d) by %s", ns, sel, size, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	opts := secrets.ListOptions{Selector: sel, PageSize: size}
	// The HTTP API checks the page size after authentication, before the
	// Manager.
	if s.clientRefuses(where, size < 0 && !p.anonymous && p.p.Valid(), func() error { _, err := s.api.List(ctx, ns, opts); return err }) {
		return
	}
	if !allowed(p, ns, rbac.ActionRead) {
		s.checkDenied(where, "List", func() error { _, err := s.api.List(ctx, ns, opts); return err })
		return
	}
	labels, ok := parseSelector(sel)
	if !ok || size < 0 {
		a := s.arm()
		_, err := s.api.List(ctx, ns, opts)
		s.settleRead(where, a, err, errcode.Invalid)
		return
	}
	eff := size
	switch {
	case eff == 0:
		eff = 100
	case eff > 1000:
		eff = 1000
	}
	want := s.model.list(ns, labels)
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	defer cancel()
	var got []string
	for page := 0; ; page++ {
		if page > len(want)+1 {
			s.fatalf("%s: paging does not end", where)
		}
		res, err := s.api.List(cctx, ns, opts)
		if s.settleReadKeep(where, a, err) {
			s.disarm(a, err)
			return
		}
		if len(res.Secrets) > eff {
			s.fatalf("%s: page of %d items, page size %d", where, len(res.Secrets), eff)
		}
		for _, sec := range res.Secrets {
			got = append(got, sec.Name)
			if m := s.model.get(ns, sec.Name); m != nil {
				s.checkSecret(where, m, sec)
			}
		}
		if res.NextPageToken == "" {
			break
		}
		if len(res.Secrets) < eff {
			s.fatalf("%s: short page (%d of %d) with a next page token", where, len(res.Secrets), eff)
		}
		opts.PageToken = res.NextPageToken
	}
	s.disarm(a, nil)
	var names []string
	for _, m := range want {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, got) {
		s.fatalf("%s: listed %q, want %q", where, got, names)
	}
}

// settleReadKeep checks one page's error while the fault stays armed; it
// reports whether the listing must stop (a fault's error).
func (s *state) settleReadKeep(where string, a *armed, err error) bool {
	s.t.Helper()
	if err == nil {
		return false
	}
	s.checkTyped(where, err)
	if a != nil && (s.in.Faulted("") > a.before || a.hang) && faultErr(a, err) {
		return true
	}
	s.fatalf("%s: unexpected error %v", where, err)
	return true
}

func (s *state) drawTarget(ns string) (string, *mSecret) {
	name := s.drawName()
	if cur := s.model.ns[ns]; len(cur) > 0 && rapid.IntRange(0, 3).Draw(s.t, "pickExisting") != 0 {
		names := slices.Sorted(maps.Keys(cur))
		name = rapid.SampledFrom(names).Draw(s.t, "existing")
	}
	return name, s.model.get(ns, name)
}

func (s *state) drawRev(cur *mSecret, allowZero bool) int64 {
	if cur == nil {
		return int64(rapid.IntRange(-1, 3).Draw(s.t, "revision"))
	}
	return s.drawRevision(cur.Revision, allowZero)
}

func actUpdate(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionUpdate)
	name, cur := s.drawTarget(ns)
	in := &secrets.Secret{
		Name: name, Description: s.drawDescription(), Labels: s.drawLabels(),
		Decrypters: s.drawDecrypters(), Revision: s.drawRev(cur, false),
		KeepVersions: s.drawUpdateKeep(cur),
		// Ignored by Update:
		Version: 99, Revoked: true, CreatedBy: "mallory", Namespace: "elsewhere",
	}
	where := fmt.Sprintf("Update(%s, %q, revision %d) by %s", ns, name, in.Revision, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	if s.clientRefuses(where, in.Revision <= 0 || !utf8.ValidString(in.Description), func() error { _, err := s.api.Update(ctx, ns, in); return err }) ||
		s.unroutable(where, name, func() error { _, err := s.api.Update(ctx, ns, in); return err }) {
		return
	}
	if !allowed(p, ns, rbac.ActionUpdate) {
		s.checkDenied(where, "Update", func() error { _, err := s.api.Update(ctx, ns, in); return err })
		return
	}
	w := errcode.OK
	switch {
	case in.Revision <= 0, !validDescription(in.Description), !validLabels(in.Labels),
		!validDecrypters(in.Decrypters), !validName(name), !validKeep(in.KeepVersions):
		w = errcode.Invalid
	case cur == nil:
		w = errcode.NotFound
	case in.Revision != cur.Revision:
		w = errcode.Conflict
	case !sameSet(cur.Decrypters, in.Decrypters) && !allowed(p, ns, rbac.ActionSetDecrypters):
		// Issue #11 item 8: granting decrypt on a stored value is its
		// own permission, not an update.
		w = errcode.PermissionDenied
	case cur.shrinkDrops(in.KeepVersions) && !allowed(p, ns, rbac.ActionDelete):
		// A smaller window destroys kept values: delete's permission.
		w = errcode.PermissionDenied
	}
	w = hidden(p, ns, w)
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		n := after.get(ns, name)
		n.Description, n.Labels, n.Decrypters = in.Description, maps.Clone(in.Labels), slices.Clone(in.Decrypters)
		n.KeepVersions = in.KeepVersions
		n.trim()
		n.Revision++
		n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := s.api.Update(cctx, ns, in)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.checkSecret(where, visible(p, ns, s.model.get(ns, name)), got)
	}
}

func actReset(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionUpdate)
	name, cur := s.drawTarget(ns)
	value := s.drawValue()
	rev := s.drawRev(cur, true)
	where := fmt.Sprintf("Reset(%s, %q, revision %d) by %s", ns, name, rev, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	v := secrets.NewValue(value)
	if s.clientRefuses(where, rev < 0 || !utf8.ValidString(value), func() error { _, err := s.api.Reset(ctx, ns, name, v, rev); return err }) ||
		s.unroutable(where, name, func() error { _, err := s.api.Reset(ctx, ns, name, v, rev); return err }) {
		return
	}
	if !allowed(p, ns, rbac.ActionUpdate) {
		s.checkDenied(where, "Reset", func() error { _, err := s.api.Reset(ctx, ns, name, v, rev); return err })
		return
	}
	w := errcode.OK
	switch {
	case !validValue(value), rev < 0, !validName(name):
		w = errcode.Invalid
	case cur == nil:
		w = errcode.NotFound
	case rev != 0 && rev != cur.Revision:
		w = errcode.Conflict
	}
	w = hidden(p, ns, w)
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		n := after.get(ns, name)
		n.advance(value, s.clock.now(), p.String())
		n.Revision++
		n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := s.api.Reset(cctx, ns, name, v, rev)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.checkSecret(where, visible(p, ns, s.model.get(ns, name)), got)
	}
}

func actRevoke(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionUpdate)
	name, cur := s.drawTarget(ns)
	rev := s.drawRev(cur, true)
	where := fmt.Sprintf("Revoke(%s, %q, revision %d) by %s", ns, name, rev, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	if s.clientRefuses(where, rev < 0, func() error { _, err := s.api.Revoke(ctx, ns, name, rev); return err }) ||
		s.unroutable(where, name, func() error { _, err := s.api.Revoke(ctx, ns, name, rev); return err }) {
		return
	}
	if !allowed(p, ns, rbac.ActionUpdate) {
		s.checkDenied(where, "Revoke", func() error { _, err := s.api.Revoke(ctx, ns, name, rev); return err })
		return
	}
	w := errcode.OK
	switch {
	case rev < 0, !validName(name):
		w = errcode.Invalid
	case cur == nil:
		w = errcode.NotFound
	case rev != 0 && rev != cur.Revision:
		w = errcode.Conflict
	}
	w = hidden(p, ns, w)
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		if n := after.get(ns, name); !n.Revoked {
			n.revoke()
			n.Revision++
			n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
		}
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := s.api.Revoke(cctx, ns, name, rev)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.checkSecret(where, visible(p, ns, s.model.get(ns, name)), got)
	}
}

func actDelete(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionDelete)
	name, cur := s.drawTarget(ns)
	rev := s.drawRev(cur, true)
	where := fmt.Sprintf("Delete(%s, %q, revision %d) by %s", ns, name, rev, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	if s.clientRefuses(where, rev < 0, func() error { return s.api.Delete(ctx, ns, name, rev) }) ||
		s.unroutable(where, name, func() error { return s.api.Delete(ctx, ns, name, rev) }) {
		return
	}
	if !allowed(p, ns, rbac.ActionDelete) {
		s.checkDenied(where, "Delete", func() error { return s.api.Delete(ctx, ns, name, rev) })
		return
	}
	w := errcode.OK
	switch {
	case rev < 0, !validName(name):
		w = errcode.Invalid
	case cur == nil:
		w = errcode.NotFound
	case rev != 0 && rev != cur.Revision:
		w = errcode.Conflict
	}
	w = hidden(p, ns, w)
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		delete(after.ns[ns], name)
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	err := s.api.Delete(cctx, ns, name, rev)
	cancel()
	s.settle(where, a, ns, err, w, after)
}

func actReveal(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionDecrypt)
	var names []string
	switch k := rapid.IntRange(0, 12).Draw(s.t, "revealNames"); {
	case k == 0:
	case k == 1:
		for i := range idnames.MaxRevealNames + 1 {
			names = append(names, fmt.Sprintf("n%d", i))
		}
	default:
		for range 1 + k%3 {
			n, _ := s.drawTarget(ns)
			names = append(names, n)
		}
	}
	if s.h.opts.API != nil && (len(names) == 0 || len(names) > 3) {
		names = []string{"x"} // one RevealValue per name: no batch limits
	}
	if s.h.opts.API != nil && slices.Contains(names, "") {
		where := fmt.Sprintf("Reveal(%s, %q) by %s", ns, "", p)
		s.unroutable(where, "", func() error { _, err := s.api.RevealValue(s.ctxOf(p), ns, ""); return err })
		return
	}
	where := fmt.Sprintf("Reveal(%s, %d names %q) by %s", ns, len(names), names[:min(len(names), 3)], p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	if !allowed(p, ns, rbac.ActionDecrypt) {
		s.checkDenied(where, "Reveal", func() error {
			res, err := s.reveal(ctx, ns, names...)
			if err == nil && len(res) > 0 && s.h.opts.API != nil {
				err = res[0].Err // one call per name: the denial is per name
			}
			return err
		})
		return
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	res, err := s.reveal(cctx, ns, names...)
	cancel()
	fired := s.disarm(a, err)
	s.checkTyped(where, err)
	if len(names) == 0 || len(names) > idnames.MaxRevealNames {
		s.expect(where, err, errcode.Invalid)
		return
	}
	if err != nil {
		if fired && faultErr(a, err) {
			return
		}
		s.fatalf("%s: %v", where, err)
	}
	if len(res) != len(names) {
		s.fatalf("%s: %d results for %d names", where, len(res), len(names))
	}
	for i, r := range res {
		name := names[i]
		rw := fmt.Sprintf("%s: result %d (%q)", where, i, name)
		if r.Name != name {
			s.fatalf("%s: named %q", rw, r.Name)
		}
		s.checkTyped(rw, r.Err)
		if r.Err != nil && r.Value.Len() != 0 {
			s.fatalf("%s: error %v with a value", rw, r.Err)
		}
		cur := s.model.get(ns, name)
		w := errcode.OK
		switch {
		case !validName(name):
			w = errcode.Invalid
		case cur == nil:
			w = errcode.NotFound
		case !slices.Contains(cur.Decrypters, p.p.ID):
			w = errcode.PermissionDenied
		case cur.Revoked:
			w = errcode.FailedPrecondition
		}
		w = hidden(p, ns, w)
		if fired && r.Err != nil && codeOf(r.Err) != w && faultErr(a, r.Err) {
			continue
		}
		s.expect(rw, r.Err, w)
		switch {
		case w == errcode.FailedPrecondition && !errors.Is(r.Err, secrets.ErrRevoked) && s.h.opts.API == nil:
			s.fatalf("%s: %v, want ErrRevoked", rw, r.Err)
		case w == errcode.OK && r.Value.DangerouslyExpose() != cur.value:
			s.fatalf("%s: revealed another value than the model's", rw)
		}
	}
}

func actCollect(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionDelete)
	minAge := rapid.SampledFrom([]int{-1, 0}).Draw(s.t, "minAge")
	where := fmt.Sprintf("CollectGarbage(%s, %d) by %s", ns, minAge, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	if !allowed(p, ns, rbac.ActionDelete) {
		s.checkDenied(where, "CollectGarbage", func() error { _, err := s.m.CollectGarbage(ctx, ns, 0); return err })
		return
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	n, err := s.m.CollectGarbage(cctx, ns, time.Duration(minAge))
	cancel()
	s.dirty[ns] = true
	fired := s.disarm(a, err)
	s.checkTyped(where, err)
	if minAge == 0 && n != 0 {
		s.fatalf("%s: removed %d ciphertexts younger than an hour", where, n)
	}
	if fired {
		if err != nil && !faultErr(a, err) {
			s.fatalf("%s: under fault %q: error %v is not a fault's", where, a.desc, err)
		}
		s.model.orphans[ns] = true
		return
	}
	s.expect(where, err, errcode.OK)
	if minAge < 0 {
		s.model.orphans[ns] = false
	}
}
