package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/testing/leakcheck"
	"github.com/strongbox-go/strongbox/internal/testing/pgtest"
	"github.com/strongbox-go/strongbox/keeper"
)

// member is one strongbox serve process of a fleet: its own data
// directory, the fleet's store and its own --kek list.
type member struct {
	name    string
	bin     string
	home    string
	dataDir string
	store   string
	keks    []string
	p       *proc
}

func (m *member) env() []string {
	return childEnv(m.home, "STRONGBOX_DATA_DIR="+m.dataDir, "STRONGBOX_STORE="+m.store, "STRONGBOX_KEK="+strings.Join(m.keks, " "))
}

func (m *member) start(t *testing.T) {
	t.Helper()
	m.p = start(t, m.bin, m.env(), "serve", "--addr", "127.0.0.1:0", "--audit-log", filepath.Join(m.home, "audit.jsonl"))
}

func (m *member) restart(t *testing.T) {
	t.Helper()
	m.p.stop(t)
	m.start(t)
}

func (m *member) url() string { return m.p.baseURL + "/v1/namespaces/default" }

// operator runs an operator command (key ...) on the fleet's store with
// the given keys, as an operator on m's host would.
func (m *member) operator(t *testing.T, keks []string, args ...string) result {
	t.Helper()
	c := &cli{t: t, bin: m.bin, home: m.home, env: childEnv(m.home, "STRONGBOX_DATA_DIR="+m.dataDir, "STRONGBOX_STORE="+m.store,
		"STRONGBOX_KEK="+strings.Join(keks, " "))}
	return c.run("", args...)
}

// newFleet starts n serve processes on storeURL at once, each with its own
// data directory and the local KEK kek; exactly one of them prints the
// bootstrap admin token, which newFleet returns.
func newFleet(t *testing.T, bin, storeURL string, n int, keks ...string) ([]*member, string) {
	t.Helper()
	ms := make([]*member, n)
	for i := range ms {
		home := t.TempDir()
		ms[i] = &member{name: string(rune('A' + i)), bin: bin, home: home, dataDir: filepath.Join(home, "data"), store: storeURL, keks: keks}
	}
	// At once, so that all three find the store empty: a failed start
	// ends its goroutine (t.Fatal) and leaves m.p nil.
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.start(t)
		}()
	}
	wg.Wait()
	admin := ""
	printed := 0
	for _, m := range ms {
		if m.p == nil {
			t.FailNow()
		}
		if tok := adminToken(m.p.stderr.String()); tok != "" {
			admin = tok
			printed++
		}
	}
	if printed != 1 {
		t.Fatalf("%d instances printed a bootstrap admin token, want exactly 1", printed)
	}
	leakcheck.Register(admin)
	return ms, admin
}

// call is do without t.Fatal, for goroutines: a transport error is an
// error.
func call(method, url, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := fleetClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

var fleetClient = &http.Client{Timeout: 30 * time.Second}

func reveal(base, runToken, name string) (string, int, error) {
	code, b, err := call("GET", base+"/secrets/"+name+"/decrypt", runToken, nil)
	if err != nil || code != 200 {
		return "", code, err
	}
	var v struct{ Value string }
	if err := json.Unmarshal(b, &v); err != nil {
		return "", code, err
	}
	return v.Value, code, nil
}

func newKEK(t *testing.T) string {
	t.Helper()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	leakcheck.Register(u, strings.TrimPrefix(u, "base64key://"))
	return u
}

// section runs one part of a long test in the test's goroutine, so that
// the processes it restarts belong to the test, not to a subtest whose end
// would kill them.
func section(t *testing.T, name string, f func()) {
	t.Helper()
	begin := time.Now()
	f()
	t.Logf("%s: %v", name, time.Since(begin).Round(time.Millisecond))
}

// TestFleetServe is issue #14's three-process test on one PostgreSQL
// schema: three strongbox serve processes (one binary), each with its own
// data directory, the same store and the same local KEK. Exactly one of
// three simultaneous first starts prints the admin token; concurrent
// creates of one name have one winner; a run-token revocation and an API
// token revocation through A are refused by B and C at once and after a
// restart; a reset through A is what B reveals next; and a KEK rotation
// through A's host (add, promote, rewrap, remove) while B and C keep
// creating and revealing loses nothing.
func TestFleetServe(t *testing.T) {
	u := pgtest.Schema(t)
	var bin string
	section(t, "build", func() { bin = buildBinary(t) })
	k1 := newKEK(t)
	var ms []*member
	var admin string
	section(t, "start three instances at once", func() { ms, admin = newFleet(t, bin, u, 3, k1) })
	a, b, c := ms[0], ms[1], ms[2]
	create := func(m *member, name, value string) (int, error) {
		code, _, err := call("POST", m.url()+"/secrets", admin, map[string]any{"name": name, "value": value, "decrypters": []string{"k6-runner"}})
		return code, err
	}
	issued := issueRunTokens(t, a.p.baseURL, admin, 1)
	run := issued[0]

	section(t, "OneWinner", func() {
		for i := range 5 {
			name := fmt.Sprintf("race-%d", i)
			codes := make([]int, 3)
			var wg sync.WaitGroup
			for j, m := range ms {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[j], _ = create(m, name, leakcheck.NewValue("race"))
				}()
			}
			wg.Wait()
			won, lost := 0, 0
			for _, code := range codes {
				switch code {
				case http.StatusCreated:
					won++
				case http.StatusConflict:
					lost++
				}
			}
			if won != 1 || lost != 2 {
				t.Errorf("%s: statuses %v, want one 201 and two 409", name, codes)
			}
		}
	})

	section(t, "RunTokenRevocation", func() {
		value := leakcheck.NewValue("revoke")
		if code, err := create(a, "revoke-me", value); code != 201 {
			t.Fatalf("create: %d %v", code, err)
		}
		code, body, _ := call("POST", a.url()+"/runtokens", admin, map[string]any{"names": []string{"revoke-me"}, "subject": "k6-runner", "ttl": "10m"})
		var tok struct{ ID, Token string }
		if code != 201 || json.Unmarshal(body, &tok) != nil {
			t.Fatalf("issue: %d", code)
		}
		leakcheck.Register(tok.Token)
		for _, m := range ms {
			if v, code, err := reveal(m.url(), tok.Token, "revoke-me"); v != value {
				t.Fatalf("%s: reveal before the revocation: %d %v", m.name, code, err)
			}
		}
		if code, _, _ := call("DELETE", a.url()+"/runtokens/"+tok.ID, admin, nil); code != http.StatusNoContent {
			t.Fatalf("revoke through A: %d", code)
		}
		revoked := time.Now()
		for _, m := range []*member{b, c} {
			for {
				_, code, _ := reveal(m.url(), tok.Token, "revoke-me")
				if code == http.StatusUnauthorized {
					break
				}
				if time.Since(revoked) > time.Second {
					t.Fatalf("%s still accepts the revoked run token after 1s (%d)", m.name, code)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		t.Logf("B and C refused the revoked run token %v after the revocation", time.Since(revoked).Round(time.Millisecond))
		b.restart(t)
		if _, code, _ := reveal(b.url(), tok.Token, "revoke-me"); code != http.StatusUnauthorized {
			t.Errorf("B after a restart: %d, want 401", code)
		}
		if v, _, _ := reveal(b.url(), run, "revoke-me"); v != value {
			t.Error("B after a restart does not reveal with another run token")
		}
	})

	section(t, "APITokenRevocation", func() {
		code, body, _ := call("POST", a.url()+"/apitokens", admin, map[string]any{"roles": []string{"editor"}, "ttl": "1h"})
		var tok struct{ ID, Token string }
		if code != 201 || json.Unmarshal(body, &tok) != nil || tok.Token == "" {
			t.Fatalf("issue an API token through A: %d %s", code, body)
		}
		leakcheck.Register(tok.Token)
		if code, _, _ := call("GET", b.url()+"/secrets", tok.Token, nil); code != 200 {
			t.Fatalf("B with A's new API token: %d", code)
		}
		if code, _, _ := call("DELETE", a.url()+"/apitokens/"+tok.ID, admin, nil); code != http.StatusNoContent {
			t.Fatalf("revoke through A: %d", code)
		}
		for _, m := range []*member{b, c} {
			if code, _, _ := call("GET", m.url()+"/secrets", tok.Token, nil); code != http.StatusUnauthorized {
				t.Errorf("%s right after the revocation through A: %d, want 401", m.name, code)
			}
		}
	})

	section(t, "ResetSeenNext", func() {
		if code, err := create(a, "reset-me", leakcheck.NewValue("reset")); code != 201 {
			t.Fatalf("create: %d %v", code, err)
		}
		for i := range 20 {
			value := leakcheck.NewValue("reset")
			if code, _, _ := call("POST", a.url()+"/secrets/reset-me/reset", admin, map[string]any{"value": value}); code != 200 {
				t.Fatalf("reset %d through A: %d", i, code)
			}
			if v, code, err := reveal(b.url(), run, "reset-me"); v != value {
				t.Fatalf("reset %d: B's next reveal is not the new value (%d %v)", i, code, err)
			}
		}
	})

	section(t, "KEKRotation", func() {
		// key add on A's host: a new local key, its id in the store.
		k2File := filepath.Join(a.home, "k2.kek")
		r := a.operator(t, []string{k1}, "key", "add", "--out", k2File)
		if r.code != 0 {
			t.Fatalf("key add: %d %s", r.code, r.stderr)
		}
		k2ID := strings.TrimSpace(r.stdout)
		k2 := strings.TrimSpace(string(mustRead(t, k2File)))
		leakcheck.Register(k2, strings.TrimPrefix(k2, "base64key://"))
		k1ID := keeper.DefaultKEKID(k1)
		if r := a.operator(t, []string{k1, k2}, "key", "promote", k2ID); r.code != exitConflict || !strings.Contains(r.stderr, "does not hold") {
			t.Fatalf("promote before the instances hold k2: %d %s; want 5, naming the instance", r.code, r.stderr)
		}
		// The key list names the instances that lack k2.
		if r := a.operator(t, []string{k1, k2}, "key", "list"); r.code != 0 || !strings.Contains(r.stdout, "(3 running)") ||
			!regexp.MustCompile(k2ID+`\s+decrypts\s+0\s+lacking:\S+,\S+,\S+\n`).MatchString(r.stdout) {
			t.Errorf("key list before the instances hold k2: %d\n%s", r.code, r.stdout)
		}
		// A local key reaches each instance by its configuration.
		section(t, "restart A, B and C with k2", func() {
			for _, m := range ms {
				m.keks = []string{k1, k2}
				m.restart(t)
			}
		})

		// B and C create and reveal while the rotation runs.
		var stop atomic.Bool
		var mu sync.Mutex
		acked := map[string]string{}
		var errs []string
		var ops atomic.Int64
		var wg sync.WaitGroup
		for _, m := range []*member{b, c} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; !stop.Load(); i++ {
					name := fmt.Sprintf("rot-%s-%d", m.name, i)
					value := leakcheck.NewValue("rot")
					code, err := create(m, name, value)
					if code != 201 {
						mu.Lock()
						errs = append(errs, fmt.Sprintf("%s: create %s: %d %v", m.name, name, code, err))
						mu.Unlock()
						continue
					}
					mu.Lock()
					acked[name] = value
					mu.Unlock()
					if v, code, err := reveal(m.url(), run, name); v != value {
						mu.Lock()
						errs = append(errs, fmt.Sprintf("%s: reveal %s: %d %v", m.name, name, code, err))
						mu.Unlock()
					}
					ops.Add(2)
				}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		begin := time.Now()
		both := []string{k1, k2}
		if r := a.operator(t, both, "key", "promote", k2ID); r.code != 0 {
			t.Fatalf("promote: %d %s", r.code, r.stderr)
		}
		promoted := time.Now()
		const grace = 2 * time.Second
		graceFlag := "--grace=" + grace.String()
		// Right after the switch B and C may still have writes under k1
		// in flight: refused.
		if r := a.operator(t, both, "key", "remove", k1ID, graceFlag); r.code != exitConflict || !strings.Contains(r.stderr, "instance") {
			t.Errorf("remove right after promote: %d %s; want 5, naming an instance", r.code, r.stderr)
		}
		time.Sleep(time.Until(promoted.Add(grace + 200*time.Millisecond)))
		removed := false
		for attempt := 0; attempt < 3 && !removed; attempt++ {
			if r := a.operator(t, both, "key", "rewrap"); r.code != 0 {
				t.Fatalf("rewrap: %d %s", r.code, r.stderr)
			}
			r := a.operator(t, both, "key", "remove", k1ID, graceFlag)
			removed = r.code == 0
			if !removed {
				t.Logf("remove after rewrap %d: %s", attempt, r.stderr)
			}
		}
		if !removed {
			t.Fatal("key remove never succeeded")
		}
		rotation := time.Since(begin)
		time.Sleep(300 * time.Millisecond) // B and C keep going under k2 alone
		stop.Store(true)
		wg.Wait()
		t.Logf("rotation (promote, rewrap, remove) took %v; B and C made %d requests meanwhile", rotation.Round(time.Millisecond), ops.Load())
		for _, e := range errs {
			t.Error(e)
		}
		if len(acked) < 10 {
			t.Errorf("only %d creates during the rotation", len(acked))
		}
		// Every secret, by every instance; and the key is gone from all:
		// an operator holding k1 alone is refused.
		for _, m := range ms {
			for name, value := range acked {
				if v, code, err := reveal(m.url(), run, name); v != value {
					t.Errorf("%s: reveal %s after the rotation: %d %v", m.name, name, code, err)
				}
			}
		}
		if r := a.operator(t, []string{k1}, "key", "list"); r.code != exitConflict {
			t.Errorf("an operator with the retired key alone: %d %s, want 5", r.code, r.stderr)
		}
		if r := a.operator(t, []string{k2}, "key", "list"); r.code != 0 || !regexp.MustCompile(k1ID+`\s+retired\s+0\s+none\n`).MatchString(r.stdout) ||
			!regexp.MustCompile(k2ID+`\s+primary\s+\d+\s+all\n`).MatchString(r.stdout) {
			t.Errorf("key list after the removal: want k1 retired and held by none, k2 primary everywhere: %d\n%s", r.code, r.stdout)
		}
		// A new instance configured with the retired key alone refuses to
		// serve: it would write what the fleet cannot read.
		late := &member{bin: bin, home: t.TempDir(), store: u, keks: []string{k1}}
		late.dataDir = filepath.Join(late.home, "data")
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
		cmd.Env = late.env()
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "--kek") || !strings.Contains(string(out), k2ID) {
			t.Errorf("an instance without the fleet's primary: %v\n%s", err, out)
		}
		leakcheck.Check("late instance", string(out))
	})
	section(t, "stop", func() {
		for _, m := range ms {
			m.p.stop(t)
			leakcheck.Check(m.name+" stderr", strings.ReplaceAll(m.p.stderr.String(), admin, ""))
			leakcheck.Check(m.name+" audit", string(mustRead(t, filepath.Join(m.home, "audit.jsonl"))))
		}
	})
}

// TestFleetPostgresRestart: three serve processes on a private PostgreSQL
// that is restarted while they take creates: no acknowledged create is
// lost (each is readable through every instance afterwards), and every
// instance serves again without a restart of its own. It logs how long
// each took to recover.
func TestFleetPostgresRestart(t *testing.T) {
	var srv *pgtest.Server
	section(t, "private PostgreSQL", func() { srv = pgtest.Start(t) })
	u := srv.Schema(t)
	var bin string
	section(t, "build", func() { bin = buildBinary(t) })
	var ms []*member
	var admin string
	section(t, "start three instances at once", func() { ms, admin = newFleet(t, bin, u, 3, newKEK(t)) })
	run := issueRunTokens(t, ms[0].p.baseURL, admin, 1)[0]

	var stop atomic.Bool
	var mu sync.Mutex
	acked := map[string]string{}
	failed := 0
	lastFail := make([]time.Time, len(ms))
	var wg sync.WaitGroup
	for j, m := range ms {
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; !stop.Load(); i++ {
					name := fmt.Sprintf("pg-%s%d-%d", m.name, w, i)
					value := leakcheck.NewValue("pg")
					code, _, err := call("POST", m.url()+"/secrets", admin, map[string]any{"name": name, "value": value, "decrypters": []string{"k6-runner"}})
					mu.Lock()
					if code == 201 {
						acked[name] = value
					} else {
						// 503 while the server is down; a transport error
						// would mean the instance itself failed.
						if err != nil {
							t.Errorf("%s: %v", m.name, err)
						}
						failed++
						lastFail[j] = time.Now()
					}
					mu.Unlock()
					if code != 201 {
						time.Sleep(5 * time.Millisecond)
					}
				}
			}()
		}
	}
	time.Sleep(500 * time.Millisecond)
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	took := srv.Restart(t)
	up := time.Now()
	// Every instance serves again: wait for a success after the restart.
	recovered := make([]time.Duration, len(ms))
	for j, m := range ms {
		for {
			code, _, _ := call("GET", m.url()+"/secrets?pageSize=1", admin, nil)
			if code == 200 {
				recovered[j] = time.Since(up)
				break
			}
			if time.Since(up) > 15*time.Second {
				t.Fatalf("%s does not serve 15s after PostgreSQL came back (%d)", m.name, code)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	t.Logf("PostgreSQL down and up in %v; %d creates acknowledged (%d before the restart), %d refused meanwhile", took.Round(time.Millisecond), len(acked), before, failed)
	for j, m := range ms {
		last := "none"
		if !lastFail[j].IsZero() {
			last = lastFail[j].Sub(up).Round(time.Millisecond).String()
		}
		t.Logf("%s: serving %v after PostgreSQL was back (last refused create %s after)", m.name, recovered[j].Round(time.Millisecond), last)
	}
	if len(acked) <= before {
		t.Errorf("no create acknowledged after the restart (%d, %d before)", len(acked), before)
	}
	begin := time.Now()
	for _, m := range ms {
		lost := 0
		for name, value := range acked {
			if v, _, _ := reveal(m.url(), run, name); v != value {
				lost++
			}
		}
		if lost > 0 {
			t.Errorf("%s: %d of %d acknowledged creates not readable", m.name, lost, len(acked))
		}
	}
	t.Logf("read back %d secrets through each of 3 instances in %v", len(acked), time.Since(begin).Round(time.Millisecond))
	for _, m := range ms {
		m.p.stop(t)
	}
}
