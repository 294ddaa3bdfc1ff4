package webui_test

import (
	"testing"

	"github.com/strongbox-go/strongbox/secrets/webui"
	"github.com/strongbox-go/strongbox/secrets/webui/webuitest"
)

func TestMemorySessionStoreConformance(t *testing.T) {
	webuitest.RunConformance(t, func(*testing.T) webui.SessionStore { return webui.NewMemorySessionStore() })
}
