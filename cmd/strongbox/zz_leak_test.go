package main

import (
	"os"
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

// TestMain fails the package's run if any registered test secret reached
// an error or log line that leakcheck saw, and removes the binary the
// tests share (buildBinary).
func TestMain(m *testing.M) {
	code := leakcheck.Run(m)
	removeBinary()
	os.Exit(code)
}
