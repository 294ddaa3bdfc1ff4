package pgtest_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/pgtest"
)

func query(t *testing.T, u string) (string, error) {
	t.Helper()
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var schema string
	err = db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema)
	return schema, err
}

// TestSchema: each call is a schema of its own, selected by the URL.
func TestSchema(t *testing.T) {
	a, b := pgtest.Schema(t), pgtest.Schema(t)
	sa, err := query(t, a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := query(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sa, "sbtest_") || sa == sb {
		t.Errorf("schemas %q and %q: want two fresh sbtest_ schemas", sa, sb)
	}
}

// TestPrivateServer: a private server answers, refuses while stopped,
// and answers again on the same URL after Start and Restart.
func TestPrivateServer(t *testing.T) {
	srv := pgtest.Start(t)
	if srv.URL == pgtest.URL(t) {
		t.Fatal("the private server is the shared one")
	}
	u := srv.Schema(t)
	if _, err := query(t, u); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	if _, err := query(t, u); err == nil {
		t.Fatal("the stopped server answered")
	}
	srv.Start(t)
	if _, err := query(t, u); err != nil {
		t.Fatalf("after Start: %v", err)
	}
	down := srv.Restart(t)
	if _, err := query(t, u); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
	t.Logf("restart took %v", down)
}
