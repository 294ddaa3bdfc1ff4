package loadtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/loadtest"
	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestRunCountsRequestsAndErrors: every answer is counted; a failing
// check and a non-200 status are errors, with the first one kept.
func TestRunCountsRequestsAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	tests := []struct {
		name      string
		path      string
		check     func(int, []byte) error
		wantError bool
	}{
		{"ok", "/", nil, false},
		{"status", "/missing", nil, true},
		{"check", "/", func(int, []byte) error { return errors.New("wrong") }, true},
		{"check passes", "/", func(s int, b []byte) error {
			if s != 200 || string(b) != "ok" {
				return errors.New("bad")
			}
			return nil
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadtest.Run(context.Background(), loadtest.Options{Clients: 4, Duration: 100 * time.Millisecond,
				Request: func(c, i int) (*http.Request, func(int, []byte) error) {
					req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
					return req, tt.check
				}})
			if r.Requests == 0 || r.Clients != 4 || r.PerSecond() <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
				t.Errorf("result %+v", r)
			}
			if (r.Errors > 0) != tt.wantError || (r.Errors > 0) != (r.FirstError != "") {
				t.Errorf("errors %d (first %q), want errors: %v", r.Errors, r.FirstError, tt.wantError)
			}
			if tt.wantError && r.Errors != r.Requests {
				t.Errorf("%d errors of %d requests", r.Errors, r.Requests)
			}
		})
	}
}
