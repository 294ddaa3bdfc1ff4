package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// The whole path: an editor creates a secret, a runner listed as a
// decrypter reveals it, and the Value never prints.
func Example() {
	ctx := context.Background()
	kek, err := keeper.NewThrowawayKEKURL() // production: a cloud KMS URL
	if err != nil {
		log.Fatal(err)
	}
	k, err := keeper.OpenEnvelope(ctx, kek, keeper.EnvelopeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()
	st := docstorage.NewInMemory()
	defer st.Close()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: k})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	editor := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "alice",
		Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}})
	runner := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindService, ID: "k6-runner",
		Namespace: "team-a", Roles: []rbac.Role{rbac.RoleDecrypter}})

	s, err := m.Create(editor, "team-a", secrets.Spec{
		Name:       "api-key",
		Labels:     map[string]string{"env": "prod"},
		Value:      secrets.NewValue("example-only-value"),
		Decrypters: []string{"k6-runner"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", s.Name, "version", s.Version)

	v, err := m.RevealValue(runner, "team-a", "api-key")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("revealed %v, %d bytes\n", v, v.Len())

	// The editor may manage the secret but never decrypt it.
	_, err = m.RevealValue(editor, "team-a", "api-key")
	fmt.Println("editor reveal denied:", errors.Is(err, secrets.ErrPermissionDenied))
	// Output:
	// created api-key version 1
	// revealed [REDACTED], 18 bytes
	// editor reveal denied: true
}

func ExampleParseSelector() {
	labels, err := secrets.ParseSelector("env=prod, team=checkout")
	fmt.Println(labels, err)
	_, err = secrets.ParseSelector("env")
	fmt.Println(errors.Is(err, secrets.ErrInvalid))
	// Output:
	// map[env:prod team:checkout] <nil>
	// true
}

func ExampleValue() {
	v := secrets.NewValue("example-only-value")
	fmt.Println(v)
	fmt.Printf("%q %#v\n", v, v)
	// Output:
	// [REDACTED]
	// [REDACTED] [REDACTED]
}

// A secret that keeps earlier values: a bad rotation is undone with
// Rollback, which makes the kept value current again as a new version, and
// a runner can pin a version with "name@N" while it is kept.
func ExampleManager_Rollback() {
	ctx := context.Background()
	kek, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		log.Fatal(err)
	}
	k, err := keeper.OpenEnvelope(ctx, kek, keeper.EnvelopeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()
	st := docstorage.NewInMemory()
	defer st.Close()
	// Every new secret keeps its 3 previous values.
	m, err := secrets.New(secrets.Options{Store: st, Keeper: k, KeepVersions: 3})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	editor := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "alice",
		Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}})
	runner := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindService, ID: "k6-runner",
		Namespace: "team-a", Roles: []rbac.Role{rbac.RoleDecrypter}})

	if _, err := m.Create(editor, "team-a", secrets.Spec{Name: "api-key",
		Value: secrets.NewValue("example-good-key"), Decrypters: []string{"k6-runner"}}); err != nil {
		log.Fatal(err)
	}
	// A rotation to a key that turns out to be wrong.
	if _, err := m.Reset(editor, "team-a", "api-key", secrets.NewValue("example-bad-key"), 0); err != nil {
		log.Fatal(err)
	}
	s, err := m.Rollback(editor, "team-a", "api-key", 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rolled back to version 1's value as version", s.Version)

	vs, err := m.Versions(editor, "team-a", "api-key")
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range vs {
		fmt.Println("version", v.Version, "current:", v.Current)
	}

	cur, _ := m.RevealValue(runner, "team-a", "api-key")
	pinned, _ := m.RevealValue(runner, "team-a", "api-key@1")
	fmt.Println("current equals version 1:", cur.DangerouslyExpose() == pinned.DangerouslyExpose())

	_, err = m.RevealValue(runner, "team-a", "api-key@9")
	fmt.Println("version 9:", errors.Is(err, secrets.ErrNotFound))
	// Output:
	// rolled back to version 1's value as version 3
	// version 3 current: true
	// version 2 current: false
	// version 1 current: false
	// current equals version 1: true
	// version 9: true
}
