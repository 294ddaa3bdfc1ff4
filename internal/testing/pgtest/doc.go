// Package pgtest gives tests a PostgreSQL to run against: a fresh schema
// on the shared test server, or a private server of their own that they
// may stop and restart.
//
//	u := pgtest.Schema(t)            // a schema dropped when t ends
//	st, _ := storage.OpenStore(ctx, u)
//
//	srv := pgtest.Start(t)           // a private server (seconds to start)
//	u := srv.Schema(t)
//	srv.Restart(t)                   // fast shutdown, then up on the same port
//
// The shared server is the one STRONGBOX_TEST_POSTGRES_URL names (scripts/test
// starts it with scripts/start-postgres). Without it every helper skips the
// test with a message saying how to get one, except under CI=true, where
// the test fails: CI must not pass by skipping.
//
// A private server is made by the repository's scripts/start-postgres with
// STRONGBOX_PG_DIR set to a new directory, so it has its own cluster, port
// and password; it is stopped and its directory removed when the test ends.
// As root the cluster belongs to the postgres user (PostgreSQL refuses to
// run as root), and Stop, Start and Restart run pg_ctl as that user, as the
// script does. Use one only for tests that must stop the server: starting
// one runs initdb, which takes seconds.
//
// Every URL returned holds the server's password: never log it.
package pgtest
