package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/strongbox-go/strongbox/internal/errcode"
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
	// rbac.NewRoleAuthorizer(nil), the role table of DESIGN.md.
	Authorizer rbac.Authorizer
	// Auditor receives one event per decision; nil discards them.
	Auditor rbac.Auditor
	// DefaultDecrypters are the service identities that may decrypt a new
	// secret whose Spec.Decrypters is nil. Nil means nobody.
	DefaultDecrypters []string
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
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
	auditor    rbac.Auditor
	decrypters []string
	now        func() time.Time
	metrics    *managerMetrics

	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
}

// New returns a Manager. It fails with ErrInvalid when Store or Keeper is
// missing or DefaultDecrypters is malformed.
func New(opts Options) (*Manager, error) {
	const op = "secrets.New"
	if opts.Store == nil || opts.Keeper == nil {
		return nil, errcode.New(errcode.Invalid, op, "Options.Store and Options.Keeper are required")
	}
	if err := ValidateDecrypters(opts.DefaultDecrypters); err != nil {
		return nil, errcode.Wrap(errcode.Invalid, op, err)
	}
	m := &Manager{
		store:      opts.Store,
		keeper:     opts.Keeper,
		authz:      opts.Authorizer,
		auditor:    opts.Auditor,
		decrypters: slices.Clone(opts.DefaultDecrypters),
		now:        opts.Now,
		metrics:    newManagerMetrics(opts.MeterProvider),
	}
	if m.authz == nil {
		m.authz = rbac.NewRoleAuthorizer(nil)
	}
	if m.auditor == nil {
		m.auditor = rbac.AuditorFunc(func(context.Context, rbac.AuditEvent) {})
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Close waits for calls in flight and makes later calls fail with
// ErrFailedPrecondition. It does not close the Store or the Keeper.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.inflight.Wait()
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
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return nil, errcode.New(errcode.FailedPrecondition, "secrets."+op, "manager is closed")
	}
	m.inflight.Add(1)
	m.mu.RUnlock()

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
	if err := ValidateNamespace(ns); err != nil {
		c.audit(ctx, names, err)
		c.end()
		return nil, c.wrap(err)
	}
	return c, nil
}

func (c *call) end() { c.m.inflight.Done() }

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
// MaxRevealNames names are recorded.
func (c *call) audit(ctx context.Context, names []string, err error) {
	e := rbac.AuditEvent{
		Time:      c.m.now().UTC(),
		Principal: c.p.String(),
		Namespace: auditNamespace(c.ns),
		Action:    c.action,
		Operation: c.op,
		Names:     auditNames(names),
		Outcome:   rbac.OutcomeAllowed,
	}
	if d := c.decrypters; d != nil {
		e.Action = d.action
		e.DecryptersBefore = slices.Clone(d.before)
		e.DecryptersAfter = slices.Clone(d.after)
	}
	if err != nil {
		e.Outcome = rbac.OutcomeFailed
		if errcode.Of(err) == errcode.PermissionDenied {
			e.Outcome = rbac.OutcomeDenied
		}
		e.Code = errcode.Of(err).String()
	}
	c.m.auditor.Audit(ctx, e)
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

// quoteName quotes a valid name and describes an invalid one.
func quoteName(name string) string {
	if ValidateName(name) != nil {
		return redactinput.Describe("name", name)
	}
	return strconv.Quote(name)
}

func auditNamespace(ns string) string {
	if ValidateNamespace(ns) != nil {
		return redactinput.Describe("namespace", ns)
	}
	return ns
}

func auditNames(names []string) []string {
	if names == nil {
		return nil
	}
	out := make([]string, 0, min(len(names), MaxRevealNames))
	for _, n := range names[:min(len(names), MaxRevealNames)] {
		if ValidateName(n) != nil {
			n = redactinput.Describe("name", n)
		}
		out = append(out, n)
	}
	return out
}

// sameSet reports whether a and b list the same ids, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// AssociatedData is what binds a ciphertext to its place: namespace, name,
// version and value id, each NUL-terminated after a format tag. Names and
// namespaces cannot contain NUL, so the encoding is unambiguous.
func AssociatedData(namespace, name string, version int64, valueID string) []byte {
	b := make([]byte, 0, 16+len(namespace)+len(name)+20+len(valueID))
	b = append(b, "strongbox/aad/v1\x00"...)
	b = append(b, namespace...)
	b = append(b, 0)
	b = append(b, name...)
	b = append(b, 0)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, 0)
	b = append(b, valueID...)
	return b
}

func newValueID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errcode.Wrap(errcode.Internal, "secrets.newValueID", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// newCiphertext encrypts v for (ns, name, version) under a fresh value id.
func (m *Manager) newCiphertext(ctx context.Context, ns, name string, version int64, v Value) (*storage.Ciphertext, error) {
	valueID, err := newValueID()
	if err != nil {
		return nil, err
	}
	pt := []byte(v.str())
	data, err := m.keeper.Encrypt(ctx, pt, AssociatedData(ns, name, version, valueID))
	clear(pt) // the Value keeps the one copy the caller gave
	if err != nil {
		return nil, err
	}
	return &storage.Ciphertext{
		Namespace: ns, Name: name, ValueID: valueID, Version: version,
		Data: data, CreateTime: m.now().UTC(),
	}, nil
}

// Create stores a new secret and returns its metadata. The caller needs the
// create permission. It fails with ErrInvalid for input outside the limits,
// ErrAlreadyExists when the name is taken; nothing is stored on failure.
func (m *Manager) Create(ctx context.Context, namespace string, spec Spec) (*Secret, error) {
	c, err := m.begin(ctx, "Create", namespace, rbac.ActionCreate, spec.Name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	s, err := m.create(ctx, c, spec)
	return s, c.finish(ctx, spec.Name, err)
}

func (m *Manager) create(ctx context.Context, c *call, spec Spec) (*Secret, error) {
	decrypters := spec.Decrypters
	if decrypters == nil {
		decrypters = m.decrypters
	}
	if err := validateSpec(spec, decrypters); err != nil {
		return nil, err
	}
	// The creator supplies the value, so it chooses who may decrypt it
	// with the create permission alone; the event records the choice.
	c.decrypters = &decrypterChange{action: c.action, after: slices.Clone(decrypters)}
	ct, err := m.newCiphertext(ctx, c.ns, spec.Name, 1, spec.Value)
	if err != nil {
		return nil, err
	}
	now := m.now().UTC()
	md := &storage.Metadata{
		Namespace:   c.ns,
		Name:        spec.Name,
		Description: spec.Description,
		Labels:      cloneLabels(spec.Labels),
		Decrypters:  slices.Clone(decrypters),
		Version:     1,
		ValueID:     ct.ValueID,
		CreateTime:  now,
		UpdateTime:  now,
		CreatedBy:   c.p.String(),
		UpdatedBy:   c.p.String(),
	}
	// One transaction, or the ciphertext first: a crash leaves at worst an
	// orphan for CollectGarbage, never metadata pointing at nothing.
	md, err = m.store.CreateWithCiphertext(ctx, md, ct)
	if err != nil {
		if errcode.Of(err) == errcode.AlreadyExists {
			return nil, alreadyExists(c.ns, spec.Name)
		}
		return nil, err
	}
	return secretFromMetadata(md), nil
}

func alreadyExists(ns, name string) error {
	return errcode.New(errcode.AlreadyExists, "", fmt.Sprintf("secret %q already exists in namespace %q", name, ns))
}

func validateSpec(spec Spec, decrypters []string) error {
	for _, err := range []error{
		ValidateName(spec.Name),
		ValidateDescription(spec.Description),
		ValidateLabels(spec.Labels),
		ValidateDecrypters(decrypters),
		ValidateValue(spec.Value),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func cloneLabels(l map[string]string) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[k] = v
	}
	return out
}

// Get returns the metadata of one secret (never its value). The caller needs
// the read permission.
func (m *Manager) Get(ctx context.Context, namespace, name string) (*Secret, error) {
	c, err := m.begin(ctx, "Get", namespace, rbac.ActionRead, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	md, err := m.getMetadata(ctx, c.ns, name)
	if err != nil {
		return nil, c.finish(ctx, name, err)
	}
	return secretFromMetadata(md), c.finish(ctx, name, nil)
}

func (m *Manager) getMetadata(ctx context.Context, ns, name string) (*storage.Metadata, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	return m.store.GetMetadata(ctx, ns, name)
}

// List returns one page of a namespace's secrets, ordered by name, filtered
// by an optional label selector. The caller needs the read permission.
func (m *Manager) List(ctx context.Context, namespace string, opts ListOptions) (*ListResult, error) {
	c, err := m.begin(ctx, "List", namespace, rbac.ActionRead)
	if err != nil {
		return nil, err
	}
	defer c.end()
	res, err := m.list(ctx, c, opts)
	c.audit(ctx, nil, err)
	return res, c.wrap(err)
}

func (m *Manager) list(ctx context.Context, c *call, opts ListOptions) (*ListResult, error) {
	labels, err := ParseSelector(opts.Selector)
	if err != nil {
		return nil, err
	}
	if opts.PageSize < 0 {
		return nil, errcode.New(errcode.Invalid, "secrets.List", "page size is negative")
	}
	page, next, err := m.store.ListMetadata(ctx, c.ns, storage.ListOptions{
		Labels: labels, PageSize: opts.PageSize, PageToken: opts.PageToken,
	})
	if err != nil {
		return nil, err
	}
	res := &ListResult{Secrets: make([]*Secret, 0, len(page)), NextPageToken: next}
	for _, md := range page {
		res.Secrets = append(res.Secrets, secretFromMetadata(md))
	}
	return res, nil
}

// Update replaces the description, labels and decrypters of a secret with
// those of s. s.Revision must be the revision the caller read: if the secret
// changed since, Update fails with ErrConflict and changes nothing. The
// caller needs the update permission, and rbac.ActionSetDecrypters too
// when s.Decrypters is not the current set (ErrPermissionDenied
// otherwise). A caller that may not read the namespace gets ErrNotFound
// for a missing secret, a stale revision and a refused decrypters change
// alike (see # Errors). Other fields of s are ignored.
func (m *Manager) Update(ctx context.Context, namespace string, s *Secret) (*Secret, error) {
	if s == nil {
		return nil, errcode.New(errcode.Invalid, "secrets.Update", "secret is nil")
	}
	c, err := m.begin(ctx, "Update", namespace, rbac.ActionUpdate, s.Name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	out, err := m.update(ctx, c, s)
	return c.visible(ctx, out), c.finishHidden(ctx, s.Name, err)
}

func (m *Manager) update(ctx context.Context, c *call, s *Secret) (*Secret, error) {
	if s.Revision <= 0 {
		return nil, errcode.New(errcode.Invalid, "secrets.Update", "revision is required; pass the one Get returned")
	}
	for _, err := range []error{ValidateDescription(s.Description), ValidateLabels(s.Labels), ValidateDecrypters(s.Decrypters)} {
		if err != nil {
			return nil, err
		}
	}
	md, err := m.getMetadata(ctx, c.ns, s.Name)
	if err != nil {
		return nil, err
	}
	if md.Revision != s.Revision {
		return nil, conflict(s.Name, s.Revision, md.Revision)
	}
	if !sameSet(md.Decrypters, s.Decrypters) {
		// Granting (or withdrawing) decrypt on a value someone else
		// supplied is its own permission, not an update.
		c.decrypters = &decrypterChange{action: rbac.ActionSetDecrypters, before: slices.Clone(md.Decrypters), after: slices.Clone(s.Decrypters)}
		if err := m.authz.Authorize(ctx, c.p, c.ns, rbac.ActionSetDecrypters); err != nil {
			if errcode.IsContext(err) {
				return nil, err
			}
			return nil, &secretDenial{errcode.Wrap(errcode.PermissionDenied, "", err)}
		}
	}
	md.Description = s.Description
	md.Labels = cloneLabels(s.Labels)
	md.Decrypters = slices.Clone(s.Decrypters)
	md.UpdateTime = m.now().UTC()
	md.UpdatedBy = c.p.String()
	out, err := m.store.UpdateMetadata(ctx, md)
	if err != nil {
		return nil, err
	}
	return secretFromMetadata(out), nil
}

func conflict(name string, want, got int64) error {
	return errcode.New(errcode.Conflict, "", fmt.Sprintf("secret %q is at revision %d, not %d", name, got, want))
}

// current reads a secret's metadata and checks it is at revision, unless
// revision is 0 (whatever is current; the write that follows is still
// guarded by the revision read here).
func (m *Manager) current(ctx context.Context, ns, name string, revision int64) (*storage.Metadata, error) {
	if revision < 0 {
		return nil, errcode.New(errcode.Invalid, "", "revision is negative")
	}
	md, err := m.getMetadata(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if revision != 0 && md.Revision != revision {
		return nil, conflict(name, revision, md.Revision)
	}
	return md, nil
}

// Reset gives a secret a new value (a new version), which also ends a
// revocation. revision guards the write (0: whatever is current). The old
// ciphertext is removed once the new one is committed. The caller needs the
// update permission.
func (m *Manager) Reset(ctx context.Context, namespace, name string, value Value, revision int64) (*Secret, error) {
	c, err := m.begin(ctx, "Reset", namespace, rbac.ActionUpdate, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	out, err := m.reset(ctx, c, name, value, revision)
	return c.visible(ctx, out), c.finishHidden(ctx, name, err)
}

func (m *Manager) reset(ctx context.Context, c *call, name string, value Value, revision int64) (*Secret, error) {
	if err := ValidateValue(value); err != nil {
		return nil, err
	}
	md, err := m.current(ctx, c.ns, name, revision)
	if err != nil {
		return nil, err
	}
	oldValueID := md.ValueID
	md.Version++
	ct, err := m.newCiphertext(ctx, c.ns, name, md.Version, value)
	if err != nil {
		return nil, err
	}
	md.ValueID = ct.ValueID
	md.Revoked = false
	md.UpdateTime = m.now().UTC()
	md.UpdatedBy = c.p.String()
	out, err := m.replaceValue(ctx, md, ct, oldValueID)
	if err != nil {
		return nil, err
	}
	return secretFromMetadata(out), nil
}

// replaceValue commits md, which now points at ct (nil when revoking), and
// removes the ciphertext of oldValueID: the store does it in one
// transaction, or in the order that leaves at worst an orphan ciphertext.
func (m *Manager) replaceValue(ctx context.Context, md *storage.Metadata, ct *storage.Ciphertext, oldValueID string) (*storage.Metadata, error) {
	return m.store.UpdateWithCiphertext(ctx, md, ct, oldValueID)
}

// Revoke makes a secret's value undecryptable: its ciphertext is removed and
// the metadata marked revoked until the next Reset. Revoking a revoked
// secret changes nothing. The caller needs the update permission.
func (m *Manager) Revoke(ctx context.Context, namespace, name string, revision int64) (*Secret, error) {
	c, err := m.begin(ctx, "Revoke", namespace, rbac.ActionUpdate, name)
	if err != nil {
		return nil, err
	}
	defer c.end()
	out, err := m.revoke(ctx, c, name, revision)
	return c.visible(ctx, out), c.finishHidden(ctx, name, err)
}

func (m *Manager) revoke(ctx context.Context, c *call, name string, revision int64) (*Secret, error) {
	md, err := m.current(ctx, c.ns, name, revision)
	if err != nil {
		return nil, err
	}
	if md.Revoked {
		return secretFromMetadata(md), nil
	}
	oldValueID := md.ValueID
	md.Revoked = true
	md.ValueID = ""
	md.UpdateTime = m.now().UTC()
	md.UpdatedBy = c.p.String()
	out, err := m.replaceValue(ctx, md, nil, oldValueID)
	if err != nil {
		return nil, err
	}
	return secretFromMetadata(out), nil
}

// Delete removes a secret for good: metadata first, then its ciphertext.
// The name can be created again at once. revision guards the delete (0:
// whatever is current). The caller needs the delete permission.
func (m *Manager) Delete(ctx context.Context, namespace, name string, revision int64) error {
	c, err := m.begin(ctx, "Delete", namespace, rbac.ActionDelete, name)
	if err != nil {
		return err
	}
	defer c.end()
	return c.finishHidden(ctx, name, m.delete(ctx, c, name, revision))
}

func (m *Manager) delete(ctx context.Context, c *call, name string, revision int64) error {
	md, err := m.current(ctx, c.ns, name, revision)
	if err != nil {
		return err
	}
	return m.store.DeleteSecret(ctx, c.ns, name, md.Revision)
}

// Reveal decrypts the values of one or several secrets for the calling
// service identity. The call fails as a whole (ErrPermissionDenied) when the
// caller is not a service with the decrypt permission in the namespace;
// otherwise each name gets its own result: a Value, or ErrNotFound,
// ErrPermissionDenied (the secret does not list the caller as a decrypter,
// for a caller that may read the namespace; one that may not gets
// ErrNotFound, as for a missing secret), ErrRevoked or ErrDecryptionFailed.
// Every name is audited, never a value.
func (m *Manager) Reveal(ctx context.Context, namespace string, names ...string) ([]RevealResult, error) {
	c, err := m.begin(ctx, "Reveal", namespace, rbac.ActionDecrypt, names...)
	if err != nil {
		m.metrics.reveal(ctx, min(len(names), MaxRevealNames), err)
		return nil, err
	}
	defer c.end()
	if len(names) == 0 || len(names) > MaxRevealNames {
		err := errcode.New(errcode.Invalid, "secrets.Reveal", fmt.Sprintf("asked for %d names; ask for 1 to %d", len(names), MaxRevealNames))
		c.audit(ctx, names, err)
		m.metrics.reveal(ctx, 1, err)
		return nil, err
	}
	results := make([]RevealResult, len(names))
	for i, name := range names {
		v, err := m.reveal(ctx, c, name)
		if errcode.IsContext(err) {
			m.metrics.reveal(ctx, len(names)-i, err)
			return nil, err
		}
		results[i] = RevealResult{Name: name, Value: v, Err: c.finishHidden(ctx, name, err)}
		m.metrics.reveal(ctx, 1, results[i].Err)
	}
	return results, nil
}

// RevealValue is Reveal for one name.
func (m *Manager) RevealValue(ctx context.Context, namespace, name string) (Value, error) {
	res, err := m.Reveal(ctx, namespace, name)
	if err != nil {
		return Value{}, err
	}
	return res[0].Value, res[0].Err
}

func (m *Manager) reveal(ctx context.Context, c *call, name string) (Value, error) {
	md, ct, err := m.load(ctx, c.ns, name)
	if err != nil {
		return Value{}, err
	}
	if !slices.Contains(md.Decrypters, c.p.ID) {
		return Value{}, &secretDenial{errcode.New(errcode.PermissionDenied, "", fmt.Sprintf("%s is not a decrypter of secret %q", c.p, name))}
	}
	if md.Revoked || md.ValueID == "" {
		return Value{}, ErrRevoked
	}
	if ct == nil {
		// Metadata never points at a missing ciphertext unless the stores
		// were damaged or restored apart.
		return Value{}, fmt.Errorf("ciphertext of version %d is missing: %w", md.Version, ErrDecryptionFailed)
	}
	pt, err := m.keeper.Decrypt(ctx, ct.Data, AssociatedData(c.ns, name, md.Version, md.ValueID))
	if err != nil {
		clear(pt)
		if errcode.IsContext(err) || errcode.Of(err) == errcode.Unavailable {
			return Value{}, err
		}
		return Value{}, fmt.Errorf("version %d: %w", md.Version, ErrDecryptionFailed)
	}
	// The Value's string is the one copy that stays; the keeper's buffer
	// is cleared (see # Security in the package doc).
	v := NewValue(string(pt))
	clear(pt)
	return v, nil
}

// load reads a secret's metadata and current ciphertext (nil when revoked
// or missing), in one round trip when the store can.
func (m *Manager) load(ctx context.Context, ns, name string) (*storage.Metadata, *storage.Ciphertext, error) {
	if err := ValidateName(name); err != nil {
		return nil, nil, err
	}
	return m.store.GetCurrent(ctx, ns, name)
}

// CollectGarbage removes the ciphertexts of a namespace that no metadata
// points at (left by a crash or a failed cleanup) and that are older than
// minAge, so writes in flight keep theirs. 0 means one hour; a negative
// minAge collects every orphan whatever its age (only safe when no write is
// in flight). It returns how many it removed. The caller needs the delete
// permission.
func (m *Manager) CollectGarbage(ctx context.Context, namespace string, minAge time.Duration) (int, error) {
	c, err := m.begin(ctx, "CollectGarbage", namespace, rbac.ActionDelete)
	if err != nil {
		return 0, err
	}
	defer c.end()
	n, err := m.collectGarbage(ctx, c, minAge)
	c.audit(ctx, nil, err)
	return n, c.wrap(err)
}

func (m *Manager) collectGarbage(ctx context.Context, c *call, minAge time.Duration) (int, error) {
	if minAge == 0 {
		minAge = time.Hour
	}
	cutoff := m.now().Add(-minAge)
	removed := 0
	token := ""
	for {
		refs, next, err := m.store.ListCiphertexts(ctx, c.ns, storage.MaxPageSize, token)
		if err != nil {
			return removed, err
		}
		for _, ref := range refs {
			if ref.CreateTime.After(cutoff) {
				continue
			}
			md, err := m.store.GetMetadata(ctx, ref.Namespace, ref.Name)
			switch {
			case errcode.Of(err) == errcode.NotFound:
			case err != nil:
				return removed, err
			case md.ValueID == ref.ValueID:
				continue // live
			}
			if err := m.store.DeleteCiphertext(ctx, ref.Namespace, ref.Name, ref.ValueID); err != nil {
				return removed, err
			}
			removed++
		}
		if next == "" {
			return removed, nil
		}
		token = next
	}
}
