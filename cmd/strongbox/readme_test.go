package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/strongbox-go/strongbox/secrets/httpapi"
)

// TestReadmeK6Spec: the K6_SECRET_SOURCE line of the README's "Run the
// service" is the spec httpapi.K6SpecEnv makes for the service's defaults.
func TestReadmeK6Spec(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if !strings.Contains(readme, "## Run the service") {
		t.Fatal(`README has no "Run the service" section`)
	}
	m := regexp.MustCompile(`K6_SECRET_SOURCE="([^"]+)"`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("README has no K6_SECRET_SOURCE line")
	}
	const tok = "sbrt1.kid.payload.sig"
	got := strings.ReplaceAll(m[1], "$RUN_TOKEN", tok)
	if want := strings.TrimPrefix(httpapi.K6SpecEnv("http://127.0.0.1:8080", adminNamespace, tok), "K6_SECRET_SOURCE="); got != want {
		t.Errorf("README spec\n %s\nwant\n %s", got, want)
	}
	if strings.Contains(readme, "k6 run --secret-source") {
		t.Error("README passes the spec on k6's command line")
	}
}
