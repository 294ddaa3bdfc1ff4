package gate

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

func TestCloseWaitsForCallsInFlight(t *testing.T) {
	var g Gate
	if err := g.Enter("op"); err != nil {
		t.Fatal(err)
	}
	var closed atomic.Bool
	done := make(chan bool)
	go func() {
		first := g.Close()
		closed.Store(true)
		done <- first
	}()
	time.Sleep(20 * time.Millisecond)
	if closed.Load() {
		t.Fatal("Close returned while a call was in flight")
	}
	g.Leave()
	if first := <-done; !first {
		t.Error("first Close reported first = false")
	}
	if g.Close() {
		t.Error("second Close reported first = true")
	}
}

func TestEnterAfterCloseFails(t *testing.T) {
	g := Gate{What: "manager"}
	if err := g.Enter("secrets.Get"); err != nil {
		t.Fatalf("open gate: %v", err)
	}
	g.Leave()
	g.Close()
	err := g.Enter("secrets.Get")
	if err == nil {
		t.Fatal("Enter after Close succeeded")
	}
	if want := "secrets.Get: failed precondition: manager is closed"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if !errors.Is(err, ErrClosed) || !errors.Is(err, errcode.FailedPrecondition) || errcode.Of(err) != errcode.FailedPrecondition {
		t.Errorf("error %v does not match ErrClosed and FailedPrecondition", err)
	}
	if errcode.Of(ErrClosed) != errcode.FailedPrecondition {
		t.Error("ErrClosed carries no code")
	}
}

func TestZeroGateNamesObject(t *testing.T) {
	var g Gate
	g.Close()
	if err := g.Enter(""); err == nil || err.Error() != "failed precondition: object is closed" {
		t.Errorf("error = %v", err)
	}
}

func TestDoneClosesWhenCloseBegins(t *testing.T) {
	var g Gate
	if err := g.Enter("wait"); err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() {
		<-g.Done() // a waiting call in flight ends when Close begins
		g.Leave()
		close(ended)
	}()
	g.Close()
	<-ended
	select {
	case <-g.Done():
	default:
		t.Error("Done after Close is not closed")
	}
}
