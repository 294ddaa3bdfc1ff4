package linearize

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/anishathalye/porcupine"
)

// Kind is the operation of one call.
type Kind uint8

// The calls on the one secret of a history.
const (
	Create Kind = iota + 1
	Update      // the description, guarded by Input.Rev
	Reset       // a new value; Input.Rev 0 means whatever is current
	Revoke      // Input.Rev 0 means whatever is current
	Delete      // Input.Rev 0 means whatever is current
	Reveal      // the value, through the decrypt route
	Get         // the metadata
)

var kindNames = [...]string{Create: "create", Update: "update", Reset: "reset", Revoke: "revoke", Delete: "delete", Reveal: "reveal", Get: "get"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// IsRead reports whether k changes nothing.
func (k Kind) IsRead() bool { return k == Reveal || k == Get }

// Input is what a call asked. Values are never held: only a hash of them.
type Input struct {
	Kind  Kind
	Rev   int64  // the revision guard (Update requires one; 0 elsewhere means current)
	Value uint64 // Create, Reset: hash of the value written
	Desc  string // Create, Update: the description written
	// Instance is the index of the instance called, for reports; the
	// model ignores it (any instance must answer as the one secret would).
	Instance int
}

// Outcome is how a call ended.
type Outcome uint8

// Outcomes. Unknown is a call whose effect the caller cannot know (a
// timeout, a reset connection, a 5xx): it may or may not have taken
// effect, at any time after its invocation.
const (
	OK Outcome = iota + 1
	NotFound
	AlreadyExists
	Conflict
	Revoked
	Unknown
)

var outcomeNames = [...]string{OK: "ok", NotFound: "not_found", AlreadyExists: "already_exists", Conflict: "conflict", Revoked: "revoked", Unknown: "unknown"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Output is what a call returned; Apply fills only the fields that the
// call's kind returns, and a recorded Output must do the same.
type Output struct {
	Outcome Outcome
	Rev     int64  // OK of Create, Update, Reset, Revoke, Get
	Version int64  // likewise
	Revoked bool   // likewise
	Value   uint64 // OK of Reveal: hash of the value read
	Desc    string // OK of Update and Get
}

// State is the one secret: absent, or present at a revision and version
// with a value (by hash), a revoked flag and a description.
type State struct {
	Exists  bool
	Rev     int64
	Version int64
	Value   uint64 // 0 while revoked
	Revoked bool
	Desc    string
}

// Apply is the sequential specification of one secret (see package secrets,
// # Concurrency, and storage, # Revisions): the output a call gets in
// state s and the state after it.
func Apply(s State, in Input) (Output, State) {
	if in.Kind != Create && !s.Exists {
		return Output{Outcome: NotFound}, s
	}
	guarded := func(rev int64) bool { return rev == 0 || rev == s.Rev }
	meta := func(s State) Output {
		return Output{Outcome: OK, Rev: s.Rev, Version: s.Version, Revoked: s.Revoked}
	}
	switch in.Kind {
	case Create:
		if s.Exists {
			return Output{Outcome: AlreadyExists}, s
		}
		n := State{Exists: true, Rev: 1, Version: 1, Value: in.Value, Desc: in.Desc}
		return meta(n), n
	case Update:
		if in.Rev != s.Rev { // Update has no "current": 0 is refused as invalid before it reaches the model
			return Output{Outcome: Conflict}, s
		}
		n := s
		n.Rev++
		n.Desc = in.Desc
		out := meta(n)
		out.Desc = n.Desc
		return out, n
	case Reset:
		if !guarded(in.Rev) {
			return Output{Outcome: Conflict}, s
		}
		n := s
		n.Rev++
		n.Version++
		n.Value = in.Value
		n.Revoked = false
		return meta(n), n
	case Revoke:
		if !guarded(in.Rev) {
			return Output{Outcome: Conflict}, s
		}
		if s.Revoked { // revoking a revoked secret changes nothing
			return meta(s), s
		}
		n := s
		n.Rev++
		n.Revoked = true
		n.Value = 0
		return meta(n), n
	case Delete:
		if !guarded(in.Rev) {
			return Output{Outcome: Conflict}, s
		}
		return Output{Outcome: OK}, State{}
	case Reveal:
		if s.Revoked {
			return Output{Outcome: Revoked}, s
		}
		return Output{Outcome: OK, Value: s.Value}, s
	case Get:
		out := meta(s)
		out.Desc = s.Desc
		return out, s
	}
	panic("linearize.Apply: unknown kind " + in.Kind.String())
}

// SpuriousConflict reports whether in may fail with a conflict, changing
// nothing, whatever the state: a write at revision 0 ("current") reads the
// current revision and guards its write with it, so a write landing in
// between makes it fail (secrets, # Concurrency). Apply, the sequential
// specification, never gives that answer; the checker accepts it.
func SpuriousConflict(in Input) bool {
	return in.Rev == 0 && (in.Kind == Reset || in.Kind == Revoke || in.Kind == Delete)
}

// step is the nondeterministic step: a call with a known output must get
// exactly Apply's (or a SpuriousConflict); an Unknown one either took
// effect (as Apply says) or did not.
func step(state, input, output any) []any {
	s, in, out := state.(State), input.(Input), output.(Output)
	if out.Outcome == Conflict && SpuriousConflict(in) {
		return []any{s}
	}
	want, next := Apply(s, in)
	if out.Outcome == Unknown {
		if next == s {
			return []any{s}
		}
		return []any{s, next}
	}
	if want != out {
		return nil
	}
	return []any{next}
}

func hashState(state any) uint64 {
	s := state.(State)
	h := fnv.New64a()
	fmt.Fprintf(h, "%t/%d/%d/%x/%t/%s", s.Exists, s.Rev, s.Version, s.Value, s.Revoked, s.Desc)
	return h.Sum64()
}

// Model is the porcupine model of one secret.
var Model = (&porcupine.NondeterministicModel{
	Init:              func() []any { return []any{State{}} },
	Step:              step,
	Hash:              hashState,
	DescribeOperation: describeOperation,
	DescribeState:     func(s any) string { return DescribeState(s.(State)) },
	DescribeOperationMetadata: func(m any) string {
		if w, ok := m.(Weakened); ok {
			return "weakened by Minimize; it returned " + w.Output.Outcome.String()
		}
		return ""
	},
}).ToModel()

// DescribeState renders s for a report or the visualization.
func DescribeState(s State) string {
	if !s.Exists {
		return "absent"
	}
	v := "revoked"
	if !s.Revoked {
		v = fmt.Sprintf("value #%016x", s.Value)
	}
	return fmt.Sprintf("rev %d, version %d, %s, desc %q", s.Rev, s.Version, v, s.Desc)
}

func describeOperation(input, output any) string {
	in, out := input.(Input), output.(Output)
	var b strings.Builder
	b.WriteString(in.Kind.String())
	var args []string
	switch in.Kind {
	case Update, Reset, Revoke, Delete:
		args = append(args, fmt.Sprintf("rev %d", in.Rev))
	}
	if in.Kind == Create || in.Kind == Reset {
		args = append(args, fmt.Sprintf("#%016x", in.Value))
	}
	if in.Kind == Create || in.Kind == Update {
		args = append(args, fmt.Sprintf("desc %q", in.Desc))
	}
	fmt.Fprintf(&b, "(%s) -> %s", strings.Join(args, ", "), out.Outcome)
	if out.Outcome == OK {
		switch in.Kind {
		case Reveal:
			fmt.Fprintf(&b, " #%016x", out.Value)
		case Delete:
		default:
			fmt.Fprintf(&b, " rev %d, version %d", out.Rev, out.Version)
			if out.Revoked {
				b.WriteString(", revoked")
			}
			if in.Kind == Get || in.Kind == Update {
				fmt.Fprintf(&b, ", desc %q", out.Desc)
			}
		}
	}
	return b.String()
}

// Weakened is the Metadata Minimize gives a call it turned Unknown: what
// the call really returned, and when.
type Weakened struct {
	Output Output
	Return int64
}

// Describe renders one operation of a history: client, instance, times (ms since
// the history began; an Unknown call has no return) and the call, with
// the real answer of a call Minimize weakened.
func Describe(op porcupine.Operation) string {
	ret := "      ?"
	if op.Output.(Output).Outcome != Unknown {
		ret = fmt.Sprintf("%7.1f", float64(op.Return)/1e6)
	}
	s := fmt.Sprintf("client %d via %d [%7.1f, %s] %s", op.ClientId, op.Input.(Input).Instance, float64(op.Call)/1e6, ret, describeOperation(op.Input, op.Output))
	if w, ok := op.Metadata.(Weakened); ok {
		real := describeOperation(op.Input, w.Output)
		s += fmt.Sprintf(" (weakened; it returned at %.1f: %s)", float64(w.Return)/1e6, real[strings.Index(real, "-> ")+3:])
	}
	return s
}

// End is the return time to give Unknown calls: after every call of the
// history, so that the checker may place their effect anywhere after
// their invocation (or nowhere: an Unknown step may change nothing).
func End(history []porcupine.Operation) int64 {
	var end int64
	for _, op := range history {
		if op.Output.(Output).Outcome != Unknown {
			end = max(end, op.Return)
		}
		end = max(end, op.Call)
	}
	return end + 1
}

// Minimize shrinks a history the checker refused to a smaller one it
// still refuses, only by weakening it, so that what remains is a real
// contradiction and not one made by the shrinking: it drops calls that
// change nothing in any linearization (reads, and writes that failed
// with a definite outcome), turns successful writes into Unknown ones
// (whose effect may be placed anywhere later, or nowhere), and drops
// Unknown calls invoked after every known call returned. Each weakening
// is kept only if the checker still refuses the history. It never drops
// any other Unknown call: one may be what explains an answer.
func Minimize(history []porcupine.Operation) []porcupine.Operation {
	cur := append([]porcupine.Operation(nil), history...)
	illegal := func(h []porcupine.Operation) bool {
		return !porcupine.CheckOperations(Model, h)
	}
	if !illegal(cur) {
		return cur
	}
	// Drop what changes nothing, latest first (later reads are often the
	// ones that merely repeat the contradiction).
	for i := len(cur) - 1; i >= 0; i-- {
		in, out := cur[i].Input.(Input), cur[i].Output.(Output)
		if !in.Kind.IsRead() && (out.Outcome == OK || out.Outcome == Unknown) {
			continue
		}
		try := append(append([]porcupine.Operation(nil), cur[:i]...), cur[i+1:]...)
		if illegal(try) {
			cur = try
		}
	}
	end := End(cur)
	for i := range cur {
		in, out := cur[i].Input.(Input), cur[i].Output.(Output)
		if in.Kind.IsRead() || out.Outcome != OK {
			continue
		}
		try := append([]porcupine.Operation(nil), cur...)
		try[i].Metadata = Weakened{Output: out, Return: cur[i].Return}
		try[i].Output = Output{Outcome: Unknown}
		try[i].Return = end
		if illegal(try) {
			cur = try
		}
	}
	// An Unknown call invoked after every known call returned cannot
	// explain or contradict any of them: drop it.
	var last int64
	for _, op := range cur {
		if op.Output.(Output).Outcome != Unknown {
			last = max(last, op.Return)
		}
	}
	kept := cur[:0]
	for _, op := range cur {
		if op.Output.(Output).Outcome != Unknown || op.Call < last {
			kept = append(kept, op)
		}
	}
	return kept
}
