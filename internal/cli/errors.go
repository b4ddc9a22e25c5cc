package cli

import (
	"errors"

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
// objects, all found before anything was written; 1 for everything else.
// This is the only place that decides it.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	switch catalog.CodeOf(err) {
	case catalog.CodeInvalid, catalog.CodeUnknown, catalog.CodeExists:
		return 2
	}
	return 1
}

// errCancelled is a confirmation answered no: nothing was changed.
var errCancelled = errors.New("cancelled: nothing was changed")
