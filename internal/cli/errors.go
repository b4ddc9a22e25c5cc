package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/provider"
	"github.com/tykportal/tykportal/pkg/secret"
)

// usageError is a mistake in the command line or its input: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// ExitCode maps an error to tykportal's exit codes: 2 for usage errors and
// invalid input found before anything was written, 1 for everything else.
// This is the only place that decides it.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ue usageError
	switch {
	case errors.As(err, &ue),
		errors.Is(err, provider.ErrInvalid),
		errors.Is(err, provider.ErrUnknown),
		errors.Is(err, provider.ErrExists),
		errors.Is(err, secret.ErrInvalid),
		errors.Is(err, secret.ErrTooLong),
		errors.Is(err, catalog.ErrInvalid),
		errors.Is(err, catalog.ErrUnknown),
		errors.Is(err, catalog.ErrExists):
		return 2
	}
	// cobra reports an unknown sub-command as a plain error.
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		return 2
	}
	return 1
}
