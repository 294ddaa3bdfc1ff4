package modeltest

// Value history in the model (issue #18): each secret keeps KeepVersions
// earlier values; Versions, Rollback, Destroy and pinned reveals
// ("name@N") are actions of their own, and Reset, Revoke, Update and
// Delete move the window. The Manager's keep default is drawn per
// sequence, a secret's own per Create and Update, so the same 1,000
// sequences per backend cover history without a separate run.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

// HistoryAPI is the value-history part of secrets.Manager. An Options.API
// that implements it is called for Versions, Rollback, Destroy and pinned
// reveals (RevealValue of "name@N") and runs sequences that keep values;
// against one that does not, secrets keep none and those calls go to the
// Manager itself.
type HistoryAPI interface {
	Versions(ctx context.Context, namespace, name string) ([]secrets.Version, error)
	Rollback(ctx context.Context, namespace, name string, version, revision int64) (*secrets.Secret, error)
	Destroy(ctx context.Context, namespace, name string, version, revision int64) (*secrets.Secret, error)
}

// historyStats counts what the history actions got to do, so a run shows
// it exercised more than refusals.
type historyStats struct {
	rollbacks, destroys, pinned, listed, fellOut atomic.Int64
}

func (h *historyStats) String() string {
	return fmt.Sprintf("%d rollbacks, %d destroys, %d pinned values revealed, %d histories listed with earlier versions, %d pinned reveals of versions no longer kept refused",
		h.rollbacks.Load(), h.destroys.Load(), h.pinned.Load(), h.listed.Load(), h.fellOut.Load())
}

// maxModelKeep bounds the windows the model draws: small, so 25 steps fill
// them and values fall out.
const maxModelKeep = 3

// mVersion is one value in a model secret's history.
type mVersion struct {
	Version    int64
	CreateTime time.Time
	CreatedBy  string
	Revoked    bool
	Destroyed  bool
	value      string // "" once revoked or destroyed
}

// kept reports whether the version's value can still be read.
func (v mVersion) kept() bool { return !v.Revoked && !v.Destroyed }

// advance gives n a new current value, set by by at now: the version
// counts up and what falls out of the window goes.
func (n *mSecret) advance(value string, now time.Time, by string) {
	n.Version++
	n.history = append([]mVersion{{Version: n.Version, CreateTime: now, CreatedBy: by, value: value}}, n.history...)
	n.value, n.Revoked = value, false
	n.trim()
}

// trim drops the versions before the window.
func (n *mSecret) trim() {
	oldest := n.Version - int64(n.KeepVersions)
	n.history = slices.DeleteFunc(n.history, func(v mVersion) bool { return v.Version < oldest })
}

// revoke drops the current value; kept ones stay.
func (n *mSecret) revoke() {
	n.Revoked, n.value = true, ""
	if len(n.history) > 0 {
		n.history[0].Revoked, n.history[0].value = true, ""
	}
}

// version returns n's entry for v, if it is in the window.
func (n *mSecret) version(v int64) (mVersion, bool) {
	for _, e := range n.history {
		if e.Version == v {
			return e, true
		}
	}
	return mVersion{}, false
}

// shrinkDrops reports whether keeping k earlier values would drop a kept
// one.
func (n *mSecret) shrinkDrops(k int) bool {
	for _, e := range n.history {
		if e.Version < n.Version-int64(k) && e.kept() {
			return true
		}
	}
	return false
}

func cloneHistory(h []mVersion) []mVersion { return slices.Clone(h) }

// historyAPI is the API history calls go through.
func (s *state) historyAPI() HistoryAPI {
	if h, ok := s.api.(HistoryAPI); ok {
		return h
	}
	return s.m
}

// pinnedThroughAPI reports whether history calls and pinned reveals go
// through the API (else to the Manager).
func (s *state) pinnedThroughAPI() bool {
	_, ok := s.api.(HistoryAPI)
	return s.h.opts.API != nil && ok
}

// drawManagerKeep is the Manager's Options.KeepVersions for a sequence:
// mostly some history, sometimes none; none through an API that cannot
// carry it.
func (s *state) drawManagerKeep() int {
	if !s.historyOn() {
		return 0
	}
	return rapid.SampledFrom([]int{0, 1, 2, maxModelKeep}).Draw(s.t, "managerKeep")
}

// historyOn reports whether the sequence's secrets may keep values: not
// through an API without history, whose Create and Update cannot carry a
// window.
func (s *state) historyOn() bool {
	if s.h.opts.API == nil {
		return true
	}
	_, ok := s.api.(HistoryAPI)
	return ok
}

// drawSpecKeep is a Spec.KeepVersions: nil (the Manager's default), a
// window, or out of range.
func (s *state) drawSpecKeep() *int {
	if !s.historyOn() {
		return nil
	}
	switch k := rapid.IntRange(0, 9).Draw(s.t, "specKeep"); {
	case k <= 4:
		return nil
	case k == 5:
		return ptr(rapid.SampledFrom([]int{-1, secrets.MaxKeepVersions + 1}).Draw(s.t, "badKeep"))
	default:
		return ptr(rapid.IntRange(0, maxModelKeep).Draw(s.t, "keep"))
	}
}

// drawUpdateKeep is the KeepVersions an Update sends: mostly the current
// one (what a client that read the secret sends back), sometimes another.
func (s *state) drawUpdateKeep(cur *mSecret) int {
	k := 0
	if cur != nil {
		k = cur.KeepVersions
	}
	if !s.historyOn() {
		return k
	}
	switch rapid.IntRange(0, 9).Draw(s.t, "updateKeep") {
	case 0:
		return rapid.SampledFrom([]int{-1, secrets.MaxKeepVersions + 1}).Draw(s.t, "badKeep")
	case 1, 2:
		return rapid.IntRange(0, maxModelKeep).Draw(s.t, "keep")
	}
	return k
}

func ptr[T any](v T) *T { return &v }

func validKeep(k int) bool { return k >= 0 && k <= 100 }

// drawVersion picks a version to name: one in the model's history, the
// current one, one past it, one before the window, or not a version.
func (s *state) drawVersion(cur *mSecret) int64 {
	if cur == nil {
		return int64(rapid.IntRange(-1, 3).Draw(s.t, "version"))
	}
	switch k := rapid.IntRange(0, 9).Draw(s.t, "versionKind"); {
	case k == 0:
		return rapid.SampledFrom([]int64{0, -1}).Draw(s.t, "badVersion")
	case k == 1:
		return cur.Version + 1
	case k == 2:
		return max(1, cur.Version-int64(cur.KeepVersions)-1)
	case k <= 4 || len(cur.history) == 1:
		return rapid.SampledFrom(cur.history).Draw(s.t, "historyEntry").Version
	}
	// Mostly an earlier version, where Rollback and Destroy have work.
	return rapid.SampledFrom(cur.history[1:]).Draw(s.t, "earlierEntry").Version
}

// needHistory sees to it that history actions have something to act on:
// when no secret of ns has an earlier version in its window, it usually
// spends the step on a Reset of one that keeps some (or on creating one)
// instead, and reports that it did. Sequences are short; without it Rollback and
// Destroy would mostly meet secrets still at version 1.
func (s *state) needHistory(ns string) bool {
	if !s.historyOn() {
		return false // nothing can keep values: the calls meet version 1s
	}
	var keeping []string
	for _, name := range slices.Sorted(maps.Keys(s.model.ns[ns])) {
		n := s.model.ns[ns][name]
		if len(n.history) > 1 {
			return false
		}
		if n.KeepVersions > 0 {
			keeping = append(keeping, name)
		}
	}
	if rapid.IntRange(0, 2).Draw(s.t, "buildHistory") == 0 {
		return false
	}
	// At most two writes: a create of a secret that keeps values and a
	// reset of it, or a reset of one that keeps values (the other steps'
	// Resets build histories too).
	name := ""
	if len(keeping) == 0 {
		name = s.historyCreate(ns)
	} else {
		name = rapid.SampledFrom(keeping).Draw(s.t, "historyTarget")
	}
	if name != "" && s.model.get(ns, name) != nil {
		s.historyReset(ns, name)
	}
	return true
}

// drawHistoryTarget is drawTarget, mostly among the secrets that have
// earlier versions.
func (s *state) drawHistoryTarget(ns string) (string, *mSecret) {
	var with []string
	for _, name := range slices.Sorted(maps.Keys(s.model.ns[ns])) {
		if len(s.model.ns[ns][name].history) > 1 {
			with = append(with, name)
		}
	}
	if len(with) == 0 || rapid.IntRange(0, 3).Draw(s.t, "historyTargetKind") == 0 {
		return s.drawTarget(ns)
	}
	name := rapid.SampledFrom(with).Draw(s.t, "withHistory")
	return name, s.model.get(ns, name)
}

// historyCreate is a Create by an editor of a valid secret that keeps 1
// to maxModelKeep earlier values, under the usual faults and checks. It
// returns the name, or "" when it created nothing.
func (s *state) historyCreate(ns string) string {
	var free []string
	for _, n := range validNames {
		if s.model.get(ns, n) == nil {
			free = append(free, n)
		}
	}
	if len(free) == 0 || !s.historyOn() {
		return ""
	}
	p := principal{p: rbac.Principal{Kind: rbac.KindUser, ID: "editor", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}}}
	spec := secrets.Spec{Name: rapid.SampledFrom(free).Draw(s.t, "historyName"), Value: secrets.NewValue(leakcheck.NewValue("hist")),
		KeepVersions: ptr(rapid.IntRange(1, maxModelKeep).Draw(s.t, "historyKeep"))}
	where := fmt.Sprintf("Create(%s, %q, keeping %d) by %s, for history", ns, spec.Name, *spec.KeepVersions, p)
	s.t.Logf("%s", where)
	after := s.model.clone()
	after.ns[ns][spec.Name] = s.newSecret(ns, spec.Name, p, spec, []string{defaultDecrypter})
	// No fault: building a history is setup for the step's real call;
	// faults hit Rollback, Destroy and the other steps' writes, and a
	// fault here would add the harness's settling time to every build.
	var a *armed
	cctx, cancel := a.ctx(s.ctxOf(p))
	got, err := s.api.Create(cctx, ns, spec)
	cancel()
	s.settle(where, a, ns, err, errcode.OK, after)
	if err == nil {
		s.checkSecret(where, s.model.get(ns, spec.Name), got)
	}
	return spec.Name
}

// historyReset is a Reset of ns/name by an editor with a valid value,
// under the usual faults and checks.
func (s *state) historyReset(ns, name string) {
	p := principal{p: rbac.Principal{Kind: rbac.KindUser, ID: "editor", Namespace: ns, Roles: []rbac.Role{rbac.RoleEditor}}}
	value := leakcheck.NewValue("hist")
	where := fmt.Sprintf("Reset(%s, %q, revision 0) by %s, for history", ns, name, p)
	s.t.Logf("%s", where)
	after := s.model.clone()
	n := after.get(ns, name)
	n.advance(value, s.clock.now(), p.String())
	n.Revision++
	n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
	// No fault: building a history is setup for the step's real call;
	// faults hit Rollback, Destroy and the other steps' writes, and a
	// fault here would add the harness's settling time to every build.
	var a *armed
	cctx, cancel := a.ctx(s.ctxOf(p))
	got, err := s.api.Reset(cctx, ns, name, secrets.NewValue(value), 0)
	cancel()
	s.settle(where, a, ns, err, errcode.OK, after)
	if err == nil {
		s.checkSecret(where, s.model.get(ns, name), got)
	}
}

func actVersions(s *state) {
	ns := s.drawNS()
	if s.needHistory(ns) {
		return
	}
	p := s.drawPrincipal(ns, rbac.ActionRead)
	name, cur := s.drawHistoryTarget(ns)
	where := fmt.Sprintf("Versions(%s, %q) by %s", ns, name, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	api := s.historyAPI()
	if s.pinnedThroughAPI() && s.unroutable(where, name, func() error { _, err := api.Versions(ctx, ns, name); return err }) {
		return
	}
	if !allowed(p, ns, rbac.ActionRead) {
		s.checkDenied(where, "Versions", func() error { _, err := api.Versions(ctx, ns, name); return err })
		return
	}
	w := errcode.OK
	switch {
	case !validName(name):
		w = errcode.Invalid
	case cur == nil:
		w = errcode.NotFound
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := api.Versions(cctx, ns, name)
	cancel()
	if s.settleRead(where, a, err, w) || err != nil {
		return
	}
	leakcheck.Checkf("result of "+where, got)
	want := make([]secrets.Version, len(cur.history))
	for i, e := range cur.history {
		want[i] = secrets.Version{Version: e.Version, CreateTime: e.CreateTime, CreatedBy: e.CreatedBy,
			Current: i == 0, Revoked: e.Revoked, Destroyed: e.Destroyed}
	}
	if d := cmp.Diff(want, got, secretCmp...); d != "" {
		s.fatalf("%s: versions (-model +got):\n%s", where, d)
	}
	if len(got) > 1 {
		s.h.hist.listed.Add(1)
	}
}

func actRollback(s *state) {
	ns := s.drawNS()
	if s.needHistory(ns) {
		return
	}
	p := s.drawPrincipal(ns, rbac.ActionUpdate)
	name, cur := s.drawHistoryTarget(ns)
	version := s.drawVersion(cur)
	rev := s.drawRev(cur, true)
	where := fmt.Sprintf("Rollback(%s, %q, version %d, revision %d) by %s", ns, name, version, rev, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	api := s.historyAPI()
	call := func(ctx context.Context) (*secrets.Secret, error) { return api.Rollback(ctx, ns, name, version, rev) }
	if s.pinnedThroughAPI() && (s.clientRefuses(where, rev < 0 || version < 1, func() error { _, err := call(ctx); return err }) ||
		s.unroutable(where, name, func() error { _, err := call(ctx); return err })) {
		return
	}
	if !allowed(p, ns, rbac.ActionUpdate) {
		s.checkDenied(where, "Rollback", func() error { _, err := call(ctx); return err })
		return
	}
	w := errcode.OK
	var e mVersion
	switch {
	case version < 1, rev < 0, !validName(name):
		w = errcode.Invalid
	case cur == nil:
		w = errcode.NotFound
	case rev != 0 && rev != cur.Revision:
		w = errcode.Conflict
	default:
		var ok bool
		e, ok = cur.version(version)
		switch {
		case !ok || !e.kept():
			w = errcode.NotFound
		case version == cur.Version:
			w = errcode.FailedPrecondition
		}
	}
	w = hidden(p, ns, w)
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		n := after.get(ns, name)
		n.advance(e.value, s.clock.now(), p.String())
		n.Revision++
		n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := call(cctx)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.h.hist.rollbacks.Add(1)
		s.checkSecret(where, visible(p, ns, s.model.get(ns, name)), got)
	}
}

func actDestroy(s *state) {
	ns := s.drawNS()
	if s.needHistory(ns) {
		return
	}
	p := s.drawPrincipal(ns, rbac.ActionDelete)
	name, cur := s.drawHistoryTarget(ns)
	version := s.drawVersion(cur)
	rev := s.drawRev(cur, true)
	where := fmt.Sprintf("Destroy(%s, %q, version %d, revision %d) by %s", ns, name, version, rev, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	api := s.historyAPI()
	call := func(ctx context.Context) (*secrets.Secret, error) { return api.Destroy(ctx, ns, name, version, rev) }
	if s.pinnedThroughAPI() && (s.clientRefuses(where, rev < 0 || version < 1, func() error { _, err := call(ctx); return err }) ||
		s.unroutable(where, name, func() error { _, err := call(ctx); return err })) {
		return
	}
	if !allowed(p, ns, rbac.ActionDelete) {
		s.checkDenied(where, "Destroy", func() error { _, err := call(ctx); return err })
		return
	}
	w := errcode.OK
	switch {
	case version < 1, rev < 0, !validName(name):
		w = errcode.Invalid
	case cur == nil:
		w = errcode.NotFound
	case rev != 0 && rev != cur.Revision:
		w = errcode.Conflict
	case version == cur.Version:
		w = errcode.FailedPrecondition
	default:
		if e, ok := cur.version(version); !ok || !e.kept() {
			w = errcode.NotFound
		}
	}
	w = hidden(p, ns, w)
	var after *model
	if w == errcode.OK {
		after = s.model.clone()
		n := after.get(ns, name)
		for i := range n.history {
			if n.history[i].Version == version {
				n.history[i].Destroyed, n.history[i].value = true, ""
			}
		}
		n.Revision++
		n.UpdateTime, n.UpdatedBy = s.clock.now(), p.String()
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	got, err := call(cctx)
	cancel()
	s.settle(where, a, ns, err, w, after)
	if err == nil {
		s.h.hist.destroys.Add(1)
		s.checkSecret(where, visible(p, ns, s.model.get(ns, name)), got)
	}
}

// badRefs are malformed pinned references.
var badRefs = []string{"api-key@", "api-key@01", "api-key@0", "api-key@x", "api-key@-1", "api-key@+2", "@1", "api-key@1@1"}

// actRevealPinned reveals "name@N" references: each must give version N's
// value while it is kept, else ErrNotFound, for the same callers as an
// unpinned reveal.
func actRevealPinned(s *state) {
	ns := s.drawNS()
	if s.needHistory(ns) {
		return
	}
	p := s.drawPrincipal(ns, rbac.ActionDecrypt)
	var refs []string
	for range rapid.IntRange(1, 3).Draw(s.t, "pinnedRefs") {
		if rapid.IntRange(0, 7).Draw(s.t, "badRef") == 0 {
			refs = append(refs, rapid.SampledFrom(badRefs).Draw(s.t, "ref"))
			continue
		}
		name, cur := s.drawHistoryTarget(ns)
		refs = append(refs, name+"@"+strconv.FormatInt(max(1, s.drawVersion(cur)), 10))
	}
	where := fmt.Sprintf("Reveal(%s, pinned %q) by %s", ns, refs, p)
	s.t.Logf("%s", where)
	ctx := s.ctxOf(p)
	reveal := func(ctx context.Context) ([]secrets.RevealResult, error) {
		if s.pinnedThroughAPI() {
			return s.reveal(ctx, ns, refs...)
		}
		return s.m.Reveal(ctx, ns, refs...)
	}
	if !allowed(p, ns, rbac.ActionDecrypt) {
		s.checkDenied(where, "Reveal", func() error {
			res, err := reveal(ctx)
			if err == nil && len(res) > 0 && s.pinnedThroughAPI() {
				err = res[0].Err
			}
			return err
		})
		return
	}
	a := s.arm()
	cctx, cancel := a.ctx(ctx)
	res, err := reveal(cctx)
	cancel()
	fired := s.disarm(a, err)
	s.checkTyped(where, err)
	if err != nil {
		if fired && faultErr(a, err) {
			return
		}
		s.fatalf("%s: %v", where, err)
	}
	if len(res) != len(refs) {
		s.fatalf("%s: %d results for %d references", where, len(res), len(refs))
	}
	for i, r := range res {
		ref := refs[i]
		rw := fmt.Sprintf("%s: result %d (%q)", where, i, ref)
		s.checkTyped(rw, r.Err)
		if r.Err != nil && r.Value.Len() != 0 {
			s.fatalf("%s: error %v with a value", rw, r.Err)
		}
		name, v, ok := modelRef(ref)
		var cur *mSecret
		if ok {
			cur = s.model.get(ns, name)
		}
		w := errcode.OK
		var e mVersion
		switch {
		case !ok:
			w = errcode.Invalid
		case cur == nil:
			w = errcode.NotFound
		case !slices.Contains(cur.Decrypters, p.p.ID):
			w = errcode.PermissionDenied
		default:
			var in bool
			if e, in = cur.version(v); !in || !e.kept() {
				w = errcode.NotFound
			}
		}
		w = hidden(p, ns, w)
		if fired && r.Err != nil && codeOf(r.Err) != w && faultErr(a, r.Err) {
			continue
		}
		s.expect(rw, r.Err, w)
		switch {
		case w == errcode.OK && r.Value.DangerouslyExpose() != e.value:
			s.fatalf("%s: revealed another value than the model's version %d", rw, v)
		case w == errcode.OK:
			s.h.hist.pinned.Add(1)
		case cur != nil && v < cur.Version-int64(cur.KeepVersions):
			s.h.hist.fellOut.Add(1)
		}
	}
}

// modelRef is the model's reading of "name@N": a valid name, '@', and a
// decimal N from 1 without sign or leading zeros.
func modelRef(ref string) (string, int64, bool) {
	i := len(ref) - 1
	for i >= 0 && ref[i] >= '0' && ref[i] <= '9' {
		i--
	}
	if i < 0 || ref[i] != '@' || i == len(ref)-1 || ref[i+1] == '0' {
		return "", 0, false
	}
	v, err := strconv.ParseInt(ref[i+1:], 10, 64)
	if err != nil || !validName(ref[:i]) {
		return "", 0, false
	}
	return ref[:i], v, true
}

// diffHistory compares a stored secret's history with the model's: the
// entries, and every kept value's ciphertext, which must exist, carry its
// version and decrypt to the model's value under that version's associated
// data. It returns the value IDs the history keeps besides the current
// one.
func (s *state) diffHistory(b *strings.Builder, ns, name string, want *mSecret, md *storage.Metadata) []string {
	ctx := background()
	if md.KeepVersions != want.KeepVersions {
		fmt.Fprintf(b, "%s/%s: keeps %d versions, the model %d\n", ns, name, md.KeepVersions, want.KeepVersions)
	}
	if len(md.History) != len(want.history) {
		fmt.Fprintf(b, "%s/%s: %d history entries, the model %d\n", ns, name, len(md.History), len(want.history))
		return nil
	}
	var kept []string
	for i, e := range md.History {
		m := want.history[i]
		if e.Version != m.Version || !e.CreateTime.Equal(m.CreateTime) || e.CreatedBy != m.CreatedBy ||
			e.Revoked != m.Revoked || e.Destroyed != m.Destroyed || (e.ValueID != "") != m.kept() {
			fmt.Fprintf(b, "%s/%s: history entry %d is %+v, the model %+v\n", ns, name, i, e, m)
			continue
		}
		if i == 0 {
			if e.ValueID != md.ValueID {
				fmt.Fprintf(b, "%s/%s: the history's current value %q is not the metadata's %q\n", ns, name, e.ValueID, md.ValueID)
			}
			continue // the current value is checked by the caller
		}
		if e.ValueID == "" {
			continue
		}
		kept = append(kept, e.ValueID)
		ct, err := s.h.store.GetCiphertext(ctx, ns, name, e.ValueID)
		if err != nil {
			fmt.Fprintf(b, "%s/%s: kept version %d points at a missing ciphertext (invariant 5): code %v\n", ns, name, e.Version, codeOf(err))
			continue
		}
		leakcheck.Check("stored ciphertext", string(ct.Data))
		if ct.Version != e.Version {
			fmt.Fprintf(b, "%s/%s: kept version %d's ciphertext says version %d\n", ns, name, e.Version, ct.Version)
		}
		pt, err := s.env.Decrypt(ctx, ct.Data, associatedData(ns, name, e.Version, e.ValueID))
		switch {
		case err != nil:
			fmt.Fprintf(b, "%s/%s: kept version %d does not decrypt under its own version: code %v\n", ns, name, e.Version, codeOf(err))
		case string(pt) != m.value:
			fmt.Fprintf(b, "%s/%s: kept version %d holds another value than the model's\n", ns, name, e.Version)
		}
	}
	return kept
}
