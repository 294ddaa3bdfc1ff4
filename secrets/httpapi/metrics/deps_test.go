package metrics_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreLinksNoExporter holds the split of issue #13 item 4: the
// instrumented library packages use the OpenTelemetry API only; the SDK,
// the exporter, client_golang (and gRPC) come in only with this package.
func TestCoreLinksNoExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	const mod = "github.com/strongbox-go/strongbox/"
	out, err := exec.Command(goTool, "list", "-deps", mod+"keeper", mod+"secrets", mod+"secrets/runtoken", mod+"secrets/httpapi").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var otelAPI bool
	for _, p := range strings.Fields(string(out)) {
		otelAPI = otelAPI || p == "go.opentelemetry.io/otel/metric"
		for _, banned := range []string{"google.golang.org/grpc", "go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters",
			"github.com/prometheus", mod + "secrets/httpapi/metrics"} {
			if p == banned || strings.HasPrefix(p, banned+"/") {
				t.Errorf("the core links %s", p)
			}
		}
	}
	if !otelAPI {
		t.Error("the core does not link go.opentelemetry.io/otel/metric: is it still instrumented?")
	}
	out, err = exec.Command(goTool, "list", "-deps", mod+"secrets/httpapi/metrics").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if s := string(out); strings.Contains(s, "google.golang.org/grpc") {
		t.Error("package metrics links gRPC")
	}
}
