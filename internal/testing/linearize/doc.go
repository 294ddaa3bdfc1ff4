// Package linearize checks that several strongbox instances on one
// PostgreSQL behave, for one secret, as a single copy of it would, the way
// Jepsen-style tests check databases: record the history of concurrent
// calls, then ask whether some order of them, consistent with real time,
// explains every answer (linearizability, checked with
// github.com/anishathalye/porcupine).
//
// It is a test harness (internal/testing): only tests import it.
//
// # Model
//
// The model is one secret (State): absent, or present at a revision and a
// version, with a value (held as a hash: histories never hold values), a
// revoked flag and a description. Apply is its sequential specification,
// the contract of secrets.Manager and storage.Store:
//
//   - Create: already_exists if present; else revision 1, version 1.
//   - Update (description): requires the current revision (conflict
//     otherwise); revision + 1.
//   - Reset (value), Revoke, Delete: revision 0 means whatever is current,
//     another revision must be the current one (conflict otherwise). Reset
//     adds 1 to revision and version and ends a revocation; Revoke adds 1
//     to the revision, or changes nothing if already revoked; Delete makes
//     the secret absent (a later Create starts again at revision 1).
//   - Reveal: the current value's hash, or revoked.
//   - Get: revision, version, revoked flag, description.
//   - Every call but Create on an absent secret: not_found.
//
// Besides these answers, a Reset, Revoke or Delete at revision 0 may fail
// with conflict and change nothing, in any state (SpuriousConflict): the
// Manager reads the current revision and guards its write with it, so a
// write that lands in between makes it fail rather than be overwritten.
//
// A call whose outcome the caller cannot know (a timeout, a reset
// connection, a 503 or 500) is recorded as Unknown, with a return time
// after every other call of its history (End): the checker may place its
// effect anywhere after its invocation, and the model's step for it
// offers both "took effect" and "did not". A read that ends Unknown
// constrains nothing and is left out.
//
// # Method
//
// TestFleetLinearizable runs three instances, each a storage.Store of
// one fresh PostgreSQL schema opened through its own fault.Proxy, its own
// keeper (the same local KEK), secrets.Manager and httpapi handler on an
// httptest server. Each history is a few clients calling random instances
// over HTTP on one secret name of its own (so histories can run side by
// side: they share nothing the model sees), while a fault schedule plays
// on the proxies: latency, connection resets, and cuts (refusing, or
// blackholing, for 1-3 s) of one instance's link to PostgreSQL. Every
// history is checked; a history the checker refuses is shrunk by Minimize
// (only weakening it: dropping calls that change nothing, turning
// successful writes into Unknown ones, so what remains is still a real
// contradiction), printed, and drawn by porcupine as HTML under
// $STRONGBOX_TEST_ARTIFACTS (or the test's temporary directory), whose
// path the test logs.
//
// The checker is shown to have teeth by a mutant instance that answers
// reveals from a cache for a second (a stale read), which it must catch,
// and by histories written by hand.
//
// Knobs: STRONGBOX_FLEET_HISTORIES (default 200) histories;
// STRONGBOX_TEST_POSTGRES_URL the server (the test skips without it,
// fails without it under CI=true).
package linearize
