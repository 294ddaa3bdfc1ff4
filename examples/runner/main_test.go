package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/secrets/secretstest"
)

// childEnv makes the test binary act as the runner: TestMain then calls
// main with the arguments in childArgs and the secrets in childSecrets.
const (
	childEnv     = "STRONGBOX_RUNNER_TEST_CHILD"
	childArgs    = "STRONGBOX_RUNNER_TEST_ARGS"
	childSecrets = "STRONGBOX_RUNNER_TEST_SECRETS"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		useSecrets(strings.Split(os.Getenv(childSecrets), ","))
		os.Args = append([]string{"runner"}, strings.Fields(os.Getenv(childArgs))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// useSecrets makes newSecret hand out list in turn (then its last entry),
// so the test knows what must never be printed.
func useSecrets(list []string) {
	var mu sync.Mutex
	newSecret = func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		s := list[0]
		if len(list) > 1 {
			list = list[1:]
		}
		return s, nil
	}
}

func randomSecret(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "test-sk-" + hex.EncodeToString(b)
}

func TestRunnerExitsCleanlyAndPrintsNoSecret(t *testing.T) {
	for _, args := range []string{"", "-source=url -requests=400 -concurrency=16"} {
		t.Run("args="+args, func(t *testing.T) {
			secret, token := randomSecret(t), randomSecret(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=1", childArgs+"="+args, childSecrets+"="+secret+","+token)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			out := stdout.String() + stderr.String()
			if err != nil {
				t.Fatalf("runner failed: %v\n%s", err, out)
			}
			secretstest.AssertNoSecrets(t, out, secret, token, secret[len(secret)-12:])
			want := "ok=300 failed=0"
			if args != "" {
				want = "ok=400 failed=0"
			}
			for _, w := range []string{want, "***SECRET_REDACTED***", `msg="load finished"`} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRunnerReportsFailure(t *testing.T) {
	secret := randomSecret(t)
	useSecrets([]string{secret})
	tests := []struct {
		name    string
		cfg     config
		wantErr string
	}{
		{"bad bounds", config{source: "store", requests: 0, concurrency: 1, timeout: time.Second}, "want 1-100000 requests"},
		{"unknown source", config{source: "vault", requests: 1, concurrency: 1, timeout: time.Second}, "unknown -source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.cfg, &out)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run error = %v, want %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), "run failed") || strings.Contains(out.String(), secret) {
				t.Fatalf("output:\n%s", out.String())
			}
		})
	}
}
