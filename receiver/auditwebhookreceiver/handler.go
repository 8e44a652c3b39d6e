package auditwebhookreceiver

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	resultAccepted = "accepted"
	resultRefused  = "refused"

	headerOktaChallenge = "X-Okta-Verification-Challenge"
	// headerDuplicate marks the answer to a re-delivery whose events were accepted before.
	headerDuplicate = "X-Audit-Webhook-Duplicate"
)

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error  string      `json:"error"`
	Errors []itemError `json:"errors,omitempty"`
}

type acceptedBody struct {
	Accepted int `json:"accepted"`
}

func (r *webhookReceiver) handler(ep *endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		code := r.serve(ep, w, req)
		r.telemetry.AuditWebhookRequests.Add(req.Context(), 1, metric.WithAttributes(
			attribute.String("endpoint", ep.kind), attribute.String("status", strconv.Itoa(code))))
	})
}

// serve handles one request and returns the status it answered with. The order is fixed:
// read the raw body, verify the sender over it, look up the delivery id, parse, consume.
func (r *webhookReceiver) serve(ep *endpoint, w http.ResponseWriter, req *http.Request) int {
	switch {
	case req.Method == http.MethodPost:
	case req.Method == http.MethodGet && ep.allowGet:
	default:
		allow := "POST"
		if ep.allowGet {
			allow = "GET, POST"
		}
		w.Header().Set("Allow", allow)
		return writeError(w, http.StatusMethodNotAllowed, "method not allowed", nil)
	}

	body, err := io.ReadAll(req.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		var netErr net.Error
		switch {
		case errors.As(err, &tooLarge):
			return writeError(w, http.StatusRequestEntityTooLarge, "request body exceeds max_request_body_size", nil)
		case errors.As(err, &netErr) && netErr.Timeout():
			return writeError(w, http.StatusRequestTimeout, "request body not received in time", nil)
		default:
			return writeError(w, http.StatusBadRequest, "request body could not be read", nil)
		}
	}

	who, reason := r.verify(ep, req, body)
	if reason != "" {
		r.telemetry.AuditWebhookVerificationFailures.Add(req.Context(), 1, metric.WithAttributes(
			attribute.String("endpoint", ep.kind), attribute.String("reason", reason)))
		// No detail: the sender learns nothing about which check failed.
		return writeError(w, http.StatusUnauthorized, "unauthorized", nil)
	}
	tenant := ep.tenant
	if who.tenant != "" {
		tenant = who.tenant
	}

	if req.Method == http.MethodGet {
		return oktaVerification(w, req)
	}

	source := ep.source
	if ep.sourceHeader != "" {
		if s := req.Header.Get(ep.sourceHeader); s != "" {
			if !isKnownSource(s) {
				return writeError(w, http.StatusBadRequest, "unknown source in "+ep.sourceHeader, nil)
			}
			source = s
		}
	}

	replayKey := ""
	if who.deliveryID != "" {
		replayKey = replayCacheKey(ep.kind, tenant, who.deliveryID)
		state, accepted := r.replay.begin(replayKey)
		switch state {
		case replayDone:
			w.Header().Set(headerDuplicate, "true")
			return writeJSON(w, http.StatusOK, acceptedBody{Accepted: accepted})
		case replayInFlight:
			return writeError(w, http.StatusConflict, "a delivery with this id is being processed", nil)
		}
	}

	code := r.process(ep, w, req, body, batchMeta{
		endpoint:    ep.kind,
		serviceName: r.cfg.ServiceName,
		source:      source,
		tenant:      tenant,
		deliveryID:  who.deliveryID,
		githubEvent: githubEvent(ep, req),
	}, replayKey)
	return code
}

// replayCacheKey scopes an id by endpoint and tenant, and hashes it so that every cache entry
// has the same small size whatever the length of the sender's id.
func replayCacheKey(kind, tenant, id string) string {
	h := sha256.New()
	for _, s := range []string{kind, tenant, id} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return string(h.Sum(nil))
}

func githubEvent(ep *endpoint, req *http.Request) string {
	if ep.kind != kindGitHub {
		return ""
	}
	return req.Header.Get(headerGitHubEvent)
}

// process parses the body, hands the events to the pipeline and answers. The delivery id,
// when there is one, is marked done only after the pipeline took the events.
func (r *webhookReceiver) process(ep *endpoint, w http.ResponseWriter, req *http.Request, body []byte, meta batchMeta, replayKey string) int {
	events, bad := parse(ep.kind, meta.githubEvent, body)
	if bad != nil {
		if replayKey != "" {
			r.replay.abort(replayKey)
		}
		r.countEvents(req.Context(), ep.kind, resultRefused, bad.Events)
		return writeError(w, http.StatusBadRequest, bad.Message, bad.Items)
	}
	if len(events) == 0 {
		if replayKey != "" {
			r.replay.finish(replayKey, 0)
		}
		return writeJSON(w, http.StatusOK, acceptedBody{Accepted: 0})
	}

	logs := buildLogs(meta, events, r.now())
	ctx := r.obsrecv.StartLogsOp(req.Context())
	err := r.next.ConsumeLogs(ctx, logs)
	r.obsrecv.EndLogsOp(ctx, ep.kind, len(events), err)
	if err != nil {
		if replayKey != "" {
			r.replay.abort(replayKey)
		}
		r.countEvents(req.Context(), ep.kind, resultRefused, len(events))
		code, retryAfter := statusForConsumerError(err, r.cfg.RetryAfter)
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10))
		}
		return writeError(w, code, pipelineMessage(code), nil)
	}
	if replayKey != "" {
		r.replay.finish(replayKey, len(events))
	}
	r.countEvents(req.Context(), ep.kind, resultAccepted, len(events))
	return writeJSON(w, http.StatusOK, acceptedBody{Accepted: len(events)})
}

func parse(kind, githubEvent string, body []byte) ([]event, *badRequest) {
	switch kind {
	case kindOkta:
		return parseOkta(body)
	case kindKubernetes:
		return parseKubernetes(body)
	case kindCloudTrail:
		return parseCloudTrail(body)
	case kindGitHub:
		if githubEvent == "" {
			return parseGitHubStream(body)
		}
		if githubEvent == "ping" {
			// Sent once when a webhook is created: proof of reachability, not an audit event.
			if _, bad := parseGitHubWebhook(body); bad != nil {
				return nil, bad
			}
			return []event{}, nil
		}
		return parseGitHubWebhook(body)
	default:
		return parseGeneric(body)
	}
}

func (r *webhookReceiver) countEvents(ctx context.Context, kind, result string, n int) {
	if n <= 0 {
		return
	}
	r.telemetry.AuditWebhookEvents.Add(ctx, int64(n), metric.WithAttributes(
		attribute.String("endpoint", kind), attribute.String("result", result)))
}

// verify authenticates the request over the raw body. It returns a failure reason, or "" and
// who sent it. An endpoint with no secrets configured accepts everyone (the server's auth
// extension, TLS client certificates or the loopback address are then what protects it).
func (r *webhookReceiver) verify(ep *endpoint, req *http.Request, body []byte) (verified, string) {
	h := req.Header
	switch {
	case len(ep.signingKeys) > 0 && h.Get(headerWebhookSignature) != "":
		s, reason := verifyStandardWebhook(h, body, ep.signingKeys, ep.tolerance, r.now())
		if reason != "" {
			return verified{}, reason
		}
		return verified{tenant: s.tenant, deliveryID: h.Get(headerWebhookID)}, ""
	case len(ep.hubSecrets) > 0 && h.Get(headerHubSignature256) != "":
		s, reason := verifyHubSignature(h.Get(headerHubSignature256), body, ep.hubSecrets)
		if reason != "" {
			return verified{}, reason
		}
		return verified{tenant: s.tenant, deliveryID: h.Get(headerGitHubDelivery)}, ""
	case len(ep.credentials) > 0 && h.Get(ep.credHeader) != "":
		s, ok := matchSharedSecret(h.Get(ep.credHeader), ep.credentials)
		if !ok {
			return verified{}, reasonMismatch
		}
		return verified{tenant: s.tenant, deliveryID: deliveryID(ep, h)}, ""
	case ep.open():
		return verified{deliveryID: deliveryID(ep, h)}, ""
	default:
		return verified{}, reasonMissing
	}
}

// deliveryID is the sender's id for requests not authenticated by a signature over it.
func deliveryID(ep *endpoint, h http.Header) string {
	switch ep.kind {
	case kindGitHub:
		return h.Get(headerGitHubDelivery)
	case kindGeneric:
		return h.Get(headerWebhookID)
	default:
		return ""
	}
}

// oktaVerification answers Okta's one-time verification request by echoing the challenge.
func oktaVerification(w http.ResponseWriter, req *http.Request) int {
	challenge := req.Header.Get(headerOktaChallenge)
	if challenge == "" {
		return writeError(w, http.StatusBadRequest, "missing "+headerOktaChallenge+" header", nil)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"verification": challenge})
}

// statusForConsumerError maps a pipeline refusal to the answer that makes senders do the right
// thing: 429 for throttling and 503 for anything else retryable, both with Retry-After; 422
// for a permanent error, which a retry of the same request cannot fix.
func statusForConsumerError(err error, defaultRetry time.Duration) (int, time.Duration) {
	if consumererror.IsPermanent(err) {
		return http.StatusUnprocessableEntity, 0
	}
	delay := defaultRetry
	code := http.StatusServiceUnavailable
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		if st.Code() == codes.ResourceExhausted {
			code = http.StatusTooManyRequests
		}
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
				delay = ri.GetRetryDelay().AsDuration()
			}
		}
	} else if ce, ok := errors.AsType[*consumererror.Error](err); ok && consumererror.ToHTTPStatus(ce) == http.StatusTooManyRequests {
		code = http.StatusTooManyRequests
	}
	return code, delay
}

func pipelineMessage(code int) string {
	switch code {
	case http.StatusTooManyRequests:
		return "pipeline is throttling: retry later"
	case http.StatusUnprocessableEntity:
		return "pipeline refused the events permanently"
	default:
		return "pipeline is not accepting data: retry later"
	}
}

func writeError(w http.ResponseWriter, code int, msg string, items []itemError) int {
	return writeJSON(w, code, errorBody{Error: msg, Errors: items})
}

func writeJSON(w http.ResponseWriter, code int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
	return code
}
