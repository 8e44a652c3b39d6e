package auditwebhookreceiver

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"golang.org/x/net/netutil"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

// Endpoint kinds: the value of the endpoint metric attribute and of audit.webhook.endpoint.
const (
	kindGeneric    = "generic"
	kindOkta       = "okta"
	kindKubernetes = "kubernetes"
	kindCloudTrail = "cloudtrail"
	kindGitHub     = "github"
)

type webhookReceiver struct {
	cfg       *Config
	set       receiver.Settings
	next      consumer.Logs
	obsrecv   *receiverhelper.ObsReport
	telemetry *metadata.TelemetryBuilder
	replay    *replayCache
	endpoints []*endpoint
	now       func() time.Time

	mu       sync.Mutex
	server   *http.Server
	addr     net.Addr
	serveErr sync.WaitGroup
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*webhookReceiver, error) {
	obsrecv, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	r := &webhookReceiver{
		cfg:       cfg,
		set:       set,
		next:      next,
		obsrecv:   obsrecv,
		telemetry: tb,
		now:       time.Now,
	}
	ttl := max(cfg.Replay.TTL, 2*cfg.Generic.Tolerance)
	perTenant := cfg.Replay.PerTenantMaxEntries
	if perTenant == 0 {
		perTenant = cfg.Replay.MaxEntries / max(1, len(configuredTenants(cfg)))
	}
	r.replay = newReplayCache(ttl, cfg.Replay.MaxEntries, perTenant, func() time.Time { return r.now() })
	r.endpoints = buildEndpoints(cfg)
	return r, nil
}

// Start listens and serves the enabled endpoints.
func (r *webhookReceiver) Start(ctx context.Context, host component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.server != nil {
		return nil
	}
	mux := http.NewServeMux()
	var open []string
	for _, ep := range r.endpoints {
		mux.Handle(ep.path, r.handler(ep))
		r.precreateCounters(ctx, ep.kind)
		if ep.open() {
			open = append(open, ep.kind)
		}
	}
	if len(open) > 0 && !r.cfg.Server.Auth.HasValue() {
		r.set.Logger.Warn("endpoints accept unauthenticated requests: configure credentials, signing keys or server.auth",
			zap.Strings("endpoints", open))
	}
	ln, err := r.cfg.Server.ToListener(ctx)
	if err != nil {
		return err
	}
	if r.cfg.MaxConnections > 0 {
		ln = netutil.LimitListener(ln, r.cfg.MaxConnections)
	}
	srv, err := r.cfg.Server.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings, mux,
		confighttp.WithErrorHandler(r.serverError))
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv.MaxHeaderBytes = r.cfg.MaxHeaderBytes
	r.server = srv
	r.addr = ln.Addr()
	r.set.Logger.Info("audit webhook receiver listening", zap.String("endpoint", ln.Addr().String()))
	r.serveErr.Add(1)
	go func() {
		defer r.serveErr.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	return nil
}

// Shutdown stops accepting, waits for in-flight requests within ctx's deadline, and is safe
// without Start and when called twice.
func (r *webhookReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	srv := r.server
	r.server = nil
	r.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		// Deadline passed: cut the remaining connections.
		_ = srv.Close()
	}
	r.serveErr.Wait()
	r.telemetry.Shutdown()
	return err
}

// serverError answers the requests that confighttp refuses before the endpoint handler runs
// (auth extension, undecodable Content-Encoding) in the same JSON shape, without the
// authenticator's detail, and counts them.
func (r *webhookReceiver) serverError(w http.ResponseWriter, req *http.Request, msg string, code int) {
	var ep *endpoint
	for _, e := range r.endpoints {
		if e.path == req.URL.Path {
			ep = e
		}
	}
	if code == http.StatusUnauthorized {
		msg = "unauthorized"
	}
	writeError(w, code, msg, nil)
	if ep == nil {
		return
	}
	if code == http.StatusUnauthorized {
		r.telemetry.AuditWebhookVerificationFailures.Add(req.Context(), 1, metric.WithAttributes(
			attribute.String("endpoint", ep.kind), attribute.String("reason", reasonExtension)))
	}
	r.telemetry.AuditWebhookRequests.Add(req.Context(), 1, metric.WithAttributes(
		attribute.String("endpoint", ep.kind), attribute.String("status", strconv.Itoa(code))))
}

// precreateCounters adds zero to the bounded series, so that dashboards and alerts see them
// before the first event or failure.
func (r *webhookReceiver) precreateCounters(ctx context.Context, kind string) {
	for _, result := range []string{resultAccepted, resultRefused} {
		r.telemetry.AuditWebhookEvents.Add(ctx, 0, metric.WithAttributes(attribute.String("endpoint", kind), attribute.String("result", result)))
	}
	for _, reason := range verificationReasons {
		r.telemetry.AuditWebhookVerificationFailures.Add(ctx, 0, metric.WithAttributes(attribute.String("endpoint", kind), attribute.String("reason", reason)))
	}
}

// endpoint is one enabled endpoint with its secrets decoded.
type endpoint struct {
	kind   string
	path   string
	source string
	// tenant is the configured tenant, "" when the identity or "default" decides.
	tenant       string
	credHeader   string
	credentials  []secret
	signingKeys  []secret
	tolerance    time.Duration
	hubSecrets   []secret
	sourceHeader string
	allowGet     bool
}

// open reports whether the endpoint has no verification of its own.
func (ep *endpoint) open() bool {
	return len(ep.credentials) == 0 && len(ep.signingKeys) == 0 && len(ep.hubSecrets) == 0
}

func buildEndpoints(cfg *Config) []*endpoint {
	var eps []*endpoint
	base := func(kind, source string, c EndpointConfig) *endpoint {
		return &endpoint{
			kind:        kind,
			path:        c.Path,
			source:      source,
			tenant:      c.Tenant,
			credHeader:  c.CredentialHeader,
			credentials: toSecrets(c.Credentials, nil),
		}
	}
	if cfg.Generic.Enabled {
		ep := base(kindGeneric, cfg.Generic.Source, cfg.Generic.EndpointConfig)
		ep.signingKeys = toSecrets(cfg.Generic.SigningKeys, decodeSigningKey)
		ep.tolerance = cfg.Generic.Tolerance
		ep.sourceHeader = cfg.Generic.SourceHeader
		eps = append(eps, ep)
	}
	if cfg.Okta.Enabled {
		ep := base(kindOkta, audit.SourceOkta, cfg.Okta)
		ep.allowGet = true
		eps = append(eps, ep)
	}
	if cfg.Kubernetes.Enabled {
		eps = append(eps, base(kindKubernetes, audit.SourceKubernetes, cfg.Kubernetes))
	}
	if cfg.CloudTrail.Enabled {
		eps = append(eps, base(kindCloudTrail, audit.SourceCloudTrail, cfg.CloudTrail))
	}
	if cfg.GitHub.Enabled {
		ep := base(kindGitHub, audit.SourceGitHub, cfg.GitHub.EndpointConfig)
		ep.hubSecrets = toSecrets(cfg.GitHub.WebhookSecrets, nil)
		eps = append(eps, ep)
	}
	return eps
}

// configuredTenants are the distinct tenants the enabled endpoints and their credentials name;
// an endpoint without a tenant counts as "default".
func configuredTenants(cfg *Config) map[string]struct{} {
	tenants := map[string]struct{}{}
	add := func(ep EndpointConfig, more ...[]Credential) {
		if !ep.Enabled {
			return
		}
		tenants[cmp.Or(ep.Tenant, defaultTenant)] = struct{}{}
		for _, creds := range append(more, ep.Credentials) {
			for _, c := range creds {
				if c.Tenant != "" {
					tenants[c.Tenant] = struct{}{}
				}
			}
		}
	}
	add(cfg.Generic.EndpointConfig, cfg.Generic.SigningKeys)
	add(cfg.Okta)
	add(cfg.Kubernetes)
	add(cfg.CloudTrail)
	add(cfg.GitHub.EndpointConfig, cfg.GitHub.WebhookSecrets)
	return tenants
}
