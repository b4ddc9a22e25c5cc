package catalog

import (
	"errors"
	"fmt"
)

// Code says what kind of failure an error is; the command line maps it to
// an exit status in one place, and nothing matches error strings.
type Code string

// The codes.
const (
	// CodeInvalid: the user's input breaks a rule; found before anything
	// was written (exit 2).
	CodeInvalid Code = "invalid"
	// CodeUnknown: the input names an object that does not exist (exit 2).
	CodeUnknown Code = "unknown"
	// CodeExists: the input would create an object that exists (exit 2).
	CodeExists Code = "exists"
	// CodeConflict: the object changed elsewhere since it was read (exit 1).
	CodeConflict Code = "conflict"
	// CodeRemoteRefused: the Dashboard answered that it did not act (exit 1).
	CodeRemoteRefused Code = "remote_refused"
	// CodeRemoteFailed: the Dashboard failed or could not be reached; it may
	// or may not have acted (exit 1).
	CodeRemoteFailed Code = "remote_failed"
	// CodeInUse: the state is held by another process (exit 1).
	CodeInUse Code = "in_use"
	// CodeInternal: anything else (exit 1).
	CodeInternal Code = "internal"
)

// Error is an error with a code. Sentinels are *Error values, so both
// errors.Is (this very sentinel) and CodeOf (its kind) work through any
// chain of %w wrapping.
type Error struct {
	Code Code
	msg  string
	err  error
}

// NewError returns a new error of the code with a fixed message, for sentinels.
func NewError(code Code, msg string) *Error { return &Error{Code: code, msg: msg} }

// Errorf formats an error of the code; a %w in format is unwrapped as usual.
func Errorf(code Code, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, msg: err.Error(), err: errors.Unwrap(err)}
}

// WithCode gives err a code, keeping its message and chain; nil stays nil.
func WithCode(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, msg: err.Error(), err: err}
}

func (e *Error) Error() string { return e.msg }

func (e *Error) Unwrap() error { return e.err }

// CodeOf returns the code of the outermost coded error in err's chain, and
// CodeInternal when there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// The domain's sentinels. A rule's error wraps one of them:
// fmt.Errorf("%w: ...", ErrInvalid).
var (
	ErrInvalid = NewError(CodeInvalid, "invalid input")
	ErrUnknown = NewError(CodeUnknown, "not found")
	ErrExists  = NewError(CodeExists, "already exists")
)
