package secoda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/secoda-workbench/secoda-workbench/internal/buildinfo"
)

// Defaults, as dlt's REST client has them: 5 attempts, back-off capped at 300 s,
// 60 s for one request.
const (
	DefaultMaxAttempts    = 5
	DefaultMaxRetryDelay  = 300 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	DefaultBaseBackoff    = 1 * time.Second
	// DefaultRequestsPerMinute paces reads. Secoda documents 30 calls a minute for
	// writes and "similar" for reads; the pace drops further after a 429.
	DefaultRequestsPerMinute = 60
	// maxBodyBytes bounds one answer; a page of 50 records is about 100 KB.
	maxBodyBytes = 64 << 20
)

// Config says how a Client reaches Secoda. Zero values take the defaults above.
type Config struct {
	// BaseURL is the API root including /api/v1; see NormalizeBaseURL for what is
	// accepted. Empty means DefaultBaseURL.
	BaseURL string
	// APIKey is sent as a bearer token to BaseURL's scheme and host, nowhere else.
	APIKey string
	// UserAgent defaults to "secoda-workbench/<version>".
	UserAgent string
	// HTTPClient supplies the transport; its redirect policy is replaced by one that
	// refuses other hosts, and its Timeout by RequestTimeout per attempt.
	HTTPClient *http.Client
	// RequestsPerMinute paces all requests of this client together. 0 takes
	// DefaultRequestsPerMinute; a negative value turns pacing off.
	RequestsPerMinute float64
	MaxAttempts       int           // tries per request for failures, and again for 429s
	MaxRetryDelay     time.Duration // the longest wait between tries, Retry-After included
	RequestTimeout    time.Duration // one try, body included
	BaseBackoff       time.Duration // the first retry's wait, doubled each time
	// Logger receives a line per retry. Nothing it receives holds the key.
	Logger *slog.Logger
	// OnEvent, when set, is told of every retry as it happens (for progress output).
	OnEvent func(Event)
}

// Event is a retry, told to Config.OnEvent.
type Event struct {
	Method   string
	Path     string
	Status   int           // 0 for a network failure
	Reason   string        // "rate limited", "server error", "network", "malformed answer"
	Attempt  int           // the try that failed, 1-based
	Wait     time.Duration // before the next try
	Detail   string        // scrubbed of the key
	RateHint float64       // the client's pace after this event, requests per minute
}

// Stats counts what a client has met so far; the pipeline reports it per run.
type Stats struct {
	Requests      int64 // HTTP requests sent, retries included
	Retries       int64
	RateLimited   int64 // answers with status 429
	ServerErrors  int64 // answers with status 5xx
	NetworkErrors int64 // tries with no HTTP answer
	// PerMinute is the pace now; it drops after a 429 and climbs back.
	PerMinute float64
}

// Client calls the Secoda API. It is safe for concurrent use; all goroutines share
// one rate limiter.
type Client struct {
	base        *url.URL
	key         *apiKey // a pointer, so that printing a Client shows an address
	userAgent   string
	http        *http.Client
	limiter     *rateLimiter
	maxAttempts int
	maxDelay    time.Duration
	timeout     time.Duration
	baseBackoff time.Duration
	log         *slog.Logger
	onEvent     func(Event)

	requests, retries, rateLimited, serverErrors, networkErrors atomic.Int64
}

// apiKey holds the key so that no formatting verb, logger or panic can print it.
type apiKey struct{ value string }

func (apiKey) String() string               { return "[REDACTED]" }
func (apiKey) GoString() string             { return "[REDACTED]" }
func (apiKey) MarshalText() ([]byte, error) { return []byte("[REDACTED]"), nil }
func (apiKey) LogValue() slog.Value         { return slog.StringValue("[REDACTED]") }

// New checks cfg and builds a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	base, err := NormalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(base) // NormalizeBaseURL returns a parsed-and-printed URL
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, &Error{Kind: ErrNoKey, Path: u.Path, Host: u.Host, Hint: hintFor(ErrNoKey, 0, u.Host)}
	}
	if strings.ContainsAny(cfg.APIKey, "\r\n") {
		return nil, &Error{Kind: ErrNoKey, Path: u.Path, Host: u.Host, Detail: "the key holds a line break; it was probably pasted with one", Hint: "store it again with `secoda-workbench secrets set`"}
	}
	c := &Client{
		base:        u,
		key:         &apiKey{strings.TrimSpace(cfg.APIKey)},
		userAgent:   cfg.UserAgent,
		maxAttempts: cfg.MaxAttempts,
		maxDelay:    cfg.MaxRetryDelay,
		timeout:     cfg.RequestTimeout,
		baseBackoff: cfg.BaseBackoff,
		log:         cfg.Logger,
		onEvent:     cfg.OnEvent,
	}
	if c.userAgent == "" {
		c.userAgent = "secoda-workbench/" + buildinfo.Version()
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	if c.maxDelay <= 0 {
		c.maxDelay = DefaultMaxRetryDelay
	}
	if c.timeout <= 0 {
		c.timeout = DefaultRequestTimeout
	}
	if c.baseBackoff <= 0 {
		c.baseBackoff = DefaultBaseBackoff
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	rpm := cfg.RequestsPerMinute
	if rpm == 0 {
		rpm = DefaultRequestsPerMinute
	}
	c.limiter = newRateLimiter(rpm, time.Now)
	hc := http.Client{Transport: http.DefaultTransport}
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	hc.Timeout = 0 // per attempt, by context
	hc.CheckRedirect = c.checkRedirect
	c.http = &hc
	return c, nil
}

// String and GoString describe the client without its key, for %v, %+v and %#v.
func (c *Client) String() string   { return "secoda.Client(" + c.base.String() + ")" }
func (c *Client) GoString() string { return c.String() }

// BaseURL is the API root this client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Host is the API host (with port, when one is given).
func (c *Client) Host() string { return c.base.Host }

// Stats reports what the client has met so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:      c.requests.Load(),
		Retries:       c.retries.Load(),
		RateLimited:   c.rateLimited.Load(),
		ServerErrors:  c.serverErrors.Load(),
		NetworkErrors: c.networkErrors.Load(),
		PerMinute:     c.limiter.perMinute(),
	}
}

// Get fetches one object, such as resource/all/{id}, and returns its JSON.
func (c *Client) Get(ctx context.Context, path string, params url.Values) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.call(ctx, http.MethodGet, c.endpointURL(path, params), nil, func(body []byte) error {
		if !json.Valid(body) {
			return errMalformed
		}
		out = body
		return nil
	})
	return out, err
}

// Do sends a request with a JSON body (nil for none) and returns the answer's JSON,
// which is empty for a 204. Only GET, PUT, PATCH and DELETE are retried on 5xx and
// network failures; a POST is retried only when the server refused it with a 429.
func (c *Client) Do(ctx context.Context, method, path string, body any) (json.RawMessage, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("%s %s: encoding the request body: %w", method, path, err)
		}
	}
	var out json.RawMessage
	err := c.call(ctx, method, c.endpointURL(path, nil), raw, func(b []byte) error {
		if len(bytes.TrimSpace(b)) == 0 {
			return nil
		}
		if !json.Valid(b) {
			return errMalformed
		}
		out = b
		return nil
	})
	return out, err
}

// endpointURL joins the base URL and an endpoint path, with the trailing slash that
// Secoda's own next links carry.
func (c *Client) endpointURL(path string, params url.Values) *url.URL {
	u := *c.base
	p := strings.Trim(path, "/")
	u.Path = strings.TrimRight(u.Path, "/") + "/" + p + "/"
	u.RawPath = ""
	if len(params) > 0 {
		u.RawQuery = params.Encode()
	}
	return &u
}

// errMalformed marks an answer whose body does not parse: a truncated or garbled page,
// tried again like a dropped connection.
var errMalformed = errors.New("the answer is not valid JSON")

// shapeError marks JSON that parses but is not what the endpoint should return;
// another try will not mend it.
type shapeError struct{ msg string }

func (e *shapeError) Error() string { return e.msg }

// call makes one logical request, retried as the policy allows. decode, when given,
// reads a 2xx body inside the retry loop, so a truncated page is fetched again.
func (c *Client) call(ctx context.Context, method string, u *url.URL, body []byte, decode func([]byte) error) error {
	path := c.scrub(u.RequestURI())
	fail := func(kind error, status, attempts int, detail string, cause error) *Error {
		return &Error{Kind: kind, Method: method, Path: path, Host: c.base.Host, Status: status,
			Detail: c.scrub(detail), Attempts: attempts, Hint: hintFor(kind, status, c.base.Host), cause: c.scrubErr(cause)}
	}
	if !sameOrigin(u, c.base) {
		return c.foreignHost(method, u)
	}
	idempotent := method != http.MethodPost
	var last *Error
	var wait time.Duration
	// Failures (5xx, network, malformed) and 429s each have MaxAttempts: a server
	// that says "wait" does not use up the tries a failing one needs.
	var failures, limited int
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			c.retries.Add(1)
			if err := sleepCtx(ctx, wait); err != nil {
				return c.canceled(method, path, err)
			}
		}
		if err := c.limiter.wait(ctx); err != nil {
			return c.canceled(method, path, err)
		}
		c.requests.Add(1)
		status, header, respBody, err := c.send(ctx, method, u, body)
		if err != nil {
			if ctx.Err() != nil {
				return c.canceled(method, path, ctx.Err())
			}
			var fh *Error
			if errors.As(err, &fh) && errors.Is(fh.Kind, ErrForeignHost) {
				return fh
			}
			c.networkErrors.Add(1)
			failures++
			last = fail(ErrUnreachable, 0, attempt, err.Error(), err)
			if !retryableNetError(err) || !idempotent || failures >= c.maxAttempts {
				return last
			}
			wait = backoff(failures, c.baseBackoff, c.maxDelay)
			c.retrying(method, path, 0, "network", attempt, wait, last.Detail)
			continue
		}
		switch {
		case status == http.StatusTooManyRequests:
			c.rateLimited.Add(1)
			limited++
			asked, _ := parseRetryAfter(header.Get("Retry-After"), time.Now())
			if asked > c.maxDelay {
				return fail(ErrRateLimited, status, attempt,
					fmt.Sprintf("the server asks to wait %s, longer than the %s this client waits", asked.Round(time.Second), c.maxDelay), nil)
			}
			// Retry-After: 0 (or none) still waits the back-off, longer for each 429
			// in a row whoever met it: never hammer.
			run := c.limiter.throttled()
			wait = max(asked, backoff(max(limited, run), c.baseBackoff, c.maxDelay))
			c.limiter.hold(wait)
			last = fail(ErrRateLimited, status, attempt, errorDetail(header, respBody), nil)
			if limited >= c.maxAttempts {
				return last
			}
			c.retrying(method, path, status, "rate limited", attempt, wait, last.Detail)
			continue
		case status >= 500:
			c.limiter.succeeded()
			c.serverErrors.Add(1)
			failures++
			last = fail(ErrServerFailing, status, attempt, errorDetail(header, respBody), nil)
			if !idempotent || failures >= c.maxAttempts {
				return last
			}
			wait = backoff(failures, c.baseBackoff, c.maxDelay)
			c.retrying(method, path, status, "server error", attempt, wait, last.Detail)
			continue
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return fail(ErrKeyRejected, status, attempt, errorDetail(header, respBody), nil)
		case status == http.StatusNotFound:
			return fail(ErrNotFound, status, attempt, errorDetail(header, respBody), nil)
		case status >= 400:
			return fail(ErrBadRequest, status, attempt, errorDetail(header, respBody), nil)
		case status < 200 || status >= 300:
			return fail(ErrBadResponse, status, attempt, "unexpected status", nil)
		}
		c.limiter.succeeded()
		if ct := header.Get("Content-Type"); strings.Contains(ct, "text/html") {
			return fail(ErrBadResponse, status, attempt, "the answer is an HTML page, not JSON", nil)
		}
		if decode == nil {
			return nil
		}
		err = decode(respBody)
		if err == nil {
			return nil
		}
		var se *shapeError
		if errors.As(err, &se) || !errors.Is(err, errMalformed) {
			e := fail(ErrBadResponse, status, attempt, err.Error(), nil)
			if se != nil {
				e.Hint = "this endpoint answered in a shape the client does not know; check its data selector in secoda_pipeline.toml, or report it with the endpoint's name"
			}
			return e
		}
		failures++
		last = fail(ErrBadResponse, status, attempt, err.Error()+": "+snippet(respBody), nil)
		if failures >= c.maxAttempts {
			return last
		}
		wait = backoff(failures, c.baseBackoff, c.maxDelay)
		c.retrying(method, path, status, "malformed answer", attempt, wait, last.Detail)
	}
}

// send makes one HTTP request and reads the whole answer within RequestTimeout.
func (c *Client) send(ctx context.Context, method string, u *url.URL, body []byte) (int, http.Header, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u.String(), rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key.value)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var fh *Error
		if errors.As(err, &fh) {
			return 0, nil, nil, fh
		}
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if len(b) > maxBodyBytes {
		return 0, nil, nil, fmt.Errorf("the answer is larger than %d MB", maxBodyBytes>>20)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// checkRedirect follows a redirect only within the base URL's scheme and host.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if !sameOrigin(req.URL, c.base) {
		return c.foreignHost(req.Method, req.URL)
	}
	return nil
}

func (c *Client) foreignHost(method string, to *url.URL) *Error {
	return &Error{
		Kind:   ErrForeignHost,
		Method: method,
		Path:   c.scrub(to.Redacted()),
		Host:   c.scrub(to.Host),
		Detail: c.scrub(fmt.Sprintf("the API at %s://%s pointed to %s://%s", c.base.Scheme, c.base.Host, to.Scheme, to.Host)),
		Hint: "a next link or redirect leaving the API's host is usually a proxy in front of Secoda that rewrites " +
			"links (http for https, an internal host name); fix the proxy, or set SECODA_API_URL to the host the links name if you trust it",
	}
}

func (c *Client) canceled(method, path string, err error) error {
	return fmt.Errorf("%s %s: %w", method, path, err)
}

// retrying tells the log and OnEvent of a failed try that will be tried again.
func (c *Client) retrying(method, path string, status int, reason string, attempt int, wait time.Duration, detail string) {
	c.log.Info("retrying Secoda request", "method", method, "path", path, "status", status, "reason", reason,
		"attempt", attempt, "max_attempts", c.maxAttempts, "wait", wait.Round(time.Millisecond).String())
	if c.onEvent != nil {
		c.onEvent(Event{Method: method, Path: path, Status: status, Reason: reason, Attempt: attempt, Wait: wait,
			Detail: detail, RateHint: c.limiter.perMinute()})
	}
}

// scrub removes the key from a message, in plain and URL-escaped form.
func (c *Client) scrub(s string) string {
	k := c.key.value
	if k == "" {
		return s
	}
	s = strings.ReplaceAll(s, k, "[REDACTED]")
	if q := url.QueryEscape(k); q != k {
		s = strings.ReplaceAll(s, q, "[REDACTED]")
	}
	return s
}

// scrubErr keeps what callers test with errors.Is (a deadline, a cancellation) and
// drops the rest of the chain, whose messages (a URL from a server's next link, say)
// could hold the key; the message is kept, scrubbed.
func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	var kept error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		kept = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		kept = context.Canceled
	}
	return &scrubbed{msg: c.scrub(err.Error()), err: kept}
}

type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// errorDetail reads what an error answer says: {"detail": ...}, or a validation map
// {"field": ["message"]}, or the start of a non-JSON body.
func errorDetail(h http.Header, body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		if d, ok := obj["detail"].(string); ok {
			return truncate(d, 300)
		}
		compact, _ := json.Marshal(obj)
		return truncate(string(compact), 300)
	}
	if ct := h.Get("Content-Type"); ct != "" && !strings.Contains(ct, "json") {
		return ct + ": " + snippet(body)
	}
	return snippet(body)
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	return truncate(s, 120)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
