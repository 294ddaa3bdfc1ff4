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
