package auditauthextension

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc"

	"github.com/otelcol-audit/otelcol-audit/extension/auditauthextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
	"github.com/otelcol-audit/otelcol-audit/internal/inflight"
)

// Reasons of otelcol_audit_auth_failures_total.
const (
	reasonMissing  = "missing"
	reasonMismatch = "mismatch"
	reasonClaims   = "claims"
)

// smallRequestBytes is the size up to which a request may use the whole admission budget.
const smallRequestBytes = 256 << 10

// errUnauthenticated is all a caller learns: which check failed goes to the metric only.
var errUnauthenticated = errors.New("unauthenticated")

type staticToken struct {
	digest [sha256.Size]byte
	id     *identity.Identity
}

type authExtension struct {
	cfg       *Config
	set       extension.Settings
	telemetry *metadata.TelemetryBuilder
	budget    *inflight.Budget
	header    string

	tokens []staticToken
	claims extensionauth.Server
}

var (
	_ extensionauth.Server           = (*authExtension)(nil)
	_ extensionmiddleware.HTTPServer = (*authExtension)(nil)
	_ extensionmiddleware.GRPCServer = (*authExtension)(nil)
	_ extension.Extension            = (*authExtension)(nil)
)

func newAuthExtension(set extension.Settings, cfg *Config) (*authExtension, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &authExtension{
		cfg:       cfg,
		set:       set,
		telemetry: tb,
		budget:    inflight.New(cfg.Admission.MaxInFlightBytes),
		header:    strings.ToLower(cfg.Header),
	}, nil
}

// Start loads the tokens file and resolves the claims authenticator.
func (e *authExtension) Start(ctx context.Context, host component.Host) error {
	tokens := append([]TokenConfig(nil), e.cfg.Tokens...)
	if e.cfg.TokensFile != "" {
		fromFile, err := readTokensFile(e.cfg.TokensFile)
		if err != nil {
			return err
		}
		tokens = append(tokens, fromFile...)
	}
	e.tokens = e.tokens[:0]
	for _, t := range tokens {
		e.tokens = append(e.tokens, staticToken{digest: sha256.Sum256([]byte(t.Token)), id: t.identity()})
	}
	if e.cfg.Claims.HasValue() {
		c := e.cfg.Claims.Get()
		ext, ok := host.GetExtensions()[c.Authenticator]
		if !ok {
			return fmt.Errorf("claims::authenticator: extension %q not found", c.Authenticator)
		}
		srv, ok := ext.(extensionauth.Server)
		if !ok {
			return fmt.Errorf("claims::authenticator: extension %q is not a server authenticator", c.Authenticator)
		}
		e.claims = srv
	}
	for _, reason := range []string{reasonMissing, reasonMismatch, reasonClaims} {
		e.telemetry.AuditAuthFailures.Add(ctx, 0, metric.WithAttributes(attribute.String("reason", reason)))
	}
	e.telemetry.AuditAdmissionRefused.Add(ctx, 0)
	return nil
}

// Shutdown is safe without Start and when called twice.
func (e *authExtension) Shutdown(context.Context) error {
	e.telemetry.Shutdown()
	return nil
}

// readTokensFile reads a YAML file holding {"tokens": [...]}, each entry validated like the
// inline tokens.
func readTokensFile(path string) ([]TokenConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokens_file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("tokens_file: %s: %w", path, err)
	}
	var file struct {
		Tokens []TokenConfig `mapstructure:"tokens"`
	}
	if err := confmap.NewFromStringMap(raw).Unmarshal(&file); err != nil {
		return nil, fmt.Errorf("tokens_file: %s: %w", path, err)
	}
	for i := range file.Tokens {
		if err := file.Tokens[i].Validate(); err != nil {
			return nil, fmt.Errorf("tokens_file: %s: tokens::%d: %w", path, i, err)
		}
	}
	return file.Tokens, nil
}

// Authenticate maps the request's credential to an identity: a static token first, then the
// claims authenticator. The identity becomes the request's client auth data.
func (e *authExtension) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	if token, ok := credential(sources, e.header); ok {
		if id := e.lookup(token); id != nil {
			return identity.NewContext(ctx, id), nil
		}
		if e.claims == nil {
			return ctx, e.fail(ctx, reasonMismatch)
		}
	} else if e.claims == nil {
		return ctx, e.fail(ctx, reasonMissing)
	}
	cctx, err := e.claims.Authenticate(ctx, sources)
	if err != nil {
		return ctx, e.fail(ctx, reasonClaims)
	}
	id, err := e.fromClaims(client.FromContext(cctx).Auth)
	if err != nil {
		e.set.Logger.Debug("claims refused", zap.Error(err))
		return ctx, e.fail(ctx, reasonClaims)
	}
	return identity.NewContext(cctx, id), nil
}

func (e *authExtension) fail(ctx context.Context, reason string) error {
	e.telemetry.AuditAuthFailures.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", reason)))
	return errUnauthenticated
}

// lookup compares the token's digest with every configured digest in constant time, so that
// neither the match position nor the token length leaks through timing.
func (e *authExtension) lookup(token string) *identity.Identity {
	digest := sha256.Sum256([]byte(token))
	var found *identity.Identity
	for i := range e.tokens {
		if subtle.ConstantTimeCompare(digest[:], e.tokens[i].digest[:]) == 1 && found == nil {
			found = e.tokens[i].id
		}
	}
	return found
}

// credential reads the header, with or without a "Bearer " prefix. HTTP header keys arrive
// canonicalised and gRPC metadata keys lowercase, so the match ignores case.
func credential(sources map[string][]string, header string) (string, bool) {
	for k, v := range sources {
		if strings.EqualFold(k, header) && len(v) > 0 && v[0] != "" {
			token := v[0]
			if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
				token = strings.TrimSpace(token[7:])
			}
			return token, token != ""
		}
	}
	return "", false
}

// fromClaims reads only the configured attributes, validates every tenant and refuses "*":
// a wildcard is a decision of the collector's operator, not of a token issuer.
func (e *authExtension) fromClaims(auth client.AuthData) (*identity.Identity, error) {
	if auth == nil {
		return nil, errors.New("authenticator returned no auth data")
	}
	c := e.cfg.Claims.Get()
	tenants, err := identity.TenantsFromClaim(auth.GetAttribute(c.TenantsAttribute))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.TenantsAttribute, err)
	}
	id := &identity.Identity{Tenants: tenants}
	id.Subject, _ = auth.GetAttribute(firstNonEmpty(c.SubjectAttribute, "subject")).(string)
	id.Email, _ = auth.GetAttribute(firstNonEmpty(c.EmailAttribute, "email")).(string)
	return id, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// GetHTTPHandler wraps a server's handler with the admission budget. confighttp runs
// middlewares after authentication and before the body is read, so an unauthenticated or
// refused request is never buffered.
func (e *authExtension) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	retryAfter := strconv.Itoa(int((e.cfg.Admission.RetryAfter + time.Second - 1) / time.Second))
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reserved := r.ContentLength
			if reserved < 0 {
				reserved = e.cfg.Admission.UnknownLengthBytes
			}
			if reserved > e.budget.Limit() {
				writeJSONError(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("request body of %d bytes exceeds the admission budget of %d bytes (max_in_flight_bytes)", reserved, e.budget.Limit()))
				return
			}
			// Large bodies share three quarters of the budget, so that a flood of them leaves
			// room for the small requests ordinary senders make.
			ceiling := e.budget.Limit()
			if reserved > smallRequestBytes {
				ceiling = e.budget.Limit() / 4 * 3
			}
			if !e.budget.TryAcquireWithin(reserved, ceiling) {
				e.refuse(w, r, retryAfter)
				return
			}
			defer func() { e.budget.Release(reserved) }()
			e.telemetry.AuditAdmissionBytesUsed.Record(r.Context(), e.budget.InUse())

			if counted := e.countingFor(r); counted != "" {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
						writeJSONError(w, http.StatusRequestEntityTooLarge, "", "request body exceeds max_request_body_size")
						return
					}
					writeJSONError(w, http.StatusBadRequest, "", "request body could not be read")
					return
				}
				// A compressed body grows when read: reserve the difference too.
				if extra := int64(len(body)) - reserved; extra > 0 {
					if !e.budget.TryAcquire(extra) {
						e.refuse(w, r, retryAfter)
						return
					}
					reserved += extra
				}
				if msg := e.overLimit(counted, body); msg != "" {
					writeJSONError(w, http.StatusRequestEntityTooLarge, "", msg)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			next.ServeHTTP(w, r)
		}), nil
	}, nil
}

func (e *authExtension) refuse(w http.ResponseWriter, r *http.Request, retryAfter string) {
	e.telemetry.AuditAdmissionRefused.Add(r.Context(), 1)
	writeJSONError(w, http.StatusServiceUnavailable, retryAfter, "too many request bytes in flight: retry later")
}

// countingFor tells which count applies to the request's body: "protobuf", "json" or none.
func (e *authExtension) countingFor(r *http.Request) string {
	if r.Method != http.MethodPost {
		return ""
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	switch strings.TrimSpace(strings.ToLower(ct)) {
	case "application/x-protobuf":
		if e.cfg.Admission.MaxRecordsPerRequest > 0 {
			return "protobuf"
		}
	case "application/json", "application/x-ndjson":
		if e.cfg.Admission.MaxJSONNodesPerRequest > 0 {
			return "json"
		}
	}
	return ""
}

func (e *authExtension) overLimit(kind string, body []byte) string {
	a := &e.cfg.Admission
	switch kind {
	case "protobuf":
		// A malformed body is left to the receiver, which answers 400 in its own words.
		if n, err := inflight.CountOTLPItems(body, a.MaxRecordsPerRequest); err == nil && n > a.MaxRecordsPerRequest {
			return fmt.Sprintf("request holds more than %d records (max_records_per_request)", a.MaxRecordsPerRequest)
		}
	case "json":
		if inflight.CountJSONNodes(body, a.MaxJSONNodesPerRequest) > a.MaxJSONNodesPerRequest {
			return fmt.Sprintf("request holds more than %d JSON objects and arrays (max_json_nodes_per_request)", a.MaxJSONNodesPerRequest)
		}
	}
	return ""
}

// GetGRPCServerOptions adds nothing: gRPC messages are bounded per message by
// max_recv_msg_size_mib and per connection by max_concurrent_streams.
func (e *authExtension) GetGRPCServerOptions(context.Context) ([]grpc.ServerOption, error) {
	return nil, nil
}

func writeJSONError(w http.ResponseWriter, code int, retryAfter, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	// Tell Go's server not to read the unread body for keep-alive: the connection closes.
	h.Set("Connection", "close")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, "{\"error\":%q}\n", msg)
}
