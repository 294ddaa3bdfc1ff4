package rbac

import (
	"context"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/redactinput"
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

// kindName is how Principal.String names a kind.
func kindName(k Kind) string {
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

// maxIDLength is the longest Principal.ID or Principal.Namespace, in bytes.
const maxIDLength = 253

// Valid reports whether p names somebody: a known kind, and an ID and a
// namespace of 1 to 253 bytes of printable UTF-8 (no control or
// format characters, which could forge or hide text in a log or audit
// line). An invalid principal is denied everything.
func (p Principal) Valid() bool {
	return (p.Kind == KindUser || p.Kind == KindService) && printable(p.ID) && printable(p.Namespace)
}

func printable(s string) bool {
	if s == "" || len(s) > maxIDLength || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// String identifies the principal as kind:namespace/id, for logs and audits.
// The zero Principal is "anonymous"; any other invalid one is described by
// length and a short hash, never echoed.
func (p Principal) String() string {
	if !p.Valid() {
		if p.ID == "" && p.Namespace == "" {
			return "anonymous"
		}
		return redactinput.Describe("principal", p.Namespace+"/"+p.ID)
	}
	return kindName(p.Kind) + ":" + p.Namespace + "/" + p.ID
}

// Role is a named set of actions.
type Role string

// The roles; DefaultRoles gives the actions each one holds.
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
	// RoleTestAuthor is the fine-grained role of a test author ("Performance
	// Testing (k6): Editor" in the product): it may issue and revoke run
	// tokens, so that a test run reads secrets, without managing them.
	RoleTestAuthor Role = "test-author"
)

// Action is something a principal may be allowed to do.
type Action string

// The actions a role can grant.
const (
	ActionRead    Action = "read"    // get and list metadata
	ActionCreate  Action = "create"  // create a secret
	ActionUpdate  Action = "update"  // update metadata, reset, revoke
	ActionDelete  Action = "delete"  // delete a secret
	ActionDecrypt Action = "decrypt" // reveal a value (services only)
	// ActionSetDecrypters is changing which service identities may decrypt
	// a value that is already stored. Update needs it, besides update,
	// whenever the new decrypters differ from the current ones as a set:
	// granting decrypt on a value someone else supplied is not an update.
	// Create (and any call that supplies the value itself) sets decrypters
	// with the call's own action.
	ActionSetDecrypters Action = "set-decrypters"
	// ActionIssueRunToken is issuing a run token in the namespace (the
	// credential a test run decrypts with) and revoking one. The product's
	// rule: only Admin, Editor, or the test author's fine-grained role
	// ("Performance Testing (k6): Editor") can use secrets in tests.
	ActionIssueRunToken Action = "issue-run-token"
	// ActionManageAPITokens is issuing, listing and revoking the API
	// tokens of the namespace (package secrets/apitoken). Admin only: an
	// API token may carry any role, so whoever issues them holds them all.
	ActionManageAPITokens Action = "manage-api-tokens"
)

// actions lists every action, in a stable order.
var actions = []Action{ActionRead, ActionCreate, ActionUpdate, ActionDelete, ActionDecrypt, ActionSetDecrypters,
	ActionIssueRunToken, ActionManageAPITokens}

// DefaultRoles is the default role table. Viewer holds nothing until it
// is granted a fine-grained role.
func DefaultRoles() map[Role][]Action {
	return map[Role][]Action{
		RoleAdmin: {ActionRead, ActionCreate, ActionUpdate, ActionDelete, ActionSetDecrypters,
			ActionIssueRunToken, ActionManageAPITokens},
		RoleEditor:             {ActionRead, ActionCreate, ActionUpdate, ActionDelete, ActionSetDecrypters, ActionIssueRunToken},
		RoleViewer:             nil,
		RoleSecureValuesReader: {ActionRead},
		RoleCreator:            {ActionCreate},
		RoleUpdater:            {ActionUpdate},
		RoleDeleter:            {ActionDelete},
		RoleDecrypter:          {ActionDecrypt},
		RoleTestAuthor:         {ActionIssueRunToken},
	}
}

// Authorizer decides whether a principal may perform an action in a
// namespace. It returns nil to allow and an error matching
// secrets.ErrPermissionDenied (errors.Is) to deny. Implementations must deny by default.
type Authorizer interface {
	Authorize(ctx context.Context, p Principal, namespace string, action Action) error
}

// roleAuthorizer is the default Authorizer (see NewRoleAuthorizer).
type roleAuthorizer struct {
	roles map[Role][]Action
}

// NewRoleAuthorizer returns the default Authorizer over the given role
// table (nil means DefaultRoles; the table is copied): a principal may act
// in its own namespace when one of its roles grants the action; decrypt is
// granted to service principals only. A denial matches
// secrets.ErrPermissionDenied.
func NewRoleAuthorizer(roles map[Role][]Action) Authorizer {
	if roles == nil {
		roles = DefaultRoles()
	}
	cp := make(map[Role][]Action, len(roles))
	for r, as := range roles {
		cp[r] = slices.Clone(as)
	}
	return &roleAuthorizer{roles: cp}
}

func (a *roleAuthorizer) Authorize(_ context.Context, p Principal, namespace string, action Action) error {
	const op = "rbac.Authorize"
	switch {
	case !p.Valid():
		return errcode.New(errcode.PermissionDenied, op, "no principal")
	case p.Namespace != namespace:
		return errcode.New(errcode.PermissionDenied, op, p.String()+" may not act in "+quoteNamespace(namespace))
	case action == ActionDecrypt && p.Kind != KindService:
		return errcode.New(errcode.PermissionDenied, op, "only service identities may decrypt")
	}
	for _, r := range p.Roles {
		if slices.Contains(a.roles[r], action) {
			return nil
		}
	}
	return errcode.New(errcode.PermissionDenied, op, p.String()+" lacks "+quoteAction(action)+" in "+quoteNamespace(namespace))
}

// quoteNamespace names the namespace a caller asked for when it is well
// formed (the characters of a secret name) and describes it otherwise: it
// is caller input, checked here before the Manager validates it.
func quoteNamespace(ns string) string {
	if ns == "" || len(ns) > maxIDLength {
		return redactinput.Describe("namespace", ns)
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return redactinput.Describe("namespace", ns)
		}
	}
	return "namespace " + ns
}

func quoteAction(a Action) string {
	if slices.Contains(actions, a) {
		return string(a)
	}
	return redactinput.Describe("action", string(a))
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

// AuditEvent records one decision. It never holds a value: only who, what,
// where and how it ended. Fields that come from the caller (Namespace,
// Names) hold the input when it is well formed and otherwise describe it
// by length and a short hash, never echoing it.
type AuditEvent struct {
	Time      time.Time
	Principal string // Principal.String()
	Namespace string
	// Action is the action that decided the outcome: for an Update that
	// changes a secret's decrypters, ActionSetDecrypters.
	Action    Action
	Operation string // e.g. "Create", "Reveal"
	// Names are the secrets concerned, if any, at most 100; on run-token
	// and API-token events, the token ids.
	Names []string
	// Outcome is "allowed" (the operation ran and succeeded), "denied"
	// (the authorizer refused it) or "failed" (it was allowed but failed).
	Outcome string
	Code    string // error code name when Outcome is not "allowed"
	// DecryptersBefore and DecryptersAfter are the service identities a
	// secret listed before the call and would list after it, on calls that
	// set them (Create: after only) or change them (Update, with Action
	// ActionSetDecrypters), whatever the outcome. They are ids, never
	// values; both are nil on other events.
	DecryptersBefore []string
	DecryptersAfter  []string
}
