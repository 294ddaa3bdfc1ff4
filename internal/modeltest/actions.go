package modeltest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/fault"
	"github.com/strongbox-go/strongbox/internal/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
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
}

var actionNames = []string{
	"Create", "Create", "Create", "Get", "List", "Update", "Update", "Reset", "Reset",
	"Revoke", "Delete", "Reveal", "Reveal", "CollectGarbage", "Race",
	"RotateKEK", "Rewrap", "RemoveKEK", "Tamper",
}

// ---------------------------------------------------------------------------
// Faults

// armed is a fault planned for one call.
type armed struct {
	desc      string
	before    int
	hang      bool
	kekDenied bool
}

var faultOps = []fault.Op{"", fault.CreateMetadata, fault.GetMetadata, fault.UpdateMetadata,
	fault.DeleteMetadata, fault.ListMetadata, fault.PutCiphertext, fault.GetCiphertext,
	fault.DeleteCiphertext, fault.ListCiphertexts, fault.Encrypt, fault.Decrypt, fault.KEKEncrypt, fault.KEKDecrypt,
	fault.GetCurrent, fault.CreateWithCiphertext, fault.UpdateWithCiphertext, fault.DeleteSecret}

// arm plans a fault for the next call a quarter of the time.
func (s *state) arm() *armed {
	if s.h.opts.NoFaults || rapid.IntRange(0, 3).Draw(s.t, "fault") != 0 {
		return nil
	}
	a := &armed{before: s.in.Faulted("")}
	// Half of the time any call (the nth of the operation), else the first
	// or second call of one kind.
	var op fault.Op
	n := rapid.IntRange(1, 5).Draw(s.t, "faultNth")
	if rapid.Bool().Draw(s.t, "faultAnyOp") {
		op = rapid.SampledFrom(faultOps[1:]).Draw(s.t, "faultOp")
		n = 1 + n%2
	}
	switch kind := rapid.IntRange(0, 9).Draw(s.t, "faultKind"); kind {
	case 0, 1:
		s.in.FailNth(op, n, nil)
		a.desc = fmt.Sprintf("fail call %d of %q", n, op)
	case 2, 3:
		s.in.FailAfterNth(op, n, nil)
		a.desc = fmt.Sprintf("lose the acknowledgement of call %d of %q", n, op)
	case 4:
		s.in.CrashAfter(n - 1)
		a.desc = fmt.Sprintf("crash before call %d", n)
	case 5:
		s.in.CrashDuring(n - 1)
		a.desc = fmt.Sprintf("crash during call %d", n)
	case 6:
		s.in.HangNth(op, n)
		a.hang = true
		a.desc = fmt.Sprintf("time out call %d of %q", n, op)
	case 7:
		kop := rapid.SampledFrom([]fault.Op{fault.KEKEncrypt, fault.KEKDecrypt}).Draw(s.t, "kekOp")
		s.in.FailNth(kop, 1, fault.KEKPermissionDenied)
		a.kekDenied = true
		a.desc = fmt.Sprintf("KEK refuses %q", kop)
	default:
		s.in.FailAll(op, nil)
		a.desc = fmt.Sprintf("outage of %q", op)
	}
	s.t.Logf("fault: %s", a.desc)
	return a
}

// ctx bounds a call that a planned hang will block.
func (a *armed) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if a != nil && a.hang {
		return context.WithTimeout(ctx, ctxTimeout)
	}
	return ctx, func() {}
}

// disarm removes the plan and reports whether a fault hit the call.
func (s *state) disarm(a *armed, err error) bool {
	if a == nil {
		return false
	}
	fired := s.in.Faulted("") > a.before || (a.hang && errcode.IsContext(err))
	s.in.Reset()
	if fired {
		s.h.faults.Add(1)
		s.t.Logf("fault fired: %s; call returned %v", a.desc, err)
	}
	return fired
}

// faultErr reports whether err is what a fault may cause: the injected
// unavailability, a timeout, or (key service refusing) a permission or
// decryption failure.
func faultErr(a *armed, err error) bool {
	switch {
	case errcode.IsContext(err), codeOf(err) == errcode.Unavailable:
		return true
	case a.kekDenied:
		// A refused unwrap is a decryption failure: ErrDecryptionFailed,
		// or through an API only its code, Internal.
		return codeOf(err) == errcode.PermissionDenied || errors.Is(err, secrets.ErrDecryptionFailed) ||
			codeOf(err) == errcode.Internal
	}
	return false
}

// settle resolves the outcome of a write: want is the model's expected
// code and after the model once the write applies (for want OK). A write
// that a fault hit may fail or succeed; if it failed, the store must be
// either unchanged or fully applied, and the model follows what it finds.
func (s *state) settle(where string, a *armed, ns string, err error, w want, after *model) {
	s.t.Helper()
	s.dirty[ns] = true
	fired := s.disarm(a, err)
	s.checkTyped(where, err)
	if !fired {
		s.expect(where, err, w)
		if w == errcode.OK {
			s.model = after
		}
		return
	}
	s.model.orphans[ns] = true
	if after != nil {
		after.orphans[ns] = true
	}
	if err == nil {
		if w != errcode.OK {
			s.fatalf("%s: succeeded under a fault; the model expected %q", where, w)
		}
		s.model = after
		return
	}
	if codeOf(err) != w && !faultErr(a, err) {
		s.fatalf("%s: under fault %q: error %v is neither %q nor a fault's", where, a.desc, err, w)
	}
	if w != errcode.OK {
		return // nothing to apply; the step's store check holds the model
	}
	// A call cancelled by its context may still land: a SQL server
	// commits a statement the client already sent, after the client gave
	// up. So after a context error the state must hold still for a while
	// before the harness believes it.
	polls, stable := 1, 1
	if errcode.IsContext(err) {
		polls, stable = 10, 3
	}
	var unchanged, applied, last string
	seen := 0
	for i := 0; i < polls; i++ {
		if i > 0 {
			time.Sleep(30 * time.Millisecond)
		}
		unchanged, applied = s.diffStore(s.model), ""
		state := "unchanged"
		if unchanged != "" {
			if applied = s.diffStore(after); applied == "" {
				state = "applied"
			} else {
				state = "neither"
			}
		}
		if state == last {
			seen++
		} else {
			last, seen = state, 1
		}
		if seen >= stable && state != "neither" {
			break
		}
	}
	switch {
	case unchanged == "":
		return
	case applied == "":
		s.t.Logf("%s: failed with %v but was applied", where, err)
		s.h.applied.Add(1)
		s.model = after
		return
	}
	s.fatalf("%s: after fault %q (error %v) the store is neither unchanged nor fully applied.\nAgainst unchanged:\n%s\nAgainst applied:\n%s",
		where, a.desc, err, unchanged, applied)
}

// settleRead resolves the outcome of a read: it changes nothing.
func (s *state) settleRead(where string, a *armed, err error, w want) (faulted bool) {
	s.t.Helper()
	fired := s.disarm(a, err)
	s.checkTyped(where, err)
	if fired && err != nil && codeOf(err) != w {
		if !faultErr(a, err) {
			s.fatalf("%s: under fault %q: error %v is neither %q nor a fault's", where, a.desc, err, w)
		}
		return true
	}
	s.expect(where, err, w)
	return false
}

func (s *state) newSecret(ns, name string, p principal, spec secrets.Spec, decs []string) *mSecret {
	now := s.clock.now()
	return &mSecret{
		Namespace: ns, Name: name, Description: spec.Description,
		Labels: maps.Clone(spec.Labels), Decrypters: slices.Clone(decs),
		Version: 1, Revision: 1, CreateTime: now, UpdateTime: now,
		CreatedBy: p.String(), UpdatedBy: p.String(), value: spec.Value.DangerouslyExpose(),
	}
}

// clientRefuses handles, through an API in front of the Manager, a call
// whose arguments the client itself rejects (a missing or negative
// revision): it must fail with ErrInvalid before sending anything, whoever
// calls. It reports whether it handled the call.
func (s *state) clientRefuses(where string, invalid bool, call func() error) bool {
	return s.refusedBeforeAuth(where, invalid, errcode.Invalid, call)
}

// unroutable handles, through an API in front of the Manager, a call
// naming a secret that cannot be a URL path segment (empty, "." or ".."):
// the client refuses it with ErrInvalid before anything else.
func (s *state) unroutable(where, name string, call func() error) bool {
	return s.refusedBeforeAuth(where, name == "" || name == "." || name == "..", errcode.Invalid, call)
}

func (s *state) refusedBeforeAuth(where string, cond bool, code errcode.Code, call func() error) bool {
	s.t.Helper()
	if s.h.opts.API == nil || !cond {
		return false
	}
	calls := s.in.Calls("")
	s.expect(where, call(), code)
	if s.in.Calls("") != calls {
		s.fatalf("%s: an invalid call reached the store or keeper", where)
	}
	return true
}

// ---------------------------------------------------------------------------
// Actions

func actCreate(s *state) {
	ns := s.drawNS()
	p := s.drawPrincipal(ns, rbac.ActionCreate)
	spec := secrets.Spec{
		Name: s.drawName(), Description: s.drawDescription(), Labels: s.drawLabels(),
		Decrypters: s.drawDecrypters(), Value: secrets.NewValue(s.drawValue()),
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
		!validDecrypters(decs), !validValue(spec.Value.DangerouslyExpose()):
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
		!validDecrypters(in.Decrypters), !validName(name):
		w = errcode.Invalid
	case cur == nil:
		w = errcode.NotFound
	case in.Revision != cur.Revision:
		w = errcode.Conflict
	}
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		n := after.get(ns, name)
		n.Description, n.Labels, n.Decrypters = in.Description, maps.Clone(in.Labels), slices.Clone(in.Decrypters)
		n.Revision++
		n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := s.api.Update(cctx, ns, in)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.checkSecret(where, s.model.get(ns, name), got)
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
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		n := after.get(ns, name)
		n.Version++
		n.Revision++
		n.Revoked = false
		n.value = value
		n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := s.api.Reset(cctx, ns, name, v, rev)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.checkSecret(where, s.model.get(ns, name), got)
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
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		if n := after.get(ns, name); !n.Revoked {
			n.Revoked = true
			n.Revision++
			n.value = ""
			n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
		}
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := s.api.Revoke(cctx, ns, name, rev)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.checkSecret(where, s.model.get(ns, name), got)
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
		for i := range secrets.MaxRevealNames + 1 {
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
		names = []string{""}
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
	if len(names) == 0 || len(names) > secrets.MaxRevealNames {
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
		if r.Err != nil && !r.Value.IsZero() {
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
		value string
		desc  string
		got   *secrets.Secret
		err   error
	}
	racers := make([]*racer, k)
	for i := range racers {
		racers[i] = &racer{
			kind:  rapid.SampledFrom(kinds).Draw(s.t, "raceKind"),
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
		s.in.SetLatency(time.Millisecond)
		defer s.in.SetLatency(0)
	}
	var wg sync.WaitGroup
	for _, r := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch r.kind {
			case "Update":
				r.got, r.err = s.api.Update(ctx, ns, &secrets.Secret{Name: name, Description: r.desc,
					Labels: target.Labels, Decrypters: target.Decrypters, Revision: target.Revision})
			case "Reset":
				r.got, r.err = s.api.Reset(ctx, ns, name, secrets.NewValue(r.value), target.Revision)
			case "Revoke":
				r.got, r.err = s.api.Revoke(ctx, ns, name, target.Revision)
			case "Delete":
				r.err = s.api.Delete(ctx, ns, name, target.Revision)
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
		wg.Add(1)
		go func() { defer wg.Done(); rewrapErr = s.m.Rewrap(admin, ns, secrets.RewrapOptions{PageSize: 1}) }()
	}
	if withGC {
		wg.Add(1)
		go func() { defer wg.Done(); gcRemoved, gcErr = s.m.CollectGarbage(admin, ns, 0) }()
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
		n.Version++
		n.Revision++
		n.Revoked, n.value = false, winner.value
		n.UpdateTime, n.UpdatedBy = now, p.String()
	case "Revoke":
		n.Revoked, n.value = true, ""
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

// actRotateKEK adds a key-encryption key and makes it primary (keeper
// calls, not Manager calls): old values must stay readable (invariant 9).
func actRotateKEK(s *state) {
	if len(s.keks) >= 4 {
		actRemoveKEK(s)
		return
	}
	kek, _, err := fault.NewKEK(s.in)
	if err != nil {
		s.fatalf("NewKEK: %v", err)
	}
	s.t.Cleanup(func() { kek.Close() })
	id := fmt.Sprintf("model-kek-%d", s.h.steps.Load())
	ctx := background()
	if err := s.env.AddKEK(ctx, keeper.KEK{ID: id, Keeper: kek}); err != nil {
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
func actRemoveKEK(s *state) {
	if len(s.keks) < 2 {
		actRotateKEK(s)
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
		failed := errors.Is(err, secrets.ErrDecryptionFailed) || (s.h.opts.API != nil && codeOf(err) == errcode.Internal)
		if err == nil || !failed || !v.IsZero() {
			s.fatalf("%s: %v, want ErrDecryptionFailed (invariant 2)", where, err)
		}
		s.h.tampers.Add(1)
	}
	if err := s.h.store.ReplaceCiphertext(ctx, orig, forged.Data); err != nil {
		s.fatalf("restoring the ciphertext: %v", err)
	}
	s.dirty[victim.ns] = true
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
	got := make([]*secrets.Secret, k)
	errs := make([]error, k)
	for i := range specs {
		specs[i] = secrets.Spec{Name: name, Description: fmt.Sprintf("creator %d", i), Value: secrets.NewValue(leakcheck.NewValue("cr"))}
	}
	s.h.races.Add(1)
	s.dirty[ns] = true
	s.t.Logf("Create race on %s/%s by %d callers", ns, name, k)
	var wg sync.WaitGroup
	for i := range specs {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = s.api.Create(ctx, ns, specs[i]) }()
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
