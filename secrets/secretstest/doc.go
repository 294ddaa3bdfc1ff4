// Package secretstest helps test code that uses strongbox, the way
// net/http/httptest helps test HTTP code: an in-memory Manager with a
// throwaway key, principals for an editor and a test runner, a local
// server speaking k6's url secret-source protocol, and an assertion that
// some output holds none of a set of values.
//
//	func TestCheckout(t *testing.T) {
//		m := secretstest.NewManager(t) // closed when the test ends
//		editor := secretstest.Editor(t.Context(), "team-a")
//		_, err := m.Create(editor, "team-a", secrets.Spec{Name: "api-key",
//			Value: secrets.NewValue("sk-test-1234"), Decrypters: []string{"k6-runner"}})
//		...
//		runner := secretstest.Runner(t.Context(), "team-a", "k6-runner")
//		v, err := m.RevealValue(runner, "team-a", "api-key")
//		...
//		secretstest.AssertNoSecrets(t, logs.String(), "sk-test-1234")
//	}
//
// For a runner that reads its secrets over HTTP (a k6 url source, or a
// source.Resolver), NewServer serves a map of values and gives the spec:
//
//	srv := secretstest.NewServer(t, map[string]string{"api-key": "sk-test-1234"})
//	r, err := source.NewResolver(ctx, source.Options{Specs: []string{srv.Spec}})
//	// or k6, with the spec in its environment (not on its command line):
//	// K6_SECRET_SOURCE=<srv.Spec> k6 run script.js
//
// Every helper takes the test's testing.TB: what it starts is stopped with
// t.Cleanup, and what fails stops the test with t.Fatal (AssertNoSecrets
// reports with t.Errorf and lets the test go on). The package is for
// tests only; nothing in it is fit for production (the key lives in
// memory and dies with the test).
//
// # Security
//
// No helper logs or reports a value, a token or a key: AssertNoSecrets
// names a leaked value by its position in the list it was given, and
// Server's error bodies are a status line. Server.Token and Server.Spec
// are credentials of a test server; keep them out of logs all the same, so
// that the tests keep the habits of production code.
package secretstest
