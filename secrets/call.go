package secrets

// The call machinery: every exported Manager method is one call that
// begins (Close gate, namespace check, authorization before anything
// touches storage or keys), runs, is audited once and has its error wrapped
// once with the operation.

import (
	"context"
	"errors"
	"fmt"
	"github.com/strongbox-go/strongbox/internal/names"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/gate"
	"github.com/strongbox-go/strongbox/internal/redactinput"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/storage"
)

// Options configures a Manager. Store and Keeper are required; every other
// zero value has a documented default.
type Options struct {
	// Store keeps metadata and ciphertexts. The Manager does not close it.
	Store *storage.Store
	// Keeper encrypts values. The Manager does not close it.
	Keeper keeper.Keeper
	// Authorizer decides who may do what; nil means
	// rbac.NewRoleAuthorizer(nil), the table of rbac.DefaultRoles.
	Authorizer rbac.Authorizer
	// Auditor receives one event per decision; nil discards them. It
	// must be safe for concurrent use and should not block for long.
	// (Package httpapi's RequestAuditor receives one event per HTTP request
	// instead.)
	Auditor func(context.Context, rbac.AuditEvent)
	// DefaultDecrypters are the service identities that may decrypt a new
	// secret whose Spec.Decrypters is nil. Nil means nobody.
	DefaultDecrypters []string
	// Clock gives the time the Manager stamps on secrets (CreateTime,
	// UpdateTime) and audit events and measures garbage-collection ages
	// against; nil means time.Now.
	Clock func() time.Time
	// KeepVersions is how many earlier values a new secret keeps when its
	// Spec.KeepVersions is nil, 0 to MaxKeepVersions. 0, the default,
	// keeps none: a reset drops the old value, as before value history,
	// so an embedder never keeps old values by surprise. (strongbox serve
	// defaults to 3.)
	KeepVersions int
	// MeterProvider receives the Manager's metrics (see # Metrics in the
	// package doc); nil means otel.GetMeterProvider(), the global one.
	MeterProvider metric.MeterProvider `json:"-"`
}

// Manager is the portable API over a Store and a Keeper: it authorizes,
// validates, encrypts and stores. It is safe for concurrent use.
type Manager struct {
	store      *storage.Store
	keeper     keeper.Keeper
	authz      rbac.Authorizer
	auditor    func(context.Context, rbac.AuditEvent)
	decrypters []string
	// keepVersions is Options.KeepVersions.
	keepVersions int
	now          func() time.Time
	metrics      *managerMetrics

	gate gate.Gate // the Close gate
}

// New returns a Manager. It fails with ErrInvalid when Store or Keeper is
// missing or DefaultDecrypters is malformed.
func New(opts Options) (*Manager, error) {
	const op = "secrets.New"
	if opts.Store == nil || opts.Keeper == nil {
		return nil, errcode.New(errcode.Invalid, op, "Options.Store and Options.Keeper are required")
	}
	if err := validateDecrypters(opts.DefaultDecrypters); err != nil {
		return nil, errcode.Wrap(errcode.Invalid, op, err)
	}
	if err := validateKeepVersions(opts.KeepVersions); err != nil {
		return nil, errcode.Wrap(errcode.Invalid, op, err)
	}
	m := &Manager{
		store:        opts.Store,
		keeper:       opts.Keeper,
		authz:        opts.Authorizer,
		auditor:      opts.Auditor,
		decrypters:   slices.Clone(opts.DefaultDecrypters),
		keepVersions: opts.KeepVersions,
		gate:         gate.Gate{What: "manager"},
		now:          opts.Clock,
		metrics:      newManagerMetrics(opts.MeterProvider),
	}
	if m.authz == nil {
		m.authz = rbac.NewRoleAuthorizer(nil)
	}
	if m.auditor == nil {
		m.auditor = func(context.Context, rbac.AuditEvent) {}
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Close waits for calls in flight and makes later calls fail with
// ErrFailedPrecondition. It does not close the Store or the Keeper.
func (m *Manager) Close() error {
	m.gate.Close()
	return nil
}

// call is the state of one Manager call: its operation name and caller.
type call struct {
	m      *Manager
	op     string // "Create", "Reveal", ...
	ns     string
	action rbac.Action
	p      rbac.Principal
	// decrypters is set on calls that set or change a secret's
	// decrypters; its event says so (see rbac.AuditEvent).
	decrypters *decrypterChange
	// all marks a scan of every namespace (ns is ""); allowed holds the
	// namespaces it was authorized in so far (see eachPage).
	all     bool
	allowed map[string]bool
}

// decrypterChange is a secret's decrypters before and after a call.
type decrypterChange struct {
	action        rbac.Action // the action that decides the change
	before, after []string
}

// begin registers a call in flight, checks the namespace and authorizes the
// caller before anything touches storage or keys (deny by default). The
// caller must call end when begin succeeds.
func (m *Manager) begin(ctx context.Context, op, ns string, action rbac.Action, names ...string) (*call, error) {
	if err := m.gate.Enter("secrets." + op); err != nil {
		return nil, err
	}

	p, _ := rbac.PrincipalFrom(ctx)
	c := &call{m: m, op: op, ns: ns, action: action, p: p}
	if err := ctx.Err(); err != nil {
		c.end()
		return nil, err
	}
	if err := m.authz.Authorize(ctx, p, ns, action); err != nil {
		c.audit(ctx, names, err)
		c.end()
		if errcode.IsContext(err) {
			return nil, err
		}
		return nil, errcode.Wrap(errcode.PermissionDenied, "secrets."+op, err)
	}
	if err := validateNamespace(ns); err != nil {
		c.audit(ctx, names, err)
		c.end()
		return nil, c.wrap(err)
	}
	return c, nil
}

func (c *call) end() { c.m.gate.Leave() }

// wrap gives err the call's operation, keeping its code; context errors pass
// through unchanged. It is the one place errors are wrapped.
func (c *call) wrap(err error) error {
	if err == nil || errcode.IsContext(err) {
		return err
	}
	var e *errcode.Error
	if errors.As(err, &e) && e.Op == "secrets."+c.op {
		return err
	}
	return &errcode.Error{Code: errcode.Of(err), Op: "secrets." + c.op, Err: err}
}

// audit records the outcome of the call for the given names. Names and the
// namespace are caller input: those that are not well formed are recorded
// as a length and a hash (redactinput.Describe), and at most
// maxRevealNames names are recorded.
func (c *call) audit(ctx context.Context, names []string, err error) {
	e := rbac.AuditEvent{
		Time:      c.m.now().UTC(),
		Principal: c.p.String(),
		Namespace: auditNamespace(c.ns, c.all),
		Action:    c.action,
		Operation: c.op,
		Names:     auditNames(names),
		Outcome:   "allowed",
	}
	if d := c.decrypters; d != nil {
		e.Action = d.action
		e.DecryptersBefore = slices.Clone(d.before)
		e.DecryptersAfter = slices.Clone(d.after)
	}
	if err != nil {
		e.Outcome = "failed"
		if errcode.Of(err) == errcode.PermissionDenied {
			e.Outcome = "denied"
		}
		e.Code = errcode.Of(err).String()
	}
	c.m.auditor(ctx, e)
}

// finish audits and wraps the result of a call that named one secret.
func (c *call) finish(ctx context.Context, name string, err error) error {
	c.audit(ctx, []string{name}, err)
	return c.wrap(err)
}

// finishHidden is finish for calls on one existing secret (Update, Reset,
// Revoke, Delete, each name of Reveal): the audit records err, and the
// caller gets err hidden as by hide.
func (c *call) finishHidden(ctx context.Context, name string, err error) error {
	c.audit(ctx, []string{name}, err)
	return c.wrap(c.hide(ctx, name, err))
}

// hide keeps a caller that may not read the namespace from learning which
// names exist: every refusal that depends on the stored secret (not found,
// a conflict on its revision, a per-secret permission such as not being a
// decrypter or not being allowed to change decrypters) becomes the one
// not-found error a missing secret gives such a caller. Callers with read
// get err unchanged; so do other errors (invalid input, unavailable...),
// which do not depend on whether the name exists.
func (c *call) hide(ctx context.Context, name string, err error) error {
	if err == nil || errcode.IsContext(err) {
		return err
	}
	switch errcode.Of(err) {
	case errcode.NotFound, errcode.Conflict:
	case errcode.PermissionDenied:
		// Only the Manager's own per-secret denials depend on the secret;
		// a key service refusing the KEK says nothing about the name.
		var d *secretDenial
		if !errors.As(err, &d) {
			return err
		}
	default:
		return err
	}
	if c.m.authz.Authorize(ctx, c.p, c.ns, rbac.ActionRead) == nil {
		return err
	}
	return notFound(c.ns, name)
}

// secretDenial marks a refusal that depends on the stored secret (not a
// decrypter of it, may not change its decrypters), which hide may turn
// into not found.
type secretDenial struct{ err error }

func (d *secretDenial) Error() string { return d.err.Error() }
func (d *secretDenial) Unwrap() error { return d.err }

// visible trims the result of a write for a caller that may not read the
// namespace (an Updater without Reader): it learns what its own write
// decided (name, version, revoked state, the revision to pass next, when and
// by whom), not the description, labels, decrypters or creator it could not
// Get.
func (c *call) visible(ctx context.Context, s *Secret) *Secret {
	if s == nil || c.m.authz.Authorize(ctx, c.p, c.ns, rbac.ActionRead) == nil {
		return s
	}
	return &Secret{Namespace: s.Namespace, Name: s.Name, Version: s.Version, Revoked: s.Revoked,
		Revision: s.Revision, UpdateTime: s.UpdateTime, UpdatedBy: s.UpdatedBy}
}

// notFound is the error a caller without read gets for a name it may not
// see, whether or not it exists. It says nothing about revisions.
func notFound(ns, name string) error {
	return errcode.New(errcode.NotFound, "", fmt.Sprintf("no secret %s in namespace %q for this caller", quoteName(name), ns))
}

// quoteName quotes a valid name (or name@N reference) and describes an
// invalid one.
func quoteName(name string) string {
	if !validRef(name) {
		return redactinput.Describe("name", name)
	}
	return strconv.Quote(name)
}

// validRef reports whether s is a valid name or name@N reference.
func validRef(s string) bool {
	if validateName(s) == nil {
		return true
	}
	_, _, err := names.ParseRef(s)
	return err == nil
}

// auditNamespace is the namespace an event records: "" for a scan of all
// namespaces.
func auditNamespace(ns string, all bool) string {
	if all {
		return ""
	}
	if validateNamespace(ns) != nil {
		return redactinput.Describe("namespace", ns)
	}
	return ns
}

func auditNames(names []string) []string {
	if names == nil {
		return nil
	}
	out := make([]string, 0, min(len(names), maxRevealNames))
	for _, n := range names[:min(len(names), maxRevealNames)] {
		if !validRef(n) {
			n = redactinput.Describe("name", n)
		}
		out = append(out, n)
	}
	return out
}
