package dashboard

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// ErrorKind classifies a failed Dashboard call.
type ErrorKind int

// The kinds of failure.
const (
	KindUnauthorized ErrorKind = iota + 1
	KindForbidden
	KindNotFound
	KindRateLimited
	KindServer
	KindTimeout
	KindTLS
	KindNetwork
	KindBadResponse
	KindRejected
)

// Sentinels, one per kind, for errors.Is.
var (
	ErrUnauthorized = errors.New("the Dashboard refused the secret")
	ErrForbidden    = errors.New("the Dashboard user lacks a permission")
	ErrNotFound     = errors.New("not found in the Dashboard")
	ErrRateLimited  = errors.New("the Dashboard is rate limiting requests")
	ErrServer       = errors.New("the Dashboard failed")
	ErrTimeout      = errors.New("the Dashboard did not answer in time")
	ErrTLS          = errors.New("the TLS connection to the Dashboard failed")
	ErrNetwork      = errors.New("the Dashboard is unreachable")
	ErrBadResponse  = errors.New("the Dashboard sent an answer that cannot be read")
	ErrRejected     = errors.New("the Dashboard rejected the request")
)

var kindSentinel = map[ErrorKind]error{
	KindUnauthorized: ErrUnauthorized, KindForbidden: ErrForbidden, KindNotFound: ErrNotFound,
	KindRateLimited: ErrRateLimited, KindServer: ErrServer, KindTimeout: ErrTimeout, KindTLS: ErrTLS,
	KindNetwork: ErrNetwork, KindBadResponse: ErrBadResponse, KindRejected: ErrRejected,
}

// Error is a failed Dashboard call. Its text names the request and the
// cause in one clause, and never holds the secret.
type Error struct {
	Kind       ErrorKind
	Method     string
	Path       string
	StatusCode int
	Message    string // the Dashboard's Message, scrubbed of the secret
	Permission string // for KindForbidden: Tyk's permission key, e.g. "policies"
	Page       int    // for a list page; 0 otherwise
	Err        error

	retryAfter time.Duration // from a 429's Retry-After
	what       string        // says what failed instead of the kind's sentinel (a list's pages, paging.go)
}

func (e *Error) Error() string {
	where := e.Method + " " + e.Path
	if e.Page > 0 {
		where += fmt.Sprintf(" (page %d)", e.Page)
	}
	detail := ""
	switch {
	case e.StatusCode != 0 && e.Message != "":
		detail = fmt.Sprintf(" (%d %s)", e.StatusCode, e.Message)
	case e.StatusCode != 0:
		detail = fmt.Sprintf(" (%d)", e.StatusCode)
	case e.Err != nil && e.Kind != KindTLS:
		detail = " (" + e.Err.Error() + ")"
	}
	var what string
	switch e.Kind {
	case KindForbidden:
		what = "the Dashboard user lacks a permission"
		if e.Permission != "" {
			what = fmt.Sprintf("the Dashboard user lacks the %q permission", e.Permission)
		}
	case KindTLS:
		cause := ""
		if e.Err != nil {
			cause = ": " + e.Err.Error()
		}
		return fmt.Sprintf("%s: the TLS connection to the Dashboard failed%s; give the CA that signed its certificate with --ca-file, or (never in production) --insecure-skip-verify", where, cause)
	default:
		what = kindSentinel[e.Kind].Error()
	}
	if e.what != "" {
		what = e.what
	}
	return where + ": " + what + detail
}

// Is matches the kind's sentinel.
func (e *Error) Is(target error) bool { return kindSentinel[e.Kind] == target }

// Unwrap returns the underlying transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

var deniedPath = regexp.MustCompile(`access\s+denied.*?(/api/[A-Za-z0-9_/.-]+)`)

// permissionFor maps the path of an "access denied" message to Tyk's
// permission key.
func permissionFor(message, requestPath string) string {
	path := requestPath
	if m := deniedPath.FindStringSubmatch(message); m != nil {
		path = m[1]
	}
	switch {
	case strings.HasPrefix(path, "/api/portal/policies"):
		return "policies"
	case strings.HasPrefix(path, "/api/apis/oauth"):
		return "oauth"
	case strings.HasPrefix(path, "/api/apis"):
		return "apis"
	case strings.HasPrefix(path, "/api/keys"):
		return "keys"
	case strings.HasPrefix(path, "/api/users"):
		return "users"
	}
	rest := strings.TrimPrefix(path, "/api/")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
