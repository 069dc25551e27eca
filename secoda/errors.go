package secoda

import (
	"errors"
	"fmt"
	"strings"
)

// The kinds of failure, checked with errors.Is. Every error the client returns is an
// *Error whose Kind is one of these.
var (
	// ErrKeyRejected: 401 or 403. The key is wrong, revoked, for another region's host,
	// or its user may not read this endpoint.
	ErrKeyRejected = errors.New("the API key was rejected")
	// ErrNotFound: 404. A wrong path, a wrong base URL, or an id that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: another 4xx. Secoda refused the request as written (a bad filter).
	ErrBadRequest = errors.New("the request was refused")
	// ErrRateLimited: still 429 after every retry, or the server asked for a longer wait
	// than the client may take.
	ErrRateLimited = errors.New("rate limited")
	// ErrServerFailing: still 5xx after every retry.
	ErrServerFailing = errors.New("the Secoda API is failing")
	// ErrUnreachable: no HTTP answer after every retry (DNS, refused, reset, timeout).
	ErrUnreachable = errors.New("cannot reach the Secoda API")
	// ErrBadResponse: an answer that is not JSON, or not of the expected shape.
	ErrBadResponse = errors.New("unexpected response")
	// ErrForeignHost: a next link or redirect that leaves the base URL's scheme and host.
	// The key is never sent there.
	ErrForeignHost = errors.New("refused to send the API key to another host")
	// ErrPaginationLoop: a next link that was already followed.
	ErrPaginationLoop = errors.New("pagination loop")
	// ErrPageCap: more pages than the safety cap allows.
	ErrPageCap = errors.New("page cap reached")
	// ErrNoKey: the client was built without a key.
	ErrNoKey = errors.New("no API key")
)

// Error is a failed call to Secoda, with what an agent or a person needs to act on it.
// It never holds the API key: Path is the URL path and query, and every message is
// scrubbed of the key before it is stored here.
type Error struct {
	Kind     error  // one of the Err* kinds above
	Method   string // GET, PATCH, ...
	Path     string // URL path and query, without scheme, host or key
	Host     string // the host that was asked (or, for ErrForeignHost, the refused one)
	Status   int    // HTTP status of the last answer, 0 when there was none
	Detail   string // what the server or the network said, scrubbed of the key
	Attempts int    // how many requests were made for this call
	Hint     string // the next step
	cause    error  // the underlying error (for errors.Is on context, net errors)
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
	}
	b.WriteString(e.Path)
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	var paren []string
	if e.Status != 0 {
		paren = append(paren, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.Detail != "" {
		paren = append(paren, e.Detail)
	}
	if e.Attempts > 1 {
		paren = append(paren, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if len(paren) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(paren, "; "))
		b.WriteByte(')')
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap lets errors.Is match the kind and the cause (context.Canceled, say).
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Kind, e.cause}
	}
	return []error{e.Kind}
}

// hintFor is the next step for each kind, where it does not depend on the call.
func hintFor(kind error, status int, host string) string {
	switch kind {
	case ErrKeyRejected:
		if status == 403 {
			return "the key's user may not read this endpoint; ask a Secoda admin for access, or leave this resource out of the pipeline"
		}
		return fmt.Sprintf("check that the key belongs to the workspace served by %s (US api.secoda.co, EU eapi.secoda.co, APAC aapi.secoda.co) and was not revoked; store a new one with `secoda-workbench secrets set`", host)
	case ErrNotFound:
		return "check the endpoint (`secoda-workbench endpoints` lists them) and that the base URL ends in /api/v1"
	case ErrBadRequest:
		return "fix the request's parameters (filter, sort) as the detail says"
	case ErrRateLimited:
		return "lower rate_limit in secoda_pipeline.toml, or run again later; what was loaded so far is kept"
	case ErrServerFailing:
		return "Secoda is failing; run again later (incremental loading resumes where it stopped)"
	case ErrUnreachable:
		return "check the network and the base URL (SECODA_API_URL or base_url in secoda_pipeline.toml)"
	case ErrBadResponse:
		return "check that the base URL points at the API (https://api.secoda.co/api/v1), not the web app"
	case ErrNoKey:
		return "run `secoda-workbench secrets set` in your terminal, or set SECODA_API_KEY"
	}
	return ""
}
