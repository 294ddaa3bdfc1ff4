package sqlstorage

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/strongbox-go/strongbox/internal/errcode"
)

// TestCodeOfConnectionLoss: losing the connection under a call is
// Unavailable (a retry may pass), whichever way the driver says it. A
// PostgreSQL connection reset mid-transaction surfaced as pgconn's "conn
// closed", which was answered as an internal error (HTTP 500) before.
func TestCodeOfConnectionLoss(t *testing.T) {
	for _, err := range []error{
		pgconn.ErrConnClosed,
		fmt.Errorf("commit: %w", pgconn.ErrConnClosed),
		driver.ErrBadConn,
		&pgconn.PgError{Code: "08006"},
		&pgconn.PgError{Code: "40001"},
	} {
		if got := codeOf(err); got != errcode.Unavailable {
			t.Errorf("codeOf(%v) = %v, want Unavailable", err, got)
		}
	}
	if got := codeOf(errors.New("syntax")); got != errcode.Internal {
		t.Errorf("codeOf(other) = %v, want Internal", got)
	}
}
