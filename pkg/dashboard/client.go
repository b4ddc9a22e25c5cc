// Package dashboard is a client of the Tyk Dashboard API, written against
// its documented wire format: policies, APIs, keys, OAuth clients and the
// current user. It knows nothing of products or the state file.
package dashboard

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Config configures a client for one Dashboard.
type Config struct {
	BaseURL            string
	Secret             string
	OrgID              string
	CAFile             string
	InsecureSkipVerify bool
	Timeout            time.Duration // per request attempt; 0: 30s
	UserAgent          string
	Concurrency        int // page-fetch workers; 0: 8
	MaxRetries         int // for idempotent GETs; 0: 3; negative: none
	RetryBaseDelay     time.Duration
	MaxBodyBytes       int64 // 0: 256 MiB
	HTTPClient         *http.Client
}

// Client calls one Dashboard. It is safe for concurrent use.
type Client struct {
	cfg      Config
	base     *url.URL
	http     *http.Client
	secretRE *regexp.Regexp // the secret's forms to scrub (scrub.go)
}

var errRedirect = errors.New("the Dashboard answered with a redirect, which is not followed so the secret cannot leak to another host; use the final URL as the provider URL")

// New validates cfg and builds a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("dashboard URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if cfg.RetryBaseDelay <= 0 {
		cfg.RetryBaseDelay = 200 * time.Millisecond
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 256 << 20
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "tykportal"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		tlsCfg := &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("read CA file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA file %s holds no PEM certificate", cfg.CAFile)
			}
			tlsCfg.RootCAs = pool
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		tr.MaxIdleConnsPerHost = cfg.Concurrency + 2
		tr.Proxy = nil // the Dashboard is called directly; a proxy would see the secret
		hc = &http.Client{Transport: tr}
	}
	hcCopy := *hc
	hcCopy.CheckRedirect = func(*http.Request, []*http.Request) error { return errRedirect }
	return &Client{cfg: cfg, base: u, http: &hcCopy, secretRE: secretPattern(cfg.Secret)}, nil
}

// Close closes the client's idle connections. A process that builds a
// client per use (a sync per interval) and never closes them keeps their
// sockets and goroutines until the Dashboard hangs up: ~2 per sync. The
// client stays usable: a later call opens a connection again.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// apiResponse is the Dashboard's status body.
type apiResponse struct {
	Status  string          `json:"Status"`
	Message string          `json:"Message"`
	Meta    json.RawMessage `json:"Meta"`
	ID      string          `json:"ID"`
}

// call is one logical request: its attempts and, on success, an open body.
type call struct {
	method, path string
	query        url.Values
	body         []byte
	page         int
	idempotent   bool
}

// response is a successful answer; Close releases the attempt's context.
type response struct {
	status int
	body   io.Reader
	close  func()
}

func (c *Client) scrub(s string) string {
	s = c.scrubSecret(s)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func (c *Client) fail(cl call, kind ErrorKind, status int, msg string, err error) *Error {
	e := &Error{Kind: kind, Method: cl.method, Path: cl.path, StatusCode: status, Message: c.scrub(msg), Page: cl.page}
	if err != nil {
		e.Err = errors.New(c.scrub(err.Error()))
	}
	if kind == KindForbidden {
		e.Permission = permissionFor(msg, cl.path)
	}
	return e
}

// do runs a call with retries (idempotent calls only) and returns the body of
// the first 2xx answer.
func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	attempts := 1
	if cl.idempotent && c.cfg.MaxRetries > 0 {
		attempts += c.cfg.MaxRetries
	}
	var last error
	start := time.Now()
	for i := 0; i < attempts; i++ {
		if i > 0 {
			delay := c.cfg.RetryBaseDelay << (i - 1)
			delay += time.Duration(rand.Int64N(int64(delay)/2 + 1))
			var re *Error
			if errors.As(last, &re) && re.Kind == KindRateLimited && re.retryAfter > 0 {
				if !c.waitFor(re, time.Since(start)) {
					break
				}
				delay = min(re.retryAfter, maxRetryAfter)
			}
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		resp, err, retry := c.attempt(ctx, cl)
		if err == nil {
			return resp, nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil && !errors.Is(last, ErrTimeout) {
		return nil, ctx.Err()
	}
	return nil, last
}

func (c *Client) attempt(ctx context.Context, cl call) (*response, error, bool) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	u := *c.base
	u.Path += cl.path
	u.RawQuery = cl.query.Encode()
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, u.String(), body)
	if err != nil {
		cancel()
		return nil, c.fail(cl, KindRejected, 0, "", err), false
	}
	req.Header.Set("Authorization", c.cfg.Secret)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "application/json")
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		kind := classify(ctx, actx, err)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err(), false
		}
		return nil, c.fail(cl, kind, 0, "", stripURL(err)), kind == KindNetwork || kind == KindTimeout
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		lim := &limitReader{r: res.Body, n: c.cfg.MaxBodyBytes}
		return &response{status: res.StatusCode, body: lim, close: func() { res.Body.Close(); cancel() }}, nil, false
	}
	defer cancel()
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var ar apiResponse
	msg := ""
	if json.Unmarshal(raw, &ar) == nil {
		msg = ar.Message
	}
	var kind ErrorKind
	switch code := res.StatusCode; {
	case code == 401:
		kind = KindUnauthorized
	case code == 403 && strings.Contains(strings.ToLower(msg), "malformed"):
		kind = KindRejected
	case code == 403:
		kind = KindForbidden
	case code == 404:
		kind = KindNotFound
	case code == 429:
		kind = KindRateLimited
	case code >= 500:
		kind = KindServer
	case code >= 300 && code < 400:
		kind = KindBadResponse
		msg = errRedirect.Error()
	default:
		kind = KindRejected
	}
	e := c.fail(cl, kind, res.StatusCode, msg, nil)
	if kind == KindRateLimited {
		if s, err := strconv.Atoi(strings.TrimSpace(res.Header.Get("Retry-After"))); err == nil && s >= 0 {
			e.retryAfter = time.Duration(min(s, 1<<31)) * time.Second
		}
	}
	return nil, e, kind == KindServer || kind == KindRateLimited
}

// stripURL keeps url.Error's cause without the URL (noise in one sentence).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if errors.Is(ue.Err, errRedirect) {
			return errRedirect
		}
		return ue.Err
	}
	return err
}

func classify(parent, attempt context.Context, err error) ErrorKind {
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		netErr      net.Error
	)
	switch {
	case errors.Is(err, errRedirect):
		return KindBadResponse
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), strings.Contains(err.Error(), "tls: "):
		return KindTLS
	case parent.Err() == nil && errors.Is(attempt.Err(), context.DeadlineExceeded):
		return KindTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return KindNetwork
	}
	return KindNetwork
}

// limitReader fails once more than n bytes were read.
type limitReader struct {
	r io.Reader
	n int64
}

var errTooLarge = errors.New("answer too large")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// readErr turns a failure while reading or decoding a 2xx body into a typed error.
func (c *Client) readErr(ctx context.Context, cl call, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, errTooLarge):
		return c.fail(cl, KindBadResponse, 0, "", fmt.Errorf("answer larger than %d bytes", c.cfg.MaxBodyBytes))
	case errors.Is(err, context.DeadlineExceeded):
		return c.fail(cl, KindTimeout, 0, "", errors.New("timed out reading the answer"))
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var se2 *jsontext.SyntacticError
	var te2 *jsonv2.SemanticError
	if errors.As(err, &se) || errors.As(err, &te) || errors.As(err, &se2) || errors.As(err, &te2) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return c.fail(cl, KindBadResponse, 0, "", fmt.Errorf("invalid or truncated JSON: %v", err))
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) {
		return c.fail(cl, KindNetwork, 0, "", err)
	}
	return c.fail(cl, KindBadResponse, 0, "", err)
}

// getJSON runs an idempotent GET and decodes the body into v; bodies are
// read fully before decoding, so a read failure can be retried... it is not:
// a 2xx body that breaks mid-way is a bad response, reported at once.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	cl := call{method: http.MethodGet, path: path, query: q, idempotent: true}
	res, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	defer res.close()
	if err := json.NewDecoder(res.body).Decode(v); err != nil {
		return c.readErr(ctx, cl, err)
	}
	return nil
}

// write runs a POST, PUT or DELETE once (never retried blindly) and returns
// the raw body.
func (c *Client) write(ctx context.Context, method, path string, q url.Values, payload any) ([]byte, error) {
	var body []byte
	if payload != nil {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
	}
	cl := call{method: method, path: path, query: q, body: body}
	res, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer res.close()
	raw, err := io.ReadAll(res.body)
	if err != nil {
		return nil, c.readErr(ctx, cl, err)
	}
	return raw, nil
}

// writeStatus runs a write whose answer is a status body and checks that
// its Status is "OK" (a 200 can carry an error).
func (c *Client) writeStatus(ctx context.Context, method, path string, q url.Values, payload any) (apiResponse, error) {
	raw, err := c.write(ctx, method, path, q, payload)
	if err != nil {
		return apiResponse{}, err
	}
	cl := call{method: method, path: path}
	var ar apiResponse
	if err := json.Unmarshal(raw, &ar); err != nil {
		return ar, c.readErr(ctx, cl, err)
	}
	if !strings.EqualFold(ar.Status, "OK") {
		return ar, c.fail(cl, KindRejected, 200, ar.Message, nil)
	}
	return ar, nil
}

// listAll fetches every item of a paged list: first with p=-2 (all items in
// one streamed answer); when a Dashboard ignores that and answers page 1 of
// several, the remaining pages are fetched concurrently with a bounded worker
// count and joined in Dashboard order. Any failed page fails the whole list,
// and so does a page that does not fit the first one's count (paging.go):
// a list missing items would hide products.
func listAll[T any](ctx context.Context, c *Client, path, itemsKey string, extra url.Values, id func(*T) string) ([]T, error) {
	first, pages, err := listPage[T](ctx, c, path, itemsKey, extra, -2)
	if err != nil {
		return nil, err
	}
	progress := newListCounter(ctx)
	progress.add(len(first))
	if pages <= 1 {
		return first, nil
	}
	shape := pageShape{pages: pages, size: len(first)}
	onFirst := make(map[string]bool, len(first))
	for i := range first {
		if k := id(&first[i]); k != "" {
			onFirst[k] = true
		}
	}
	echoed := func(items []T) bool {
		all := len(items) > 0
		for i := range items {
			all = all && onFirst[id(&items[i])]
		}
		return all
	}
	if what, err := shape.claimErr(); err != nil {
		if what != whatTooMany || !shape.mayBeWhole() {
			return nil, c.pageFailure(path, 1, what, err)
		}
		// Page 1 may be the whole list, from a Dashboard that honoured
		// p<0 and still gave its page count (10,000 items in 1,000
		// pages claim 10 million): page 2 tells.
		items, claimed, perr := listPage[T](ctx, c, path, itemsKey, extra, 2)
		if perr != nil {
			return nil, perr
		}
		if claimed != pages || !shape.echoes(len(items), echoed(items)) {
			return nil, c.pageFailure(path, 1, what, err)
		}
		return uniqueByID(first, id), nil
	}
	rest := make([][]T, pages+1)
	echo := make([]bool, pages+1)
	errs := make([]error, pages+1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	var wg gosync.WaitGroup
	for w := 0; w < min(c.cfg.Concurrency, pages-1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				items, claimed, err := listPage[T](ctx, c, path, itemsKey, extra, p)
				if err == nil {
					echo[p] = echoed(items)
					if perr := shape.pageErr(p, len(items), claimed, echo[p]); perr != nil {
						err = c.pageFailure(path, p, whatInconsistent, perr)
					}
				}
				rest[p], errs[p] = items, err
				if err != nil {
					cancel()
				} else {
					progress.add(len(items))
				}
			}
		}()
	}
	// Stop handing out pages at the first failure or signal: the pages
	// left are not fetched, and a SIGTERM ends the list at once.
feed:
	for p := 2; p <= pages; p++ {
		select {
		case work <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	for p := 2; p <= pages; p++ {
		if errs[p] != nil && !errors.Is(errs[p], context.Canceled) {
			return nil, errs[p]
		}
	}
	if err := ctx.Err(); err != nil {
		for p := 2; p <= pages; p++ {
			if errs[p] != nil {
				return nil, errs[p]
			}
		}
		return nil, err
	}
	// A Dashboard that did honour p=-2 but reports the page count anyway
	// sends every item twice: keep the first of each id. Any other repeat
	// stands where an item of that page should be.
	seen := make(map[string]bool, len(first)*pages)
	all := make([]T, 0, len(first)*pages)
	add := func(p int, items []T) error {
		for i := range items {
			k := id(&items[i])
			if k != "" && seen[k] {
				if p > 1 && !shape.echoes(len(items), echo[p]) {
					return c.pageFailure(path, p, whatInconsistent, fmt.Errorf("page %d repeats an item of an earlier page", p))
				}
				continue
			}
			seen[k] = true
			all = append(all, items[i])
		}
		return nil
	}
	if err := add(1, first); err != nil {
		return nil, err
	}
	for p := 2; p <= pages; p++ {
		if err := add(p, rest[p]); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// listPage fetches one page (p) and stream-decodes its items one by one.
func listPage[T any](ctx context.Context, c *Client, path, itemsKey string, extra url.Values, p int) ([]T, int, error) {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	q.Set("p", strconv.Itoa(p))
	// An answer to p<0 is page 1 when the Dashboard pages anyway.
	cl := call{method: http.MethodGet, path: path, query: q, page: max(p, 1), idempotent: true}
	res, err := c.do(ctx, cl)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Page = cl.page
		}
		return nil, 0, err
	}
	defer res.close()
	items, pages, err := decodeList[T](res.body, itemsKey)
	if err != nil {
		return nil, 0, c.readErr(ctx, cl, err)
	}
	return items, pages, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
