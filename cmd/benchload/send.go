package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// loadOptions say where and how to send.
type loadOptions struct {
	endpoint    string
	token       string
	concurrency int
	timeout     time.Duration
}

// loadResult counts what the run achieved.
type loadResult struct {
	acked, requests, rejected, failed, retries int64
	wall                                       time.Duration
	firstErr                                   error
}

const (
	// maxResponseBytes caps what is read of a response: OTLP responses are a few bytes.
	maxResponseBytes = 1 << 20
	firstBackoff     = 20 * time.Millisecond
	maxBackoff       = 2 * time.Second
	maxRetryAfter    = 5 * time.Second
	// maxTransportRetries bounds retries of connection errors, which unlike throttling do
	// not say the server will recover.
	maxTransportRetries = 10
)

// errAuth ends the run: with a refused token every further request would fail alike.
var errAuth = errors.New("token refused")

type sender struct {
	o      loadOptions
	client *http.Client
	cancel context.CancelCauseFunc

	acked, requests, rejected, failed, retries atomic.Int64
	errOnce                                    sync.Once
	firstErr                                   error
}

// sendPlan sends every request of p once acknowledged, over o.concurrency connections.
func sendPlan(ctx context.Context, o loadOptions, p plan) (loadResult, error) {
	if o.concurrency < 1 {
		return loadResult{}, fmt.Errorf("c: must be at least 1, got %d", o.concurrency)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, o.timeout)
	defer cancelTimeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s := &sender{
		o: o,
		client: &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: o.concurrency,
			DisableCompression:  true,
		}},
		cancel: cancel,
	}
	defer s.client.CloseIdleConnections()

	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(p) {
					return
				}
				s.send(ctx, p[i])
			}
		}()
	}
	wg.Wait()
	res := loadResult{
		acked: s.acked.Load(), requests: s.requests.Load(), rejected: s.rejected.Load(),
		failed: s.failed.Load(), retries: s.retries.Load(), wall: time.Since(start), firstErr: s.firstErr,
	}
	if cause := context.Cause(ctx); cause != nil {
		return res, fmt.Errorf("load stopped: %w", cause)
	}
	return res, nil
}

func (s *sender) fail(err error) {
	s.failed.Add(1)
	s.errOnce.Do(func() { s.firstErr = err })
	if errors.Is(err, errAuth) {
		s.cancel(err)
	}
}

// send posts one request until it is acknowledged, retrying throttling (429, 502, 503, 504)
// with backoff or the server's Retry-After.
func (s *sender) send(ctx context.Context, r *request) {
	backoff := firstBackoff
	transportErrors := 0
	for ctx.Err() == nil {
		s.requests.Add(1)
		status, retryAfter, rejected, err := s.post(ctx, r.body)
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if transportErrors++; transportErrors > maxTransportRetries {
				s.fail(err)
				return
			}
		case status == http.StatusOK:
			s.acked.Add(int64(r.records) - rejected)
			s.rejected.Add(rejected)
			return
		case status == http.StatusTooManyRequests || status == http.StatusBadGateway ||
			status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
			wait = retryAfter
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			s.fail(fmt.Errorf("%w: HTTP %d", errAuth, status))
			return
		default:
			s.fail(fmt.Errorf("HTTP %d", status))
			return
		}
		s.retries.Add(1)
		if wait == 0 {
			// Full jitter, so that the senders do not come back in step.
			wait = time.Duration(rand.Int64N(int64(backoff))) + time.Millisecond
			backoff = min(2*backoff, maxBackoff)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// post sends body once and returns the status, the Retry-After delay if any, and the
// records the server says it rejected in a partial success.
func (s *sender) post(ctx context.Context, body []byte) (status int, retryAfter time.Duration, rejected int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Authorization", "Bearer "+s.o.token)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("read response: %w", err)
	}
	if secs, convErr := strconv.Atoi(resp.Header.Get("Retry-After")); convErr == nil && secs > 0 {
		retryAfter = min(time.Duration(secs)*time.Second, maxRetryAfter)
	}
	if resp.StatusCode == http.StatusOK && len(raw) > 0 {
		er := plogotlp.NewExportResponse()
		if err := er.UnmarshalProto(raw); err == nil {
			rejected = er.PartialSuccess().RejectedLogRecords()
		}
	}
	return resp.StatusCode, retryAfter, rejected, nil
}
