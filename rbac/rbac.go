package rbac

import (
	"context"
	"slices"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// Kind says whether a principal is a person or a service identity.
type Kind int

const (
	// KindUser is a person (or a tool acting for one). Users never decrypt.
	KindUser Kind = iota + 1
	// KindService is a service identity, such as a test runner. Only services
	// may decrypt, and only secrets that list them as decrypters.
	KindService
)

func (k Kind) String() string {
	switch k {
	case KindUser:
		return "user"
	case KindService:
		return "service"
	}
	return "unknown"
}

// Principal is the caller of an operation. The zero Principal is nobody and
// is denied everything.
type Principal struct {
	Kind Kind
	// ID identifies the principal within its namespace, e.g. "alice" or
	// "k6-runner". For a service it is the name that a secret's decrypters list.
	ID string
	// Namespace is the tenant the principal belongs to. A principal acts only
	// in its own namespace.
	Namespace string
	// Roles held in Namespace.
	Roles []Role
}

// Valid reports whether p names somebody: a known kind, an ID and a namespace.
func (p Principal) Valid() bool {
	return (p.Kind == KindUser || p.Kind == KindService) && p.ID != "" && p.Namespace != ""
}

// String identifies the principal as kind:namespace/id, for logs and audits.
func (p Principal) String() string {
	if !p.Valid() {
		return "anonymous"
	}
	return p.Kind.String() + ":" + p.Namespace + "/" + p.ID
}

// Role is a named set of actions.
type Role string

// The roles of DESIGN.md.
const (
	// Basic roles.
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
	// Fine-grained roles.
	RoleSecureValuesReader Role = "secure-values-reader"
	RoleCreator            Role = "secure-values-creator"
	RoleUpdater            Role = "secure-values-updater"
	RoleDeleter            Role = "secure-values-deleter"
	// RoleDecrypter is for service identities only: it grants decrypt, which
	// still needs the service to be listed in the secret's decrypters.
	RoleDecrypter Role = "secure-values-decrypter"
)

// Action is something a principal may be allowed to do.
type Action string

// The actions of DESIGN.md.
const (
	ActionRead    Action = "read"    // get and list metadata
	ActionCreate  Action = "create"  // create a secret
	ActionUpdate  Action = "update"  // update metadata, reset, revoke
	ActionDelete  Action = "delete"  // delete a secret
	ActionDecrypt Action = "decrypt" // reveal a value (services only)
)

// Actions lists every action, in a stable order.
var Actions = []Action{ActionRead, ActionCreate, ActionUpdate, ActionDelete, ActionDecrypt}

// DefaultRoles is the role table of DESIGN.md. Viewer holds nothing until it
// is granted a fine-grained role.
func DefaultRoles() map[Role][]Action {
	return map[Role][]Action{
		RoleAdmin:              {ActionRead, ActionCreate, ActionUpdate, ActionDelete},
		RoleEditor:             {ActionRead, ActionCreate, ActionUpdate, ActionDelete},
		RoleViewer:             nil,
		RoleSecureValuesReader: {ActionRead},
		RoleCreator:            {ActionCreate},
		RoleUpdater:            {ActionUpdate},
		RoleDeleter:            {ActionDelete},
		RoleDecrypter:          {ActionDecrypt},
	}
}

// Authorizer decides whether a principal may perform an action in a
// namespace. It returns nil to allow and an error matching
// ErrPermissionDenied to deny. Implementations must deny by default.
type Authorizer interface {
	Authorize(ctx context.Context, p Principal, namespace string, action Action) error
}

// RoleAuthorizer is the default Authorizer: a principal may act in its own
// namespace when one of its roles grants the action; decrypt is granted to
// service principals only.
type RoleAuthorizer struct {
	roles map[Role][]Action
}

// NewRoleAuthorizer returns an authorizer over the given role table; nil
// means DefaultRoles. The table is copied.
func NewRoleAuthorizer(roles map[Role][]Action) *RoleAuthorizer {
	if roles == nil {
		roles = DefaultRoles()
	}
	cp := make(map[Role][]Action, len(roles))
	for r, as := range roles {
		cp[r] = slices.Clone(as)
	}
	return &RoleAuthorizer{roles: cp}
}

// ErrPermissionDenied matches every denial.
var ErrPermissionDenied error = errcode.PermissionDenied

// Authorize implements Authorizer.
func (a *RoleAuthorizer) Authorize(_ context.Context, p Principal, namespace string, action Action) error {
	const op = "rbac.Authorize"
	switch {
	case !p.Valid():
		return errcode.New(errcode.PermissionDenied, op, "no principal")
	case p.Namespace != namespace:
		return errcode.New(errcode.PermissionDenied, op, p.String()+" may not act in namespace "+namespace)
	case action == ActionDecrypt && p.Kind != KindService:
		return errcode.New(errcode.PermissionDenied, op, "only service identities may decrypt")
	}
	for _, r := range p.Roles {
		if slices.Contains(a.roles[r], action) {
			return nil
		}
	}
	return errcode.New(errcode.PermissionDenied, op, p.String()+" lacks "+string(action)+" in namespace "+namespace)
}

type principalKey struct{}

// WithPrincipal returns a context that carries p as the caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller carried by ctx; ok is false when there is none.
func PrincipalFrom(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Outcome is the result recorded in an audit event.
type Outcome string

// Audit outcomes.
const (
	OutcomeAllowed Outcome = "allowed" // the operation ran and succeeded
	OutcomeDenied  Outcome = "denied"  // the authorizer refused it
	OutcomeFailed  Outcome = "failed"  // it was allowed but failed
)

// AuditEvent records one decision. It never holds a value: only who, what,
// where and how it ended.
type AuditEvent struct {
	Time      time.Time
	Principal string // Principal.String()
	Namespace string
	Action    Action
	Operation string   // e.g. "Create", "Reveal"
	Names     []string // the secrets concerned, if any
	Outcome   Outcome
	Code      string // error code name when Outcome is not allowed
}

// Auditor receives audit events. It must be safe for concurrent use and
// should not block for long.
type Auditor interface {
	Audit(ctx context.Context, e AuditEvent)
}

// AuditorFunc adapts a function to Auditor.
type AuditorFunc func(ctx context.Context, e AuditEvent)

// Audit calls f.
func (f AuditorFunc) Audit(ctx context.Context, e AuditEvent) { f(ctx, e) }
