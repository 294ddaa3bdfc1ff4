package secrets

import (
	"github.com/strongbox-go/strongbox/internal/errcode"
)

// The error codes, strongbox's one error set. Every error strongbox
// returns, from any of its packages (storage, keeper, rbac, httpapi, ...),
// matches exactly one of these with errors.Is (context errors pass through
// unchanged and also match context.Canceled or context.DeadlineExceeded).
var (
	ErrNotFound           error = errcode.NotFound
	ErrAlreadyExists      error = errcode.AlreadyExists
	ErrInvalid            error = errcode.Invalid
	ErrConflict           error = errcode.Conflict
	ErrPermissionDenied   error = errcode.PermissionDenied
	ErrFailedPrecondition error = errcode.FailedPrecondition
	ErrUnavailable        error = errcode.Unavailable
	ErrInternal           error = errcode.Internal
)

// ErrRevoked is returned by Reveal for a secret whose value was revoked. It
// has code FailedPrecondition. Reveal's other specific errors are the
// keeper's, exported once there: keeper.ErrDecrypt when a stored
// ciphertext does not decrypt (wrong key, tampered, moved; code Internal)
// and keeper.ErrUnknownKEK when it is under a key-encryption key this
// instance's keeper does not hold (in a fleet: another instance already
// has a newer key; code Unavailable, the message names the KEK id).
var ErrRevoked error = errcode.New(errcode.FailedPrecondition, "", "value revoked")

// ErrorCode returns the code of err, as the one of the Err values above
// that err matches: nil for nil, the code in its chain, ErrUnavailable for
// context errors and ErrInternal for anything else. So a switch on it
// picks a status:
//
//	switch secrets.ErrorCode(err) {
//	case secrets.ErrNotFound: ...
func ErrorCode(err error) error {
	if err == nil {
		return nil
	}
	return errcode.Of(err)
}
