package secretstest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"testing"

	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/secretstest"
)

// A test of code that logs a secret it fetched: an in-memory Manager, an
// editor who creates the secret, a runner who reveals it, and a check that
// the logs hold the value in no form. In a real test, t is the test's
// *testing.T; an Example has none, so exampleT stands in for it.
func Example() {
	t := &exampleT{}
	defer t.done()
	ctx := context.Background()

	m := secretstest.NewManager(t) // store, key and Manager closed when the test ends
	_, err := m.Create(secretstest.Editor(ctx, "team-a"), "team-a", secrets.Spec{
		Name: "api-key", Value: secrets.NewValue("sk-test-5f2a9c1d"), Decrypters: []string{"k6-runner"},
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	v, err := m.RevealValue(secretstest.Runner(ctx, "team-a", "k6-runner"), "team-a", "api-key")
	if err != nil {
		t.Fatalf("RevealValue: %v", err)
	}
	fmt.Println(v, v.Len())

	// The code under test logs through a redactor that knows the value.
	red := redact.New(redact.Options{})
	red.Add(v.DangerouslyExpose())
	var logs bytes.Buffer
	log := slog.New(redact.NewHandler(slog.NewTextHandler(&logs, nil), red))
	log.Info("calling the API", "authorization", "Bearer "+v.DangerouslyExpose())
	secretstest.AssertNoSecrets(t, logs.String(), v.DangerouslyExpose()) // passes

	// Output that skipped the redactor fails, even with the value encoded,
	// and the report does not show the value.
	leaky := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+v.DangerouslyExpose()))
	secretstest.AssertNoSecrets(t, leaky, v.DangerouslyExpose())
	// Output:
	// [REDACTED] 16
	// FAIL: secretstest.AssertNoSecrets: output holds values[0] in its base64-std form at byte 28 (21 bytes)
}

// exampleT stands in for a test's *testing.T: it prints what the test would
// report, and runs the cleanups when the example ends.
type exampleT struct {
	testing.TB // methods not defined below panic: exampleT needs no others
	cleanups   []func()
}

func (t *exampleT) Helper()                        {}
func (t *exampleT) Cleanup(f func())               { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Errorf(format string, a ...any) { fmt.Printf("FAIL: "+format+"\n", a...) }
func (t *exampleT) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
