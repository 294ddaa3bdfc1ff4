package source

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/secretstest"
)

// newManager returns a Manager over in-memory storage and a local key, with
// the given secrets created in team-a for the k6-runner identity.
func newManager(t *testing.T, values map[string]string) *secrets.Manager {
	t.Helper()
	m := secretstest.NewManager(t)
	editor := secretstest.Editor(context.Background(), "team-a")
	for name, v := range values {
		if _, err := m.Create(editor, "team-a", secrets.Spec{Name: name, Value: secrets.NewValue(v), Decrypters: []string{"k6-runner"}}); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestStoreSource(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, map[string]string{"api-key": "store-s3cret-1"})
	rec := &recorder{}
	r, err := NewResolver(ctx, Options{
		Env:      envMap(nil),
		Redactor: rec,
		Specs: []string{
			"store=namespace=team-a,identity=k6-runner",
			"store=name=stranger,namespace=team-a,identity=other-runner",
			"store=name=elsewhere,namespace=team-b,identity=k6-runner",
		},
		Types: map[string]Constructor{"store": StoreConstructor(m)},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Source("store").Get(ctx, "api-key")
	if err != nil || v.DangerouslyExpose() != "store-s3cret-1" {
		t.Fatalf("Get = %v, %v", v, err)
	}
	if diff := cmp.Diff([]string{"store-s3cret-1"}, rec.got); diff != "" {
		t.Errorf("redactor learned (-want +got):\n%s", diff)
	}
	tests := []struct {
		source, name string
		is           error
	}{
		{"store", "missing", secrets.ErrNotFound},
		{"store", "bad.name", secrets.ErrInvalid},
		{"stranger", "api-key", secrets.ErrNotFound},  // not a decrypter: looks missing (issue #11 item 9)
		{"elsewhere", "api-key", secrets.ErrNotFound}, // nothing crosses namespaces
	}
	for _, tt := range tests {
		t.Run(tt.source+"/"+tt.name, func(t *testing.T) {
			_, err := r.Source(tt.source).Get(ctx, tt.name)
			mustNotContain(t, err, "store-s3cret-1")
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), `source "`+tt.source+`"`) {
				t.Fatalf("error = %v, want %v naming the source", err, tt.is)
			}
		})
	}
}

func TestStoreSourceUserPrincipalIgnored(t *testing.T) {
	// The source acts as its service identity, whatever the context says.
	ctx := rbac.WithPrincipal(context.Background(), rbac.Principal{Kind: rbac.KindUser, ID: "alice", Namespace: "team-a", Roles: []rbac.Role{rbac.RoleAdmin}})
	m := newManager(t, map[string]string{"api-key": "store-s3cret-2"})
	s, err := newStoreSource(m, storeConfig{Namespace: "team-a", Identity: "k6-runner"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "api-key"); err != nil || v.DangerouslyExpose() != "store-s3cret-2" {
		t.Fatalf("Get = %v, %v", v, err)
	}
}

func TestStoreConfigErrors(t *testing.T) {
	tests := []struct {
		config, wantErr string
	}{
		{"", "namespace is required"},
		{"namespace=team-a", "identity is required"},
		{"namespace=team a,identity=x", "namespace has a character at position 5"},
		{"namespace=a,identity=x y", "identity: decrypter 1 has a character"},
		{"namespace=a,namespace=b,identity=x", `config item 2 ("namespace"): given twice`},
		{"namespace=a,identity=x,role=admin", `config item 3 ("role"): unknown option`},
		{"namespace=a,identity", "config item 2 needs key=value"},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			_, err := parseStoreConfig(tt.config)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if _, err := newStoreSource(nil, storeConfig{Namespace: "a", Identity: "b"}); !errors.Is(err, secrets.ErrInvalid) {
		t.Fatalf("nil Manager: %v", err)
	}
}

// TestStoreSourcePinnedVersion (issue #18): a store source reveals
// "api-key@1", the kept earlier value, through the Manager; one that is not
// kept is ErrNotFound, a malformed reference ErrInvalid.
func TestStoreSourcePinnedVersion(t *testing.T) {
	ctx := context.Background()
	m := secretstest.NewManager(t)
	editor := secretstest.Editor(ctx, "team-a")
	keep := 1
	if _, err := m.Create(editor, "team-a", secrets.Spec{Name: "api-key", Value: secrets.NewValue("store-s3cret-1"), Decrypters: []string{"k6-runner"}, KeepVersions: &keep}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Reset(editor, "team-a", "api-key", secrets.NewValue("store-s3cret-2"), 0); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	r, err := NewResolver(ctx, Options{Env: envMap(nil), Redactor: rec, Specs: []string{"store=namespace=team-a,identity=k6-runner"},
		Types: map[string]Constructor{"store": StoreConstructor(m)}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct {
		ref, want string
		is        error
	}{
		{"api-key", "store-s3cret-2", nil},
		{"api-key@2", "store-s3cret-2", nil},
		{"api-key@1", "store-s3cret-1", nil},
		{"api-key@3", "", secrets.ErrNotFound},
		{"api-key@0", "", secrets.ErrInvalid},
		{"api-key@1@1", "", secrets.ErrInvalid},
	} {
		v, err := r.Get(ctx, tc.ref)
		if !errors.Is(err, tc.is) || v.DangerouslyExpose() != tc.want {
			t.Errorf("Get(%q) = %v, %v; want the value of that version, error %v", tc.ref, v, err, tc.is)
		}
		if err != nil && strings.Contains(err.Error(), "store-s3cret") {
			t.Errorf("Get(%q): the error holds a value", tc.ref)
		}
	}
	if diff := cmp.Diff([]string{"store-s3cret-2", "store-s3cret-2", "store-s3cret-1"}, rec.got); diff != "" {
		t.Errorf("redactor learned (-want +got):\n%s", diff)
	}
}
