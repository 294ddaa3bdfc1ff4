// Command quickstart walks strongbox's whole path on embedded defaults: an
// in-memory store and a freshly generated local key-encryption key, no
// services. It creates a secret as an editor, lists it, reveals it as a test
// runner, and logs a line holding the value through a redacting writer,
// which prints ***SECRET_REDACTED*** instead.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -store sqlite:///tmp/strongbox.db
//
// The store can also be chosen with STRONGBOX_STORE, and the key-encryption
// key with STRONGBOX_KEK_URL (a base64key:// URL; keep it out of logs. A
// cloud KMS URL opens once the program imports keeper/gocloudkeeper and
// the gocloud driver: see package keeper).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/rbac"
	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/storage"
	_ "github.com/strongbox-go/strongbox/storage/docstorage" // mem://, docstore://
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage" // sqlite://, postgres://
)

const namespace = "team-checkout"

func main() {
	storeURL := flag.String("store", envOr("STRONGBOX_STORE", "mem://"), "store URL: mem://, sqlite:///path/file.db, postgres://...")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *storeURL, os.Getenv("STRONGBOX_KEK_URL")); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, out io.Writer, storeURL, kekURL string) (err error) {
	if kekURL == "" {
		// A fresh local key: fine for a demo, gone when the program ends.
		if kekURL, err = keeper.NewThrowawayKEKURL(); err != nil {
			return err
		}
	}
	k, err := keeper.OpenEnvelope(ctx, kekURL, keeper.EnvelopeOptions{})
	if err != nil {
		return err
	}
	defer k.Close()
	st, err := storage.OpenStore(ctx, storeURL)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: k})
	if err != nil {
		return err
	}
	defer m.Close()

	editor := rbac.WithPrincipal(ctx, rbac.Principal{
		Kind: rbac.KindUser, ID: "alice", Namespace: namespace, Roles: []rbac.Role{rbac.RoleEditor},
	})
	runner := rbac.WithPrincipal(ctx, rbac.Principal{
		Kind: rbac.KindService, ID: "k6-runner", Namespace: namespace, Roles: []rbac.Role{rbac.RoleDecrypter},
	})

	// 1. An editor creates a secret that the runner may decrypt. The value
	// is generated here, so it is in no source file and no log.
	token, err := randomToken()
	if err != nil {
		return err
	}
	spec := secrets.Spec{
		Name:        "checkout-api-key",
		Description: "API key the checkout load test sends",
		Labels:      map[string]string{"env": "staging", "team": "checkout"},
		Value:       secrets.NewValue(token),
		Decrypters:  []string{"k6-runner"},
	}
	s, err := m.Create(editor, namespace, spec)
	if errors.Is(err, secrets.ErrAlreadyExists) { // a durable store from an earlier run
		s, err = m.Reset(editor, namespace, spec.Name, spec.Value, 0)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s/%s version %d revision %d (value %v)\n", s.Namespace, s.Name, s.Version, s.Revision, spec.Value)

	// 2. List by label: metadata only, never values.
	list, err := m.List(editor, namespace, secrets.ListOptions{Selector: "env=staging"})
	if err != nil {
		return err
	}
	for _, s := range list.Secrets {
		fmt.Fprintf(out, "listed %s labels=%v decrypters=%v\n", s.Name, s.Labels, s.Decrypters)
	}

	// 3. The runner reveals it. The Value still prints as [REDACTED].
	v, err := m.RevealValue(runner, namespace, spec.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "revealed %s: %v (%d bytes)\n", spec.Name, v, v.Len())

	// 4. Everything the runner logs goes through a redactor that knows
	// every value it fetched.
	r := redact.New(redact.Options{})
	r.Add(v.DangerouslyExpose())
	w := redact.NewWriter(out, r)
	fmt.Fprintf(w, "level=info msg=\"calling checkout API\" header=\"Authorization: Bearer %s\"\n", v.DangerouslyExpose())
	return w.Close()
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "sk_test_" + base64.RawURLEncoding.EncodeToString(b), nil
}
