package modeltest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
)

type harness struct {
	store *storage.Store
	opts  Options
	runID string

	// managers fixes how many Managers every sequence runs (0: each
	// sequence draws 1 to 3); instanceStore, if set, wraps the store each
	// Manager is given (its process's view of the store). Both are for
	// the mutant tests.
	managers      int
	instanceStore func(*storage.Store) *storage.Store
	// noRaces leaves the Race step out of the draw, so that a sequence
	// replays exactly: which racer wins is the scheduler's choice, not
	// the draw's. For the failfile test.
	noRaces bool

	seq, steps, faults, races, applied, rewraps, kekRemovals, tampers atomic.Int64
	// Of the multi-Manager mode (fleet.go): sequences run by two or three
	// Managers, key promotions and removals made through fleet.Keys,
	// promotions refused because an instance lacked the key, run-token
	// revocations checked on every instance.
	multi, fleetPromotions, fleetRemovals, refusedPromotions, revocations atomic.Int64
	hist                                                                  historyStats
}

// clock is the Manager's fake clock: one instant per step, in whole
// milliseconds so every backend stores it exactly.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance()       { c.mu.Lock(); c.t = c.t.Add(1001 * time.Millisecond); c.mu.Unlock() }

var baseTime = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// state is one sequence.
type state struct {
	t        *rapid.T
	h        *harness
	nsA, nsB string
	// insts are the sequence's Managers, one "process" each; the step's
	// action runs through insts[cur], which m, api, in and env name.
	insts []*instance
	cur   int
	fleet bool // more than one instance: keys rotate through fleet.Keys
	m     *secrets.Manager
	api   API             // m, or Options.API in front of it
	in    *fault.Injector // shared by store, keeper and KEK: one process
	env   *keeper.Envelope
	keks  []string // ids held by every env, the primary last
	// firstKEK is the id of the KEK the sequence starts with.
	firstKEK string
	model    *model
	clock    *clock
	prins    []principal
	keep     int // the Manager's Options.KeepVersions

	dirty    map[string]bool // namespaces written since the last check
	everyEnv bool            // diffStore decrypts with every instance's keeper

	auditMu sync.Mutex
	audits  []rbac.AuditEvent
}

const defaultDecrypter = "runner-1"

func (h *harness) sequence(t *rapid.T) {
	// Two fresh namespaces per sequence. fatalf writes them as ns-a and
	// ns-b, so a failing sequence replays with the same message (rapid
	// compares messages to tell a reproduced failure from a flaky one).
	n := h.seq.Add(1)
	s := &state{
		t:     t,
		h:     h,
		nsA:   fmt.Sprintf("%s-%d-a", h.runID, n),
		nsB:   fmt.Sprintf("%s-%d-b", h.runID, n),
		clock: &clock{t: baseTime},
		dirty: map[string]bool{},
	}
	s.model = newModel(s.nsA, s.nsB)
	t.Cleanup(s.dropNamespaces) // registered first: runs last, after Close
	// A KEK id names one key material: a sequence's first KEK is its own,
	// since the store (and its run-token key records, which a fleet
	// rotation moves) outlives the sequence.
	s.firstKEK = fmt.Sprintf("model-kek-seq%d", n)
	s.keks = []string{s.firstKEK}
	managers := h.managers
	if managers == 0 {
		managers = drawManagers(t)
	}
	s.fleet = managers > 1
	if s.fleet {
		h.multi.Add(1)
	}
	// The Managers' default window; through an API without history
	// none, as historyOn says.
	s.keep = s.drawManagerKeep()
	for i := range managers {
		s.insts = append(s.insts, s.newInstance(i))
	}
	s.use(0)
	s.prins = principals(s.nsA, s.nsB)

	steps := rapid.IntRange(min(5, h.opts.MaxSteps), h.opts.MaxSteps).Draw(t, "steps")
	for i := 0; i < steps; i++ {
		s.clock.advance()
		h.steps.Add(1)
		names := actionNames
		if h.noRaces {
			names = actionNamesWithoutRaces
		}
		act := rapid.SampledFrom(names).Draw(t, "action")
		s.use(s.drawInstance())
		if s.fleet {
			t.Logf("through %s:", s.insts[s.cur].name)
		}
		leaks := leakcheck.Count()
		actions[act](s)
		if n := leakcheck.Count(); n > leaks {
			s.fatalf("step %d (%s) leaked a secret value:\n%v", i+1, act, leakcheck.Leaks()[leaks:])
		}
		// Writes mark their namespace dirty; reads and denials make no
		// store call that could change it (checkDenied counts them), and
		// the final check covers everything.
		if len(s.dirty) > 0 {
			s.checkStore(fmt.Sprintf("after step %d (%s)", i+1, act), slices.Sorted(maps.Keys(s.dirty))...)
			clear(s.dirty)
		}
	}
	// Whatever the faults left, garbage collection restores "no orphans"
	// and keeps every live value.
	// And every instance decrypts every value, whichever instance wrote it
	// under whichever key.
	s.clock.advance()
	s.collectAll()
	s.everyEnv = true
	s.checkStore("after the final CollectGarbage", s.nsA, s.nsB)
	s.everyEnv = false

	// Close: later calls fail with a failed precondition and reach nothing.
	admin := rbac.WithPrincipal(background(), rbac.Principal{Kind: rbac.KindUser, ID: "admin", Namespace: s.nsA, Roles: []rbac.Role{rbac.RoleAdmin}})
	for _, inst := range s.insts {
		if err := inst.m.Close(); err != nil {
			s.fatalf("Close of %s: %v", inst.name, err)
		}
		calls := s.calls()
		_, err := inst.m.Get(admin, s.nsA, "api-key")
		s.expect("Get after Close", err, errcode.FailedPrecondition)
		if s.calls() != calls {
			s.fatalf("Get after Close reached the store or keeper")
		}
	}
}

func (s *state) audit(_ context.Context, e rbac.AuditEvent) {
	s.auditMu.Lock()
	s.audits = append(s.audits, e)
	s.auditMu.Unlock()
}

func (s *state) auditCount() int {
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	return len(s.audits)
}

func (s *state) auditsSince(n int) []rbac.AuditEvent {
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	return slices.Clone(s.audits[n:])
}

func principals(nsA, nsB string) []principal {
	u := func(id, ns string, roles ...rbac.Role) principal {
		return principal{p: rbac.Principal{Kind: rbac.KindUser, ID: id, Namespace: ns, Roles: roles}}
	}
	svc := func(id, ns string, roles ...rbac.Role) principal {
		return principal{p: rbac.Principal{Kind: rbac.KindService, ID: id, Namespace: ns, Roles: roles}}
	}
	return []principal{
		u("admin", nsA, rbac.RoleAdmin),
		u("editor", nsA, rbac.RoleEditor),
		u("editor", nsA, rbac.RoleEditor),
		u("viewer", nsA, rbac.RoleViewer),
		u("reader", nsA, rbac.RoleSecureValuesReader),
		u("creator", nsA, rbac.RoleCreator),
		u("updater", nsA, rbac.RoleUpdater),
		u("deleter", nsA, rbac.RoleDeleter),
		u("multi", nsA, rbac.RoleViewer, rbac.RoleCreator, rbac.RoleUpdater, rbac.RoleSecureValuesReader),
		svc("runner-1", nsA, rbac.RoleDecrypter),
		svc("runner-1", nsA, rbac.RoleDecrypter),
		svc("runner-2", nsA, rbac.RoleDecrypter),
		svc("svc-editor", nsA, rbac.RoleEditor),
		u("user-decrypter", nsA, rbac.RoleDecrypter),
		{anonymous: true},
		{p: rbac.Principal{ID: "ghost", Namespace: nsA, Roles: []rbac.Role{rbac.RoleAdmin}}}, // no kind
		u("admin", nsB, rbac.RoleAdmin),
		svc("runner-1", nsB, rbac.RoleDecrypter),
		svc("runner-2", nsB, rbac.RoleDecrypter, rbac.RoleEditor),
	}
}

func (s *state) ctxOf(p principal) context.Context {
	if p.anonymous {
		return background()
	}
	return rbac.WithPrincipal(background(), p.p)
}

// drawPrincipal picks a caller; half of the time one that is allowed to do
// the action in ns, so sequences get somewhere.
func (s *state) drawPrincipal(ns string, a rbac.Action) principal {
	if rapid.Bool().Draw(s.t, "allowedCaller") {
		var ok []principal
		for _, p := range s.prins {
			if allowed(p, ns, a) {
				ok = append(ok, p)
			}
		}
		if len(ok) > 0 {
			return ok[rapid.IntRange(0, len(ok)-1).Draw(s.t, "caller")]
		}
	}
	return s.prins[rapid.IntRange(0, len(s.prins)-1).Draw(s.t, "caller")]
}

func (s *state) drawNS() string {
	if rapid.IntRange(0, 5).Draw(s.t, "nsB") == 0 {
		return s.nsB
	}
	return s.nsA
}

var (
	validNames   = []string{"api-key", "db_pass", "Token-2", "x", "api-key-2"}
	invalidNames = []string{"", "bad name", "dot.name", "slash/name", strings.Repeat("n", 254), "ünï"}
	decrypterIDs = []string{"runner-1", "runner-2", "svc-editor", "user-decrypter"}
	labelKeys    = []string{"env", "team", "app.kubernetes.io"}
	labelValues  = []string{"prod", "dev", "a.b", ""}
	selectors    = []string{"", "env=prod", "env=dev", " team = dev , env=prod ", "env=", "app.kubernetes.io=a.b",
		"env=prod,env=prod", "env", "env=prod,env=dev", "bad key=x", "=x"}
	pageSizes = []int{0, 1, 2, 3, 1000, 1001, -1}
)

func (s *state) drawName() string {
	if rapid.IntRange(0, 11).Draw(s.t, "invalidName") == 0 {
		return rapid.SampledFrom(invalidNames).Draw(s.t, "name")
	}
	return rapid.SampledFrom(validNames).Draw(s.t, "name")
}

func (s *state) drawValue() string {
	switch rapid.IntRange(0, 15).Draw(s.t, "valueKind") {
	case 0:
		return ""
	case 1:
		return leakcheck.NewValue("bin") + "\xff\xfe"
	case 2:
		return leakcheck.NewValue("big") + strings.Repeat("z", 24*1024)
	case 3:
		v := leakcheck.NewValue("max")
		return v + strings.Repeat("m", 24*1024-len(v)) // exactly at the limit
	case 4:
		return leakcheck.NewValue("ütf8-✓")
	}
	return leakcheck.NewValue("v")
}

func (s *state) drawLabels() map[string]string {
	switch rapid.IntRange(0, 9).Draw(s.t, "labelsKind") {
	case 0:
		return nil
	case 1:
		l := map[string]string{}
		for i := range 11 {
			l[fmt.Sprintf("k%d", i)] = "v"
		}
		return l
	case 2:
		return map[string]string{"bad key": "x"}
	case 3:
		return map[string]string{"env": "bad value"}
	case 4:
		return map[string]string{"env": strings.Repeat("v", 64)}
	}
	l := map[string]string{}
	for _, k := range labelKeys {
		if rapid.Bool().Draw(s.t, "hasLabel") {
			l[k] = rapid.SampledFrom(labelValues).Draw(s.t, "labelValue")
		}
	}
	return l
}

func (s *state) drawDescription() string {
	switch rapid.IntRange(0, 9).Draw(s.t, "descKind") {
	case 0:
		return strings.Repeat("é", 253)
	case 1:
		return strings.Repeat("d", 254)
	case 2:
		return "bad \xff utf8"
	case 3, 4:
		return ""
	}
	return rapid.SampledFrom([]string{"checkout API", "database", "ünïcode ✓"}).Draw(s.t, "desc")
}

// drawDecrypters returns nil (the default), or a list, sometimes invalid.
func (s *state) drawDecrypters() []string {
	switch rapid.IntRange(0, 9).Draw(s.t, "decryptersKind") {
	case 0:
		return nil
	case 1:
		return []string{}
	case 2:
		return []string{"runner-1", "runner-1"}
	case 3:
		return []string{"bad id"}
	}
	return rapid.SliceOfNDistinct(rapid.SampledFrom(decrypterIDs), 1, 3, rapid.ID[string]).Draw(s.t, "decrypters")
}

// drawRevision returns a revision to pass: current, 0 ("whatever is
// current"), stale, future or negative.
func (s *state) drawRevision(cur int64, allowZero bool) int64 {
	k := rapid.IntRange(0, 9).Draw(s.t, "revisionKind")
	switch {
	case k == 0:
		return cur - 1
	case k == 1:
		return cur + 1
	case k == 2:
		return -1
	case k <= 4 && allowZero:
		return 0
	}
	return cur
}

// ---------------------------------------------------------------------------
// Expectations and checks

func (s *state) fatalf(format string, args ...any) {
	s.t.Helper()
	msg := fmt.Sprintf(format, args...)
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, s.nsA, "ns-a"), s.nsB, "ns-b")
	s.t.Fatal(msg)
}

// checkTyped fails unless err is nil, a context error, or carries one of
// the codes in its chain; it also runs the leak check on it.
func (s *state) checkTyped(where string, err error) {
	s.t.Helper()
	if err == nil {
		return
	}
	leakcheck.CheckError("error of "+where, err)
	if errcode.IsContext(err) {
		return
	}
	c := secrets.ErrorCode(err)
	if c == nil || !errors.Is(err, c) {
		s.fatalf("%s: untyped error %q (code %v)", where, err, c)
	}
}

func codeOf(err error) errcode.Code { return errcode.Of(err) }

func (s *state) expect(where string, err error, want want) {
	s.t.Helper()
	s.checkTyped(where, err)
	if want == errcode.OK {
		if err != nil {
			s.fatalf("%s: unexpected error %v", where, err)
		}
		return
	}
	if err == nil || codeOf(err) != want || !errors.Is(err, want) {
		s.fatalf("%s: got error %v, want code %q", where, err, want)
	}
}

// checkDenied runs a call the model denies and checks it failed with
// ErrPermissionDenied before any store, keeper or key call, and was
// audited as a denial.
func (s *state) checkDenied(where, op string, call func() error) {
	s.t.Helper()
	calls, audits := s.calls(), s.auditCount()
	err := call()
	s.expect(where, err, errcode.PermissionDenied)
	if d := s.calls() - calls; d != 0 {
		s.fatalf("%s: %d store/keeper/KEK calls before the denial (invariant 6)", where, d)
	}
	evs := s.auditsSince(audits)
	if s.h.opts.API != nil {
		// Through an API, a request refused in front of the Manager
		// (unauthenticated) reaches no Manager auditor, and events of an
		// earlier request the client gave up on may arrive late; the runs
		// without an API check the Manager's audit.
		return
	}
	if len(evs) == 0 || evs[len(evs)-1].Outcome != "denied" || evs[len(evs)-1].Operation != op {
		s.fatalf("%s: denial not audited: %+v", where, evs)
	}
}

// wantSecret is the Secret the Manager must return for a model secret.
func wantSecret(m *mSecret) *secrets.Secret {
	return &secrets.Secret{
		Namespace: m.Namespace, Name: m.Name, Description: m.Description,
		Labels: maps.Clone(m.Labels), Decrypters: slices.Clone(m.Decrypters),
		Version: m.Version, Revoked: m.Revoked, Revision: m.Revision,
		CreateTime: m.CreateTime, UpdateTime: m.UpdateTime,
		CreatedBy: m.CreatedBy, UpdatedBy: m.UpdatedBy,
		KeepVersions: m.KeepVersions,
	}
}

var secretCmp = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

func (s *state) checkSecret(where string, want *mSecret, got *secrets.Secret) {
	s.t.Helper()
	leakcheck.Checkf("result of "+where, got)
	if d := cmp.Diff(wantSecret(want), got, secretCmp...); d != "" {
		s.fatalf("%s: secret (-want +got):\n%s", where, d)
	}
}

// ---------------------------------------------------------------------------
// Store checks: the model against what is really stored.

func listAllMetadata(ctx context.Context, st *storage.Store, ns string) ([]*storage.Metadata, error) {
	var all []*storage.Metadata
	token := ""
	for range 100 {
		page, next, err := st.ListMetadata(ctx, ns, storage.ListOptions{PageSize: storage.MaxPageSize, PageToken: token})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		token = next
	}
	return nil, fmt.Errorf("ListMetadata does not end")
}

func listAllCiphertexts(ctx context.Context, st *storage.Store, ns string) ([]storage.CiphertextRef, error) {
	var all []storage.CiphertextRef
	token := ""
	for range 100 {
		page, next, err := st.ListCiphertexts(ctx, ns, storage.MaxPageSize, token)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		token = next
	}
	return nil, fmt.Errorf("ListCiphertexts does not end")
}

func storedSecret(md *storage.Metadata) *secrets.Secret {
	return &secrets.Secret{
		Namespace: md.Namespace, Name: md.Name, Description: md.Description,
		Labels: md.Labels, Decrypters: md.Decrypters, Version: md.Version,
		Revoked: md.Revoked, Revision: md.Revision, CreateTime: md.CreateTime,
		UpdateTime: md.UpdateTime, CreatedBy: md.CreatedBy, UpdatedBy: md.UpdatedBy,
		KeepVersions: md.KeepVersions,
	}
}

// diffStore compares the store with m in the given namespaces (none: the
// dirty ones) and returns the differences and broken invariants ("" when
// none).
func (s *state) diffStore(m *model, namespaces ...string) string {
	ctx := background()
	var b strings.Builder
	if len(namespaces) == 0 {
		namespaces = slices.Sorted(maps.Keys(s.dirty))
	}
	for _, ns := range namespaces {
		mds, err := listAllMetadata(ctx, s.h.store, ns)
		if err != nil {
			return fmt.Sprintf("ListMetadata(%s): %v", ns, err)
		}
		got := map[string]*storage.Metadata{}
		for _, md := range mds {
			got[md.Name] = md
			leakcheck.Checkf("stored metadata", md)
		}
		live := 0
		for name, want := range m.ns[ns] {
			md, ok := got[name]
			if !ok {
				fmt.Fprintf(&b, "%s/%s: in the model, not in the store\n", ns, name)
				continue
			}
			if d := cmp.Diff(wantSecret(want), storedSecret(md), secretCmp...); d != "" {
				fmt.Fprintf(&b, "%s/%s: stored metadata (-model +store):\n%s", ns, name, d)
			}
			// Kept values count as live ciphertexts.
			live += len(s.diffHistory(&b, ns, name, want, md))
			if md.Revoked {
				if md.ValueID != "" {
					fmt.Fprintf(&b, "%s/%s: revoked but points at a value\n", ns, name)
				}
				continue
			}
			live++
			if md.ValueID == "" {
				fmt.Fprintf(&b, "%s/%s: live secret without a value id\n", ns, name)
				continue
			}
			ct, err := s.h.store.GetCiphertext(ctx, ns, name, md.ValueID)
			if err != nil {
				fmt.Fprintf(&b, "%s/%s: metadata points at a missing ciphertext (invariant 5): code %v\n", ns, name, codeOf(err))
				continue
			}
			leakcheck.Check("stored ciphertext", string(ct.Data))
			if ct.Version != md.Version {
				fmt.Fprintf(&b, "%s/%s: ciphertext version %d, metadata version %d\n", ns, name, ct.Version, md.Version)
			}
			envs := []*keeper.Envelope{s.env}
			if s.everyEnv {
				envs = envs[:0]
				for _, inst := range s.insts {
					envs = append(envs, inst.env)
				}
			}
			for i, env := range envs {
				pt, err := env.Decrypt(ctx, ct.Data, associatedData(ns, name, md.Version, md.ValueID))
				switch {
				case err != nil:
					fmt.Fprintf(&b, "%s/%s: stored ciphertext does not decrypt (keeper %d): code %v\n", ns, name, i, codeOf(err))
				case string(pt) != want.value:
					fmt.Fprintf(&b, "%s/%s: stored value differs from the model's (lost or foreign write; keeper %d)\n", ns, name, i)
				}
			}
		}
		for name := range got {
			if m.ns[ns][name] == nil {
				fmt.Fprintf(&b, "%s/%s: in the store, not in the model\n", ns, name)
			}
		}
		refs, err := listAllCiphertexts(ctx, s.h.store, ns)
		if err != nil {
			return fmt.Sprintf("ListCiphertexts(%s): %v", ns, err)
		}
		if len(refs) < live || (!m.orphans[ns] && len(refs) != live) {
			fmt.Fprintf(&b, "%s: %d ciphertexts for %d live secrets (orphans allowed: %v)\n", ns, len(refs), live, m.orphans[ns])
		}
	}
	return b.String()
}

func (s *state) checkStore(where string, namespaces ...string) {
	s.t.Helper()
	if d := s.diffStore(s.model, namespaces...); d != "" {
		s.fatalf("%s: store differs from the model:\n%s", where, d)
	}
}

// collectAll removes orphans in both namespaces as an admin.
func (s *state) collectAll() {
	s.t.Helper()
	for _, ns := range []string{s.nsA, s.nsB} {
		ctx := rbac.WithPrincipal(background(), rbac.Principal{Kind: rbac.KindUser, ID: "gc", Namespace: ns, Roles: []rbac.Role{rbac.RoleAdmin}})
		if _, err := s.m.CollectGarbage(ctx, ns, -1); err != nil {
			s.fatalf("CollectGarbage(%s): %v", ns, err)
		}
	}
	clear(s.model.orphans)
}

// reveal is Manager.Reveal, or one RevealValue per name through an API in
// front of the Manager.
func (s *state) reveal(ctx context.Context, ns string, names ...string) ([]secrets.RevealResult, error) {
	if s.h.opts.API == nil {
		return s.m.Reveal(ctx, ns, names...)
	}
	res := make([]secrets.RevealResult, len(names))
	for i, name := range names {
		v, err := s.api.RevealValue(ctx, ns, name)
		if errcode.IsContext(err) {
			return nil, err
		}
		res[i] = secrets.RevealResult{Name: name, Value: v, Err: err}
	}
	return res, nil
}

// associatedData is the model's own reading of the secrets package's
// associated-data format (secrets/aad.go): the format tag, then namespace,
// name, decimal version and value id, NUL-separated. Written here again,
// not imported, so that a change to the stored format fails the model.
func associatedData(ns, name string, version int64, valueID string) []byte {
	return []byte("strongbox/aad/v1\x00" + ns + "\x00" + name + "\x00" + strconv.FormatInt(version, 10) + "\x00" + valueID)
}
