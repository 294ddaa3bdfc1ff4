package modeltest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"pgregory.net/rapid"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/internal/testing/fault"
	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets"
)

// ---------------------------------------------------------------------------
// Faults

// armed is a fault planned for one call.
type armed struct {
	desc      string
	before    int
	hang      bool
	kekDenied bool
}

var faultOps = []fault.Op{"", fault.CreateMetadata, fault.GetMetadata, fault.UpdateMetadata,
	fault.DeleteMetadata, fault.ListMetadata, fault.PutCiphertext, fault.GetCiphertext,
	fault.DeleteCiphertext, fault.ListCiphertexts, fault.Encrypt, fault.Decrypt, fault.KEKEncrypt, fault.KEKDecrypt,
	fault.GetCurrent, fault.CreateWithCiphertext, fault.UpdateWithCiphertext, fault.DeleteSecret}

// arm plans a fault for the next call a quarter of the time.
func (s *state) arm() *armed {
	if s.h.opts.NoFaults || rapid.IntRange(0, 3).Draw(s.t, "fault") != 0 {
		return nil
	}
	a := &armed{before: s.in.Faulted("")}
	// Half of the time any call (the nth of the operation), else the first
	// or second call of one kind.
	var op fault.Op
	n := rapid.IntRange(1, 5).Draw(s.t, "faultNth")
	if rapid.Bool().Draw(s.t, "faultAnyOp") {
		op = rapid.SampledFrom(faultOps[1:]).Draw(s.t, "faultOp")
		n = 1 + n%2
	}
	switch kind := rapid.IntRange(0, 9).Draw(s.t, "faultKind"); kind {
	case 0, 1:
		s.in.FailNth(op, n, nil)
		a.desc = fmt.Sprintf("fail call %d of %q", n, op)
	case 2, 3:
		s.in.FailAfterNth(op, n, nil)
		a.desc = fmt.Sprintf("lose the acknowledgement of call %d of %q", n, op)
	case 4:
		s.in.CrashAfter(n - 1)
		a.desc = fmt.Sprintf("crash before call %d", n)
	case 5:
		s.in.CrashDuring(n - 1)
		a.desc = fmt.Sprintf("crash during call %d", n)
	case 6:
		s.in.HangNth(op, n)
		a.hang = true
		a.desc = fmt.Sprintf("time out call %d of %q", n, op)
	case 7:
		kop := rapid.SampledFrom([]fault.Op{fault.KEKEncrypt, fault.KEKDecrypt}).Draw(s.t, "kekOp")
		s.in.FailNth(kop, 1, fault.KEKPermissionDenied)
		a.kekDenied = true
		a.desc = fmt.Sprintf("KEK refuses %q", kop)
	default:
		s.in.FailAll(op, nil)
		a.desc = fmt.Sprintf("outage of %q", op)
	}
	s.t.Logf("fault: %s", a.desc)
	return a
}

// ctx bounds a call that a planned hang will block.
func (a *armed) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if a != nil && a.hang {
		return context.WithTimeout(ctx, ctxTimeout)
	}
	return ctx, func() {}
}

// disarm removes the plan and reports whether a fault hit the call.
func (s *state) disarm(a *armed, err error) bool {
	if a == nil {
		return false
	}
	fired := s.in.Faulted("") > a.before || (a.hang && errcode.IsContext(err))
	s.in.Reset()
	if fired {
		s.h.faults.Add(1)
		s.t.Logf("fault fired: %s; call returned %v", a.desc, err)
	}
	return fired
}

// faultErr reports whether err is what a fault may cause: the injected
// unavailability, a timeout, or (key service refusing) a permission or
// decryption failure.
func faultErr(a *armed, err error) bool {
	switch {
	case errcode.IsContext(err), codeOf(err) == errcode.Unavailable:
		return true
	case a.kekDenied:
		// A refused unwrap is a decryption failure: ErrDecryptionFailed,
		// or through an API only its code, Internal.
		return codeOf(err) == errcode.PermissionDenied || errors.Is(err, keeper.ErrDecrypt) ||
			codeOf(err) == errcode.Internal
	}
	return false
}

// settle resolves the outcome of a write: want is the model's expected
// code and after the model once the write applies (for want OK). A write
// that a fault hit may fail or succeed; if it failed, the store must be
// either unchanged or fully applied, and the model follows what it finds.
func (s *state) settle(where string, a *armed, ns string, err error, w want, after *model) {
	s.t.Helper()
	s.dirty[ns] = true
	fired := s.disarm(a, err)
	s.checkTyped(where, err)
	if !fired {
		s.expect(where, err, w)
		if w == errcode.OK {
			s.model = after
		}
		return
	}
	s.model.orphans[ns] = true
	if after != nil {
		after.orphans[ns] = true
	}
	if err == nil {
		if w != errcode.OK {
			s.fatalf("%s: succeeded under a fault; the model expected %q", where, w)
		}
		s.model = after
		return
	}
	if codeOf(err) != w && !faultErr(a, err) {
		s.fatalf("%s: under fault %q: error %v is neither %q nor a fault's", where, a.desc, err, w)
	}
	if w != errcode.OK {
		return // nothing to apply; the step's store check holds the model
	}
	// A call cancelled by its context may still land: a SQL server
	// commits a statement the client already sent, after the client gave
	// up. So after a context error the state must hold still for a while
	// before the harness believes it.
	polls, stable := 1, 1
	if errcode.IsContext(err) {
		polls, stable = 10, 3
	}
	var unchanged, applied, last string
	seen := 0
	for i := 0; i < polls; i++ {
		if i > 0 {
			time.Sleep(30 * time.Millisecond)
		}
		unchanged, applied = s.diffStore(s.model), ""
		state := "unchanged"
		if unchanged != "" {
			if applied = s.diffStore(after); applied == "" {
				state = "applied"
			} else {
				state = "neither"
			}
		}
		if state == last {
			seen++
		} else {
			last, seen = state, 1
		}
		if seen >= stable && state != "neither" {
			break
		}
	}
	switch {
	case unchanged == "":
		return
	case applied == "":
		s.t.Logf("%s: failed with %v but was applied", where, err)
		s.h.applied.Add(1)
		s.model = after
		return
	}
	s.fatalf("%s: after fault %q (error %v) the store is neither unchanged nor fully applied.\nAgainst unchanged:\n%s\nAgainst applied:\n%s",
		where, a.desc, err, unchanged, applied)
}

// settleRead resolves the outcome of a read: it changes nothing.
func (s *state) settleRead(where string, a *armed, err error, w want) (faulted bool) {
	s.t.Helper()
	fired := s.disarm(a, err)
	s.checkTyped(where, err)
	if fired && err != nil && codeOf(err) != w {
		if !faultErr(a, err) {
			s.fatalf("%s: under fault %q: error %v is neither %q nor a fault's", where, a.desc, err, w)
		}
		return true
	}
	s.expect(where, err, w)
	return false
}

func (s *state) newSecret(ns, name string, p principal, spec secrets.Spec, decs []string) *mSecret {
	now := s.clock.now()
	return &mSecret{
		Namespace: ns, Name: name, Description: spec.Description,
		Labels: maps.Clone(spec.Labels), Decrypters: slices.Clone(decs),
		Version: 1, Revision: 1, CreateTime: now, UpdateTime: now,
		CreatedBy: p.String(), UpdatedBy: p.String(), value: spec.Value.DangerouslyExpose(),
		KeepVersions: s.keepOf(spec),
		history:      []mVersion{{Version: 1, CreateTime: now, CreatedBy: p.String(), value: spec.Value.DangerouslyExpose()}},
	}
}

// keepOf is the window a created secret gets.
func (s *state) keepOf(spec secrets.Spec) int {
	if spec.KeepVersions != nil {
		return *spec.KeepVersions
	}
	return s.keep
}

// clientRefuses handles, through an API in front of the Manager, a call
// whose arguments the client itself rejects (a missing or negative
// revision): it must fail with ErrInvalid before sending anything, whoever
// calls. It reports whether it handled the call.
func (s *state) clientRefuses(where string, invalid bool, call func() error) bool {
	return s.refusedBeforeAuth(where, invalid, errcode.Invalid, call)
}

// unroutable handles, through an API in front of the Manager, a call
// naming a secret that cannot be a URL path segment (empty, "." or ".."):
// the client refuses it with ErrInvalid before anything else.
func (s *state) unroutable(where, name string, call func() error) bool {
	return s.refusedBeforeAuth(where, name == "" || name == "." || name == "..", errcode.Invalid, call)
}

func (s *state) refusedBeforeAuth(where string, cond bool, code errcode.Code, call func() error) bool {
	s.t.Helper()
	if s.h.opts.API == nil || !cond {
		return false
	}
	calls := s.calls()
	s.expect(where, call(), code)
	if s.calls() != calls {
		s.fatalf("%s: an invalid call reached the store or keeper", where)
	}
	return true
}
