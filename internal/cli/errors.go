package cli

import (
	"errors"
	"fmt"

	"github.com/tykportal/tykportal/pkg/catalog"
)

// usageErrorf is a mistake in the command line or its input: exit 2.
func usageErrorf(format string, args ...any) error {
	return catalog.Errorf(catalog.CodeInvalid, format, args...)
}

// usageError gives err the code of a usage error, keeping its text.
func usageError(err error) error { return catalog.WithCode(catalog.CodeInvalid, err) }

// ExitCode maps an error to tykportal's exit codes by its code (see
// catalog.Code): 2 for usage errors, invalid input and unknown or duplicate
// objects, all found before anything was written; 3 when `diff` or `apply
// --dry-run` found changes pending; 128 + the signal's number (130 for
// Ctrl-C) when a signal interrupted the command; 1 for everything else.
// This is the only place that decides it.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var intr *Interrupted
	if errors.As(err, &intr) {
		return intr.exitCode()
	}
	var pending *pendingError
	if errors.As(err, &pending) {
		return 3
	}
	switch catalog.CodeOf(err) {
	case catalog.CodeInvalid, catalog.CodeUnknown, catalog.CodeExists:
		return 2
	}
	return 1
}

// errCancelled is a confirmation answered no: nothing was changed.
var errCancelled = errors.New("cancelled: nothing was changed")

// pendingError is the outcome of a `diff` or `apply --dry-run` that found
// changes to make: exit 3, as `terraform plan -detailed-exitcode` does.
type pendingError struct{ n int }

func (e *pendingError) Error() string {
	return fmt.Sprintf("%d change(s) pending; run `tykportal apply -f FILE` to make them", e.n)
}

// hintedError is an error with lines of advice printed under it as they
// are (the error itself is printed on one line): our own words only,
// never text from outside.
type hintedError struct {
	error
	hint string
}

func (e hintedError) Unwrap() error { return e.error }
