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

	"github.com/otelcol-audit/otelcol-audit/internal/identity"
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
// check the credential headers and the declared length (before any of the body is read), read
// the raw body, verify signatures over it, bind the tenant, look up the delivery, parse,
// consume.
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

	pending, reason := verifyHeaders(ep, req)
	if reason != "" {
		return r.unauthorized(w, req, ep, reason)
	}
	if limit := r.cfg.Server.MaxRequestBodySize; limit > 0 && req.ContentLength > limit {
		return writeError(w, http.StatusRequestEntityTooLarge, "request body exceeds max_request_body_size", nil)
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

	who, reason := pending.verifyBody(ep, body, r.now())
	if reason != "" {
		return r.unauthorized(w, req, ep, reason)
	}
	ctx, tenant, ok := bindTenant(req.Context(), ep, who)
	if !ok {
		return writeError(w, http.StatusForbidden, "tenant not allowed for this credential", nil)
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

	var replayKeys []string
	if who.deliveryID != "" {
		replayKeys = append(replayKeys, replayCacheKey(ep.kind, tenant, who.deliveryID))
	}
	if who.bodyOnly {
		sum := sha256.Sum256(body)
		replayKeys = append(replayKeys, replayCacheKey(ep.kind+"/body", tenant, string(sum[:])))
	}
	if len(replayKeys) > 0 {
		state, accepted := r.replay.begin(tenant, replayKeys...)
		switch state {
		case replayDone:
			w.Header().Set(headerDuplicate, "true")
			return writeJSON(w, http.StatusOK, acceptedBody{Accepted: accepted})
		case replayInFlight:
			return writeError(w, http.StatusConflict, "a delivery with this id is being processed", nil)
		}
	}

	return r.process(ctx, ep, w, body, batchMeta{
		endpoint:    ep.kind,
		serviceName: r.cfg.ServiceName,
		source:      source,
		tenant:      tenant,
		deliveryID:  who.deliveryID,
		githubEvent: githubEvent(ep, req),
	}, replayKeys)
}

// unauthorized refuses a request that failed verification, without saying which check failed,
// and counts the reason.
func (r *webhookReceiver) unauthorized(w http.ResponseWriter, req *http.Request, ep *endpoint, reason string) int {
	r.telemetry.AuditWebhookVerificationFailures.Add(req.Context(), 1, metric.WithAttributes(
		attribute.String("endpoint", ep.kind), attribute.String("reason", reason)))
	return writeError(w, http.StatusUnauthorized, "unauthorized", nil)
}

// bindTenant picks the tenant of the request and puts the identity that may write it into the
// context, for the normaliser to enforce. An identity the server's auth extension put there is
// kept: the endpoint's or credential's tenant must be one it allows, and when they name none
// the identity's default is used. Otherwise the credential (or the open endpoint) is the
// identity, bound to that one tenant.
func bindTenant(ctx context.Context, ep *endpoint, who verified) (context.Context, string, bool) {
	named := who.tenant
	if named == "" {
		named = ep.tenant
	}
	if id, ok := identity.FromContext(ctx); ok {
		tenant := named
		if tenant == "" {
			tenant = id.Default()
		}
		// No tenant anywhere: the record names none, and the normaliser gives it its
		// default_tenant, which every identity may write.
		return ctx, tenant, tenant == "" || id.Allows(tenant)
	}
	bound := &identity.Identity{Subject: "webhook/" + ep.kind, DefaultTenant: named}
	if named != "" {
		bound.Tenants = []string{named}
	}
	return identity.NewContext(ctx, bound), named, true
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

// process parses the body into records, hands them to the pipeline and answers. The replay
// keys, when there are any, are marked done only after the pipeline took the events.
func (r *webhookReceiver) process(ctx context.Context, ep *endpoint, w http.ResponseWriter, body []byte, meta batchMeta, replayKeys []string) int {
	b := newLogsBuilder(meta, r.now())
	p := &parser{maxEvents: r.cfg.MaxEventsPerRequest, maxNodes: r.cfg.MaxJSONNodesPerRequest, emit: b.add}
	if bad := p.parse(ep.kind, meta.githubEvent, body); bad != nil {
		r.replay.abort(replayKeys...)
		r.countEvents(ctx, ep.kind, resultRefused, bad.Events)
		return writeError(w, bad.status(), bad.Message, bad.Items)
	}
	n := b.count()
	if n == 0 {
		r.replay.finish(0, replayKeys...)
		return writeJSON(w, http.StatusOK, acceptedBody{Accepted: 0})
	}

	opCtx := r.obsrecv.StartLogsOp(ctx)
	err := r.next.ConsumeLogs(opCtx, b.logs)
	r.obsrecv.EndLogsOp(opCtx, ep.kind, n, err)
	if err != nil {
		r.replay.abort(replayKeys...)
		r.countEvents(ctx, ep.kind, resultRefused, n)
		code, retryAfter := statusForConsumerError(err, r.cfg.RetryAfter)
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10))
		}
		return writeError(w, code, pipelineMessage(code), nil)
	}
	r.replay.finish(n, replayKeys...)
	r.countEvents(ctx, ep.kind, resultAccepted, n)
	return writeJSON(w, http.StatusOK, acceptedBody{Accepted: n})
}

func (r *webhookReceiver) countEvents(ctx context.Context, kind, result string, n int) {
	if n <= 0 {
		return
	}
	r.telemetry.AuditWebhookEvents.Add(ctx, int64(n), metric.WithAttributes(
		attribute.String("endpoint", kind), attribute.String("result", result)))
}

// pendingCheck is what remains to verify once the body is read.
type pendingCheck struct {
	// who is the sender when the headers were enough (shared secret, open endpoint).
	who      verified
	standard *standardSignature
	hub      []byte
	// delivery is X-GitHub-Delivery, for a request signed with X-Hub-Signature-256.
	delivery string
}

// verifyHeaders authenticates what the headers alone can tell, before the body is read: a
// shared secret is checked here, a request with no usable credential or signature header is
// refused here. It returns a failure reason, or "" and what is left to check over the body.
// An endpoint with no secrets configured accepts everyone (the server's auth extension, TLS
// client certificates or the loopback address are then what protects it).
func verifyHeaders(ep *endpoint, req *http.Request) (*pendingCheck, string) {
	h := req.Header
	switch {
	case len(ep.signingKeys) > 0 && h.Get(headerWebhookSignature) != "":
		sig, reason := parseStandardWebhook(h)
		if reason != "" {
			return nil, reason
		}
		return &pendingCheck{standard: sig}, ""
	case len(ep.hubSecrets) > 0 && h.Get(headerHubSignature256) != "":
		sig, reason := parseHubSignature(h.Get(headerHubSignature256))
		if reason != "" {
			return nil, reason
		}
		return &pendingCheck{hub: sig, delivery: h.Get(headerGitHubDelivery)}, ""
	case len(ep.credentials) > 0 && h.Get(ep.credHeader) != "":
		s, ok := matchSharedSecret(h.Get(ep.credHeader), ep.credentials)
		if !ok {
			return nil, reasonMismatch
		}
		return &pendingCheck{who: verified{tenant: s.tenant, deliveryID: deliveryID(ep, h)}}, ""
	case ep.open():
		return &pendingCheck{who: verified{deliveryID: deliveryID(ep, h)}}, ""
	default:
		return nil, reasonMissing
	}
}

// verifyBody checks a signature over the raw body, when the headers carried one.
func (c *pendingCheck) verifyBody(ep *endpoint, body []byte, now time.Time) (verified, string) {
	switch {
	case c.standard != nil:
		s, reason := c.standard.verify(body, ep.signingKeys, ep.tolerance, now)
		if reason != "" {
			return verified{}, reason
		}
		return verified{tenant: s.tenant, deliveryID: c.standard.id}, ""
	case c.hub != nil:
		s, reason := verifyHubSignature(c.hub, body, ep.hubSecrets)
		if reason != "" {
			return verified{}, reason
		}
		return verified{tenant: s.tenant, deliveryID: c.delivery, bodyOnly: true}, ""
	default:
		return c.who, ""
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
