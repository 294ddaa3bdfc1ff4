package strongbox_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage" // registers mem://
)

// The whole path: an editor stores a secret, a test runner reveals it, and
// its logs show the value redacted. The README shows this code as a
// program (readme_test.go keeps the two the same).
func Example() {
	ctx := context.Background()

	// A local key that lives as long as the program. In production, a KMS:
	// "awskms://...", "gcpkms://..." or another gocloud secrets URL, which
	// opens once the program imports keeper/gocloudkeeper and the driver.
	kekURL, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		log.Fatal(err)
	}
	k, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()
	st, err := storage.OpenStore(ctx, "mem://") // or sqlite:///path/app.db, postgres://...
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: k})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	// An editor creates a secret that the k6-runner service may decrypt.
	editor := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindUser, ID: "alice",
		Namespace: "team-a", Roles: []rbac.Role{rbac.RoleEditor}})
	_, err = m.Create(editor, "team-a", secrets.Spec{Name: "api-key",
		Value: secrets.NewValue("sk-live-0123456789"), Decrypters: []string{"k6-runner"}})
	if err != nil {
		log.Fatal(err)
	}

	// The runner reveals it; the Value never prints.
	runner := rbac.WithPrincipal(ctx, rbac.Principal{Kind: rbac.KindService, ID: "k6-runner",
		Namespace: "team-a", Roles: []rbac.Role{rbac.RoleDecrypter}})
	v, err := m.RevealValue(runner, "team-a", "api-key")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v) // [REDACTED]

	// Whatever the runner logs goes through a redactor that knows the value.
	r := redact.New(redact.Options{})
	r.Add(v.DangerouslyExpose())
	w := redact.NewWriter(os.Stdout, r)
	fmt.Fprintf(w, "Authorization: Bearer %s\n", v.DangerouslyExpose())
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// [REDACTED]
	// Authorization: Bearer ***SECRET_REDACTED***
}
