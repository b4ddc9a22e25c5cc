package dashboard

import (
	"fmt"
	"time"
)

// maxRetryAfter bounds one wait for a 429's Retry-After.
const maxRetryAfter = 30 * time.Second

// waitFor reports whether a call that has taken elapsed so far may wait
// out the Retry-After of the 429 e and try again. The waits of one call
// stay within the request timeout (--timeout) overall: a Dashboard asking
// for longer than is left will not be ready in time, so the call fails at
// once, its error saying what was asked, instead of waiting up to
// 3 x 30 s for an answer that then comes too late.
func (c *Client) waitFor(e *Error, elapsed time.Duration) bool {
	if elapsed+e.retryAfter <= c.cfg.Timeout {
		return true
	}
	e.Message = fmt.Sprintf("%s; it asks to retry after %s, past the %s request timeout", e.Message, e.retryAfter, c.cfg.Timeout)
	if e.Message[0] == ';' {
		e.Message = e.Message[2:]
	}
	return false
}
