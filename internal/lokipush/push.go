package lokipush // import "github.com/otelcol-audit/otelcol-audit/internal/lokipush"

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxResponseBody caps how much of a response body is read; an error body beyond it is
// discarded (up to the same amount again, so that the connection can be reused).
const MaxResponseBody = 64 << 10

// Request is one push.
type Request struct {
	// URL is the full push URL (see URL).
	URL string
	// Tenant is sent as X-Scope-OrgID; empty sends none (Loki with auth_enabled: false).
	Tenant string
	// UserAgent is sent when set.
	UserAgent string
	// Body is an encoded push request (see Encode).
	Body []byte
}

// Outcome is how a push ended. The values are fixed, usable as a metric attribute.
type Outcome string

// Outcomes of a push.
const (
	// OutcomeOK: Loki answered 2xx.
	OutcomeOK Outcome = "ok"
	// OutcomeNetworkError: no answer (connection error, timeout); retryable.
	OutcomeNetworkError Outcome = "network_error"
	// OutcomeRateLimited: Loki answered 429; retryable.
	OutcomeRateLimited Outcome = "rate_limited"
	// OutcomeServerError: Loki answered 5xx; retryable.
	OutcomeServerError Outcome = "server_error"
	// OutcomeClientError: Loki refused the request (any other status); sending the same
	// request again cannot succeed.
	OutcomeClientError Outcome = "client_error"
)

// Result is the classified answer to one push.
type Result struct {
	Outcome Outcome
	// StatusCode is Loki's HTTP status; 0 when there was no answer.
	StatusCode int
	// Err describes the failure; nil when the push succeeded.
	Err error
	// RetryAfter is the delay Loki asked for with Retry-After on a 429 or 5xx; 0 when none.
	RetryAfter time.Duration
	// Reason is the bounded reason of a refusal (OutcomeClientError): see Reason.
	Reason string
}

// Retryable reports whether the same request may succeed later.
func (r *Result) Retryable() bool {
	switch r.Outcome {
	case OutcomeNetworkError, OutcomeRateLimited, OutcomeServerError:
		return true
	}
	return false
}

// Push sends one encoded push request and classifies the answer. Only 429, 5xx and
// connection errors are retryable; any other non-2xx status is a refusal whose reason is
// read from Loki's error message.
func Push(ctx context.Context, client *http.Client, r Request) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{Outcome: OutcomeNetworkError, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if r.UserAgent != "" {
		req.Header.Set("User-Agent", r.UserAgent)
	}
	if r.Tenant != "" {
		req.Header.Set("X-Scope-OrgID", r.Tenant)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Result{Outcome: OutcomeNetworkError, Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBody))

	code := resp.StatusCode
	res := Result{StatusCode: code}
	switch {
	case code >= 200 && code < 300:
		res.Outcome = OutcomeOK
		return res
	case code == http.StatusTooManyRequests || code >= 500:
		res.Outcome = OutcomeServerError
		if code == http.StatusTooManyRequests {
			res.Outcome = OutcomeRateLimited
		}
		res.RetryAfter = RetryAfter(resp.Header.Get("Retry-After"))
	default:
		res.Outcome = OutcomeClientError
		res.Reason = Reason(code, string(body))
	}
	res.Err = fmt.Errorf("loki answered %d: %s", code, bytes.TrimSpace(body))
	return res
}

// RetryAfter parses a Retry-After value, delay-seconds or an HTTP date; 0 when absent or
// invalid.
func RetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
