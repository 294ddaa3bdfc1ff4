package linearize

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// op builds an operation; ret < 0 means Unknown (filled in with End).
func op(client int, call, ret int64, in Input, out Output) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
}

func withEnd(h []porcupine.Operation) []porcupine.Operation {
	end := End(h)
	for i := range h {
		if h[i].Output.(Output).Outcome == Unknown {
			h[i].Return = end
		}
	}
	return h
}

var (
	created  = Output{Outcome: OK, Rev: 1, Version: 1}
	resetTo2 = Output{Outcome: OK, Rev: 2, Version: 2}
)

// TestModelHistories: hand-written histories the checker must accept and
// refuse, so the model is known to have teeth before the fleet uses it.
func TestModelHistories(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history []porcupine.Operation
		ok      bool
	}{
		{"sequential create reset reveal", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 3, Input{Kind: Reset, Value: 2}, resetTo2),
			op(0, 4, 5, Input{Kind: Reveal}, Output{Outcome: OK, Value: 2}),
		}, true},
		{"stale reveal after a completed reset", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 3, Input{Kind: Reset, Value: 2}, resetTo2),
			op(1, 4, 5, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}),
		}, false},
		{"reveal concurrent with a reset sees either", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 10, Input{Kind: Reset, Value: 2}, resetTo2),
			op(1, 3, 4, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}),
			op(2, 3, 5, Input{Kind: Reveal}, Output{Outcome: OK, Value: 2}),
		}, true},
		{"new then old value (non-monotonic reads)", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 10, Input{Kind: Reset, Value: 2}, resetTo2),
			op(1, 3, 4, Input{Kind: Reveal}, Output{Outcome: OK, Value: 2}),
			op(2, 5, 6, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}),
		}, false},
		{"two creates both win", []porcupine.Operation{
			op(0, 0, 5, Input{Kind: Create, Value: 1}, created),
			op(1, 0, 5, Input{Kind: Create, Value: 2}, created),
		}, false},
		{"two creates, one wins", []porcupine.Operation{
			op(0, 0, 5, Input{Kind: Create, Value: 1}, created),
			op(1, 0, 5, Input{Kind: Create, Value: 2}, Output{Outcome: AlreadyExists}),
			op(2, 6, 7, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}),
		}, true},
		{"a stale revision succeeds (lost update)", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 3, Input{Kind: Update, Rev: 1, Desc: "a"}, Output{Outcome: OK, Rev: 2, Version: 1, Desc: "a"}),
			op(1, 4, 5, Input{Kind: Update, Rev: 1, Desc: "b"}, Output{Outcome: OK, Rev: 3, Version: 1, Desc: "b"}),
		}, false},
		{"a stale revision conflicts", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 3, Input{Kind: Update, Rev: 1, Desc: "a"}, Output{Outcome: OK, Rev: 2, Version: 1, Desc: "a"}),
			op(1, 4, 5, Input{Kind: Reset, Rev: 1, Value: 2}, Output{Outcome: Conflict}),
			op(1, 6, 7, Input{Kind: Reset, Value: 2}, Output{Outcome: OK, Rev: 3, Version: 2}),
		}, true},
		{"a conflict at revision 0 changes nothing", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(1, 2, 3, Input{Kind: Reset, Value: 2}, Output{Outcome: Conflict}),
			op(1, 4, 5, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}),
		}, true},
		{"a conflict that nothing explains", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(1, 4, 5, Input{Kind: Revoke, Rev: 1}, Output{Outcome: Conflict}),
		}, false},
		{"revoke, reveal refused, reset ends it", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 3, Input{Kind: Revoke}, Output{Outcome: OK, Rev: 2, Version: 1, Revoked: true}),
			op(1, 4, 5, Input{Kind: Revoke, Rev: 2}, Output{Outcome: OK, Rev: 2, Version: 1, Revoked: true}),
			op(1, 6, 7, Input{Kind: Reveal}, Output{Outcome: Revoked}),
			op(0, 8, 9, Input{Kind: Reset, Value: 3}, Output{Outcome: OK, Rev: 3, Version: 2}),
			op(1, 10, 11, Input{Kind: Reveal}, Output{Outcome: OK, Value: 3}),
		}, true},
		{"revealed after a completed revoke", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 3, Input{Kind: Revoke}, Output{Outcome: OK, Rev: 2, Version: 1, Revoked: true}),
			op(1, 4, 5, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}),
		}, false},
		{"delete then create restarts revisions", []porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, 3, Input{Kind: Delete}, Output{Outcome: OK}),
			op(1, 4, 5, Input{Kind: Get}, Output{Outcome: NotFound}),
			op(1, 6, 7, Input{Kind: Create, Value: 2, Desc: "d"}, created),
			op(0, 8, 9, Input{Kind: Get}, Output{Outcome: OK, Rev: 1, Version: 1, Desc: "d"}),
		}, true},
		{"an unknown reset may have happened", withEnd([]porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, -1, Input{Kind: Reset, Value: 2}, Output{Outcome: Unknown}),
			op(1, 10, 11, Input{Kind: Reveal}, Output{Outcome: OK, Value: 2}),
		}), true},
		{"an unknown reset may not have happened", withEnd([]porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, -1, Input{Kind: Reset, Value: 2}, Output{Outcome: Unknown}),
			op(1, 10, 11, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}),
		}), true},
		{"an unknown reset took effect late, once", withEnd([]porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(0, 2, -1, Input{Kind: Reset, Value: 2}, Output{Outcome: Unknown}),
			op(1, 10, 11, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}),
			op(1, 12, 13, Input{Kind: Reveal}, Output{Outcome: OK, Value: 2}),
			op(1, 14, 15, Input{Kind: Get}, Output{Outcome: OK, Rev: 2, Version: 2}),
		}), true},
		{"an unknown reset cannot take effect before its call", withEnd([]porcupine.Operation{
			op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
			op(1, 2, 3, Input{Kind: Reveal}, Output{Outcome: OK, Value: 2}),
			op(0, 5, -1, Input{Kind: Reset, Value: 2}, Output{Outcome: Unknown}),
		}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := porcupine.CheckOperationsVerbose(Model, tc.history, 0)
			if want := map[bool]porcupine.CheckResult{true: porcupine.Ok, false: porcupine.Illegal}[tc.ok]; res != want {
				t.Errorf("check = %v, want %v", res, want)
			}
		})
	}
}

// TestMinimizeKeepsTheContradiction: the shrunk history is smaller, still
// refused, and keeps the calls the contradiction is made of.
func TestMinimizeKeepsTheContradiction(t *testing.T) {
	h := []porcupine.Operation{
		op(0, 0, 1, Input{Kind: Create, Value: 1}, created),
		op(1, 2, 3, Input{Kind: Get}, Output{Outcome: OK, Rev: 1, Version: 1}),
		op(2, 2, 3, Input{Kind: Create, Value: 9}, Output{Outcome: AlreadyExists}),
		op(0, 4, 5, Input{Kind: Reset, Value: 2}, resetTo2),
		op(1, 6, 7, Input{Kind: Reveal}, Output{Outcome: OK, Value: 2}),
		op(2, 8, 9, Input{Kind: Reveal}, Output{Outcome: OK, Value: 1}), // stale
		op(1, 10, 11, Input{Kind: Get}, Output{Outcome: OK, Rev: 2, Version: 2}),
		op(0, 12, 0, Input{Kind: Revoke}, Output{Outcome: Unknown}), // after every known call
	}
	h = withEnd(h)
	if porcupine.CheckOperations(Model, h) {
		t.Fatal("the history is linearizable; the test is wrong")
	}
	m := Minimize(h)
	if porcupine.CheckOperations(Model, m) {
		t.Fatal("Minimize returned a linearizable history")
	}
	if len(m) >= len(h) {
		t.Errorf("Minimize kept %d of %d calls", len(m), len(h))
	}
	var staleKept bool
	for _, o := range m {
		if o.Input.(Input).Kind == Reveal && o.Output.(Output).Value == 1 {
			staleKept = true
		}
		if o.Input.(Input).Kind == Create && o.Output.(Output).Outcome == AlreadyExists {
			t.Error("Minimize kept the failed create, which changes nothing")
		}
		if o.Input.(Input).Kind == Revoke {
			t.Error("Minimize kept the Unknown revoke invoked after every known call")
		}
	}
	if !staleKept {
		t.Errorf("Minimize dropped the stale reveal:\n%v", m)
	}
	// A linearizable history is returned unchanged.
	ok := h[:5:5]
	if got := Minimize(ok); len(got) != len(ok) {
		t.Errorf("Minimize of a linearizable history changed it: %d calls of %d", len(got), len(ok))
	}
}

// TestApplyOutputs pins the outputs Apply gives each kind, since a
// recorded output is compared with it field for field.
func TestApplyOutputs(t *testing.T) {
	s := State{Exists: true, Rev: 4, Version: 2, Value: 7, Desc: "d"}
	for _, tc := range []struct {
		in   Input
		out  Output
		next State
	}{
		{Input{Kind: Create, Value: 8}, Output{Outcome: AlreadyExists}, s},
		{Input{Kind: Update, Rev: 4, Desc: "e"}, Output{Outcome: OK, Rev: 5, Version: 2, Desc: "e"}, State{Exists: true, Rev: 5, Version: 2, Value: 7, Desc: "e"}},
		{Input{Kind: Update, Rev: 3, Desc: "e"}, Output{Outcome: Conflict}, s},
		{Input{Kind: Reset, Rev: 0, Value: 8}, Output{Outcome: OK, Rev: 5, Version: 3}, State{Exists: true, Rev: 5, Version: 3, Value: 8, Desc: "d"}},
		{Input{Kind: Reset, Rev: 5, Value: 8}, Output{Outcome: Conflict}, s},
		{Input{Kind: Revoke, Rev: 4}, Output{Outcome: OK, Rev: 5, Version: 2, Revoked: true}, State{Exists: true, Rev: 5, Version: 2, Revoked: true, Desc: "d"}},
		{Input{Kind: Delete, Rev: 4}, Output{Outcome: OK}, State{}},
		{Input{Kind: Delete, Rev: 1}, Output{Outcome: Conflict}, s},
		{Input{Kind: Reveal}, Output{Outcome: OK, Value: 7}, s},
		{Input{Kind: Get}, Output{Outcome: OK, Rev: 4, Version: 2, Desc: "d"}, s},
	} {
		out, next := Apply(s, tc.in)
		if out != tc.out || next != tc.next {
			t.Errorf("Apply(%s, %+v) = %+v, %s; want %+v, %s", DescribeState(s), tc.in, out, DescribeState(next), tc.out, DescribeState(tc.next))
		}
	}
	for _, k := range []Kind{Update, Reset, Revoke, Delete, Reveal, Get} {
		if out, next := Apply(State{}, Input{Kind: k, Rev: 1}); out.Outcome != NotFound || next != (State{}) {
			t.Errorf("%s of an absent secret = %+v", k, out)
		}
	}
}
