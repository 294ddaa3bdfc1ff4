package oidcauth_test

import (
	"testing"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
