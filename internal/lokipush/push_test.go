package lokipush

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPushHeaders(t *testing.T) {
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	res := Push(context.Background(), srv.Client(), Request{URL: srv.URL, Tenant: "acme", UserAgent: "otelcol-audit/1.0", Body: []byte("x")})
	require.NoError(t, res.Err)
	assert.Equal(t, OutcomeOK, res.Outcome)
	assert.Equal(t, http.StatusNoContent, res.StatusCode)
	assert.False(t, res.Retryable())
	assert.Equal(t, "application/x-protobuf", got.Get("Content-Type"))
	assert.Equal(t, "acme", got.Get("X-Scope-OrgID"))
	assert.Equal(t, "otelcol-audit/1.0", got.Get("User-Agent"))
	assert.Equal(t, []byte("x"), body)

	res = Push(context.Background(), srv.Client(), Request{URL: srv.URL, Body: []byte("x")})
	require.NoError(t, res.Err)
	_, sent := got["X-Scope-Orgid"]
	assert.False(t, sent, "no tenant, no header")
}

func TestPushClassifies(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		retryAfter string
		body       string
		outcome    Outcome
		retryable  bool
		wait       time.Duration
		reason     string
	}{
		{"rate limited", http.StatusTooManyRequests, "3", "slow down", OutcomeRateLimited, true, 3 * time.Second, ""},
		{"unavailable", http.StatusServiceUnavailable, "", "ingester down", OutcomeServerError, true, 0, ""},
		{"server error with retry-after", http.StatusInternalServerError, "2", "", OutcomeServerError, true, 2 * time.Second, ""},
		{"refused", http.StatusBadRequest, "5", "stream '{a=\"b\"}' has timestamp too old: x", OutcomeClientError, false, 0, ReasonTooOld},
		{"no org id", http.StatusUnauthorized, "", "no org id", OutcomeClientError, false, 0, ReasonNoOrgID},
		{"unknown refusal", http.StatusForbidden, "", "forbidden", OutcomeClientError, false, 0, "http_403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				http.Error(w, tt.body, tt.code)
			}))
			defer srv.Close()
			res := Push(context.Background(), srv.Client(), Request{URL: srv.URL, Tenant: "acme"})
			assert.Equal(t, tt.outcome, res.Outcome)
			assert.Equal(t, tt.code, res.StatusCode)
			assert.Equal(t, tt.retryable, res.Retryable())
			assert.Equal(t, tt.wait, res.RetryAfter)
			assert.Equal(t, tt.reason, res.Reason)
			require.Error(t, res.Err)
			assert.Contains(t, res.Err.Error(), "loki answered")
		})
	}
}

func TestPushCapsResponseBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, strings.Repeat("x", 4*MaxResponseBody))
	}))
	defer srv.Close()
	res := Push(context.Background(), srv.Client(), Request{URL: srv.URL})
	require.Error(t, res.Err)
	assert.LessOrEqual(t, len(res.Err.Error()), MaxResponseBody+len("loki answered 400: "))
}

func TestPushNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res := Push(context.Background(), http.DefaultClient, Request{URL: url})
	assert.Equal(t, OutcomeNetworkError, res.Outcome)
	assert.Zero(t, res.StatusCode)
	assert.True(t, res.Retryable())
	require.Error(t, res.Err)
}

func TestRetryAfter(t *testing.T) {
	assert.Equal(t, 3*time.Second, RetryAfter("3"))
	assert.Zero(t, RetryAfter(""))
	assert.Zero(t, RetryAfter("soon"))
	assert.Zero(t, RetryAfter("-1"))
	assert.InDelta(t, float64(10*time.Second), float64(RetryAfter(time.Now().Add(10*time.Second).UTC().Format(http.TimeFormat))), float64(2*time.Second))
}
