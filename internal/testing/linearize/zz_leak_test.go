package linearize_test

import (
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

// TestMain fails the package's run if any registered test secret reached
// an error, log record, audit event or HTTP body that leakcheck saw.
func TestMain(m *testing.M) { leakcheck.Main(m) }
