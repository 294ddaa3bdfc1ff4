package modeltest

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/rbac"
)

// mSecret is the model of one secret.
type mSecret struct {
	Namespace   string
	Name        string
	Description string
	Labels      map[string]string
	Decrypters  []string
	Version     int64
	Revoked     bool
	Revision    int64
	CreateTime  time.Time
	UpdateTime  time.Time
	CreatedBy   string
	UpdatedBy   string
	value       string
	// KeepVersions and history (newest first, the current version first)
	// are the value history: see history.go.
	KeepVersions int
	history      []mVersion
}

func (s *mSecret) clone() *mSecret {
	c := *s
	c.Labels = maps.Clone(s.Labels)
	c.Decrypters = slices.Clone(s.Decrypters)
	c.history = cloneHistory(s.history)
	return &c
}

// model is what the Manager should hold: namespace -> name -> secret.
type model struct {
	ns map[string]map[string]*mSecret
	// orphans says ciphertexts without metadata may exist: a fault hit a
	// write since the last full CollectGarbage.
	orphans map[string]bool
}

func newModel(namespaces ...string) *model {
	m := &model{ns: map[string]map[string]*mSecret{}, orphans: map[string]bool{}}
	for _, n := range namespaces {
		m.ns[n] = map[string]*mSecret{}
	}
	return m
}

func (m *model) clone() *model {
	c := &model{ns: map[string]map[string]*mSecret{}, orphans: maps.Clone(m.orphans)}
	for n, secrets := range m.ns {
		c.ns[n] = map[string]*mSecret{}
		for k, s := range secrets {
			c.ns[n][k] = s.clone()
		}
	}
	return c
}

func (m *model) get(ns, name string) *mSecret { return m.ns[ns][name] }

// list returns the names of ns matching selector labels, sorted.
func (m *model) list(ns string, sel map[string]string) []*mSecret {
	var out []*mSecret
	for _, s := range m.ns[ns] {
		ok := true
		for k, v := range sel {
			if got, has := s.Labels[k]; !has || got != v {
				ok = false
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// roleActions is the role table of DESIGN.md, written out again here so
// the model does not trust rbac's copy.
var roleActions = map[rbac.Role][]rbac.Action{
	rbac.RoleAdmin:              {rbac.ActionRead, rbac.ActionCreate, rbac.ActionUpdate, rbac.ActionDelete, rbac.ActionSetDecrypters},
	rbac.RoleEditor:             {rbac.ActionRead, rbac.ActionCreate, rbac.ActionUpdate, rbac.ActionDelete, rbac.ActionSetDecrypters},
	rbac.RoleViewer:             nil,
	rbac.RoleSecureValuesReader: {rbac.ActionRead},
	rbac.RoleCreator:            {rbac.ActionCreate},
	rbac.RoleUpdater:            {rbac.ActionUpdate},
	rbac.RoleDeleter:            {rbac.ActionDelete},
	rbac.RoleDecrypter:          {rbac.ActionDecrypt},
}

// principal is a caller of the model; anonymous means no principal at all
// in the context.
type principal struct {
	p         rbac.Principal
	anonymous bool
}

func (p principal) String() string {
	if p.anonymous {
		return "no principal"
	}
	return p.p.String()
}

// allowed is the model's authorizer.
func allowed(p principal, ns string, a rbac.Action) bool {
	if p.anonymous || p.p.ID == "" || p.p.Namespace != ns ||
		(p.p.Kind != rbac.KindUser && p.p.Kind != rbac.KindService) {
		return false
	}
	if a == rbac.ActionDecrypt && p.p.Kind != rbac.KindService {
		return false
	}
	for _, r := range p.p.Roles {
		if slices.Contains(roleActions[r], a) {
			return true
		}
	}
	return false
}

// hidden is the existence rule of issue #11 item 9: a caller that may not
// read the namespace gets ErrNotFound for every refusal that depends on the
// stored secret (missing, not a decrypter, stale revision, a decrypters
// change it may not make).
func hidden(p principal, ns string, w want) want {
	switch w {
	case errcode.NotFound, errcode.Conflict, errcode.PermissionDenied:
		if !allowed(p, ns, rbac.ActionRead) {
			return errcode.NotFound
		}
	}
	return w
}

// visible is what a write returns to its caller: everything for a caller
// that may read the namespace; for one that may not, only what its own
// write decided (issue #11 item 9).
func visible(p principal, ns string, m *mSecret) *mSecret {
	if m == nil || allowed(p, ns, rbac.ActionRead) {
		return m
	}
	return &mSecret{Namespace: m.Namespace, Name: m.Name, Version: m.Version, Revoked: m.Revoked,
		Revision: m.Revision, UpdateTime: m.UpdateTime, UpdatedBy: m.UpdatedBy}
}

// sameSet reports whether two decrypter lists hold the same ids.
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

// Validation, written from DESIGN.md's limits (not from package secrets).

func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validLabelPart(s string, key bool) bool {
	if key && s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func validLabels(l map[string]string) bool {
	if len(l) > 10 {
		return false
	}
	for k, v := range l {
		if !validLabelPart(k, true) || !validLabelPart(v, false) {
			return false
		}
	}
	return true
}

func validDescription(d string) bool {
	// DESIGN.md is silent on NUL; the stores refuse it in every text
	// field (SQL text cannot hold it), so the Manager must too.
	return utf8.ValidString(d) && utf8.RuneCountInString(d) <= 253 && !strings.ContainsRune(d, 0)
}

func validDecrypters(ds []string) bool {
	if len(ds) > 64 {
		return false
	}
	seen := map[string]bool{}
	for _, d := range ds {
		if d == "" || len(d) > 253 || seen[d] {
			return false
		}
		for i := 0; i < len(d); i++ {
			c := d[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:@/", c) >= 0) {
				return false
			}
		}
		seen[d] = true
	}
	return true
}

func validValue(v string) bool {
	return len(v) >= 1 && len(v) <= 24*1024 && utf8.ValidString(v)
}

// parseSelector is the model's selector parser: "k=v,k2=v2", spaces
// around items ignored, empty selects all.
func parseSelector(s string) (map[string]string, bool) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, true
	}
	for _, item := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, false
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !validLabelPart(k, true) || !validLabelPart(v, false) {
			return nil, false
		}
		if old, dup := out[k]; dup && old != v {
			return nil, false
		}
		out[k] = v
	}
	return out, len(out) <= 10
}

// want is an expected outcome: a code (OK for success).
type want = errcode.Code
