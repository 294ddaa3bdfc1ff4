package fleet_test

import (
	"testing"

	"github.com/strongbox-go/strongbox/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
