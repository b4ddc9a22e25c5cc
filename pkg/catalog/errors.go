package catalog

import "errors"

// Errors of the catalogue's rules. The CLI exits 2 on ErrInvalid and
// ErrUnknown: both are about the user's input, found before anything changes.
var (
	ErrInvalid = errors.New("invalid input")
	ErrUnknown = errors.New("not found")
)
