package runtoken_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRuntokenDoesNotImportSecrets: a program that only verifies run
// tokens does not link package secrets, its storage and keeper code or
// gocloud's gRPC and cloud SDKs (issue #12 item 5). runtoken imported
// secrets for two validators; they live in internal/names now.
func TestRuntokenDoesNotImportSecrets(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "github.com/strongbox-go/strongbox/secrets",
			strings.HasPrefix(dep, "github.com/strongbox-go/strongbox/keeper"),
			strings.HasPrefix(dep, "github.com/strongbox-go/strongbox/storage"),
			strings.HasPrefix(dep, "google.golang.org/"),
			strings.HasPrefix(dep, "gocloud.dev/"):
			t.Errorf("runtoken depends on %s", dep)
		}
	}
}
