package auditwebhookreceiver

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

// tokenAuth is a server authenticator extension that accepts one bearer token.
type tokenAuth struct {
	component.StartFunc
	component.ShutdownFunc
}

func (tokenAuth) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	if v := sources["Authorization"]; len(v) == 1 && v[0] == "Bearer ext-token" {
		return ctx, nil
	}
	return ctx, errors.New("token mismatch for user xyz") // must not reach the sender
}

type hostWithAuth struct {
	ext map[component.ID]component.Component
}

func (h hostWithAuth) GetExtensions() map[component.ID]component.Component { return h.ext }

func TestServerAuthExtension(t *testing.T) {
	authID := component.MustNewID("tokenauth")
	sink := &consumertest.LogsSink{}
	cfg := createDefaultConfig().(*Config)
	cfg.Server.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Server.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	srv := startReceiverWithHost(t, sink, cfg, hostWithAuth{ext: map[component.ID]component.Component{authID: tokenAuth{}}})

	resp := srv.post("/webhook/generic", readTestdata(t, "generic_object.json"), map[string]string{"Authorization": "Bearer nope"})
	require.Equal(t, http.StatusUnauthorized, resp.code)
	assert.JSONEq(t, `{"error":"unauthorized"}`, string(resp.body))
	assert.Equal(t, int64(1), srv.counter("otelcol_audit_webhook_verification_failures", attribute.String("endpoint", "generic"), attribute.String("reason", reasonExtension)))
	assert.Equal(t, int64(1), srv.counter("otelcol_audit_webhook_requests", attribute.String("endpoint", "generic"), attribute.String("status", "401")))

	resp = srv.post("/webhook/generic", readTestdata(t, "generic_object.json"), map[string]string{"Authorization": "Bearer ext-token"})
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	assert.Equal(t, 1, sink.LogRecordCount())
}

// trackingBody records whether the handler read the request body.
type trackingBody struct {
	r    io.Reader
	read bool
}

func (b *trackingBody) Read(p []byte) (int, error) {
	b.read = true
	return b.r.Read(p)
}

func TestCredentialsCheckedBeforeBody(t *testing.T) {
	signingKey := []byte("signing-key-0123456789abcdef")
	cfg := createDefaultConfig().(*Config)
	cfg.Server.MaxRequestBodySize = 8192
	cfg.Okta.Credentials = []Credential{{Secret: "okta-secret-0123456"}}
	cfg.Generic.SigningKeys = []Credential{{Secret: configopaque.String(whsecPrefix + base64.StdEncoding.EncodeToString(signingKey))}}
	cfg.GitHub.WebhookSecrets = []Credential{{Secret: "gh-secret-0123456789"}}
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { assert.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	r, err := newReceiver(set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	ts := &testServer{t: t, r: r, tel: tel}
	for _, ep := range r.endpoints {
		r.precreateCounters(context.Background(), ep.kind)
	}

	okta := readTestdata(t, "okta_event_hook.json")
	member := readTestdata(t, "github_webhook_member.json")
	now := strconv.FormatInt(time.Now().Unix(), 10)
	tests := []struct {
		name          string
		kind          string
		body          []byte
		contentLength int64 // 0: the body's length
		headers       map[string]string
		wantCode      int
		wantReason    string
		wantRead      bool
	}{
		{"missing shared secret", kindOkta, okta, 0, nil, http.StatusUnauthorized, reasonMissing, false},
		{"wrong shared secret", kindOkta, okta, 0, map[string]string{"Authorization": "okta-secret-9999999"}, http.StatusUnauthorized, reasonMismatch, false},
		{"signature-only endpoint without a signature", kindGeneric, okta, 0, nil, http.StatusUnauthorized, reasonMissing, false},
		{"signature header without id and timestamp", kindGeneric, okta, 0, map[string]string{headerWebhookSignature: "v1,abc"}, http.StatusUnauthorized, reasonMissing, false},
		{"unparsable signature", kindGeneric, okta, 0, map[string]string{headerWebhookID: "m", headerWebhookTimestamp: now, headerWebhookSignature: "v1,abc"}, http.StatusUnauthorized, reasonMalformed, false},
		{"github without X-Hub-Signature-256", kindGitHub, member, 0, map[string]string{headerGitHubEvent: "member"}, http.StatusUnauthorized, reasonMissing, false},
		{"github with a sha1 signature", kindGitHub, member, 0, map[string]string{headerGitHubEvent: "member", headerHubSignature256: "sha1=abc"}, http.StatusUnauthorized, reasonMalformed, false},
		{"github signature over another body", kindGitHub, member, 0, map[string]string{headerGitHubEvent: "member", headerHubSignature256: "sha256=" + strings.Repeat("0", 64)}, http.StatusUnauthorized, reasonMismatch, true},
		{"declared length over the limit", kindOkta, okta, 8193, map[string]string{"Authorization": "okta-secret-0123456"}, http.StatusRequestEntityTooLarge, "", false},
		{"declared length over the limit, open endpoint", kindKubernetes, okta, 1 << 30, nil, http.StatusRequestEntityTooLarge, "", false},
		{"right shared secret", kindOkta, okta, 0, map[string]string{"Authorization": "okta-secret-0123456"}, http.StatusOK, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ep *endpoint
			for _, e := range r.endpoints {
				if e.kind == tt.kind {
					ep = e
				}
			}
			require.NotNil(t, ep)
			before := int64(0)
			if tt.wantReason != "" {
				before = ts.counter("otelcol_audit_webhook_verification_failures", attribute.String("endpoint", tt.kind), attribute.String("reason", tt.wantReason))
			}
			body := &trackingBody{r: bytes.NewReader(tt.body)}
			req := httptest.NewRequest(http.MethodPost, ep.path, body)
			req.ContentLength = int64(len(tt.body))
			if tt.contentLength != 0 {
				req.ContentLength = tt.contentLength
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			r.handler(ep).ServeHTTP(rec, req)
			require.Equal(t, tt.wantCode, rec.Code, rec.Body.String())
			assert.Equal(t, tt.wantRead, body.read, "body read")
			if tt.wantReason != "" {
				assert.JSONEq(t, `{"error":"unauthorized"}`, rec.Body.String())
				assert.Equal(t, before+1, ts.counter("otelcol_audit_webhook_verification_failures", attribute.String("endpoint", tt.kind), attribute.String("reason", tt.wantReason)))
			}
			if tt.wantCode == http.StatusRequestEntityTooLarge {
				assert.JSONEq(t, `{"error":"request body exceeds max_request_body_size"}`, rec.Body.String())
			}
		})
	}
}

// identitySink records the identity each batch was consumed under.
type identitySink struct {
	consumertest.LogsSink
	mu  sync.Mutex
	ids []*identity.Identity
}

func (s *identitySink) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	id, _ := identity.FromContext(ctx)
	s.mu.Lock()
	s.ids = append(s.ids, id)
	s.mu.Unlock()
	return s.LogsSink.ConsumeLogs(ctx, ld)
}

func TestIdentityFromEndpointCredential(t *testing.T) {
	sink := &identitySink{}
	srv := startReceiver(t, sink, func(cfg *Config) {
		cfg.Okta.Tenant = "acme"
		cfg.Okta.Credentials = []Credential{{Secret: "okta-secret-0123456"}, {Secret: "okta-secret-globex1", Tenant: "globex"}}
	})
	body := readTestdata(t, "okta_event_hook.json")
	require.Equal(t, http.StatusOK, srv.post("/webhook/okta", body, map[string]string{"Authorization": "okta-secret-0123456"}).code)
	require.Equal(t, http.StatusOK, srv.post("/webhook/okta", body, map[string]string{"Authorization": "okta-secret-globex1"}).code)
	require.Equal(t, http.StatusOK, srv.post("/webhook/generic", readTestdata(t, "generic_object.json"), nil).code)

	assert.Equal(t, []*identity.Identity{
		{Subject: "webhook/okta", Tenants: []string{"acme"}, DefaultTenant: "acme"},
		{Subject: "webhook/okta", Tenants: []string{"globex"}, DefaultTenant: "globex"},
		{Subject: "webhook/generic"},
	}, sink.ids)
	recs := records(&sink.LogsSink)
	require.Len(t, recs, 5)
	assert.Equal(t, "acme", attrStr(recs[0], audit.AttrTenant))
	assert.Equal(t, "globex", attrStr(recs[2], audit.AttrTenant))
	assert.Equal(t, "<absent>", attrStr(recs[4], audit.AttrTenant), "no tenant configured: the normaliser's default_tenant applies")
}

// identityAuth is a server authenticator that authenticates like the audit_auth extension: it
// puts an identity into the context.
type identityAuth struct {
	component.StartFunc
	component.ShutdownFunc
}

func (identityAuth) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	if v := sources["Authorization"]; len(v) == 1 && v[0] == "Bearer acme-token" {
		return identity.NewContext(ctx, &identity.Identity{Subject: "acme-sender", Tenants: []string{"acme", "acme-eu"}}), nil
	}
	return ctx, errors.New("unknown token")
}

func TestIdentityFromAuthExtension(t *testing.T) {
	authID := component.MustNewID("identityauth")
	sink := &identitySink{}
	cfg := createDefaultConfig().(*Config)
	cfg.Server.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Server.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	cfg.Okta.Tenant = "acme-eu"
	cfg.Kubernetes.Tenant = "globex"
	cfg.CloudTrail.CredentialHeader = "X-Api-Key"
	cfg.CloudTrail.Credentials = []Credential{{Secret: "api-key-0123456789", Tenant: "globex"}}
	srv := startReceiverWithHost(t, sink, cfg, hostWithAuth{ext: map[component.ID]component.Component{authID: identityAuth{}}})
	auth := map[string]string{"Authorization": "Bearer acme-token"}

	// No tenant on the endpoint: the identity's default.
	require.Equal(t, http.StatusOK, srv.post("/webhook/generic", readTestdata(t, "generic_object.json"), auth).code)
	// The endpoint's tenant, allowed by the identity.
	require.Equal(t, http.StatusOK, srv.post("/webhook/okta", readTestdata(t, "okta_event_hook.json"), auth).code)
	// Tenants the identity does not allow, from the endpoint or from the credential.
	resp := srv.post("/webhook/kubernetes", readTestdata(t, "k8s_eventlist.json"), auth)
	require.Equal(t, http.StatusForbidden, resp.code)
	assert.JSONEq(t, `{"error":"tenant not allowed for this credential"}`, string(resp.body))
	resp = srv.post("/webhook/cloudtrail", readTestdata(t, "cloudtrail_records.json"), map[string]string{"Authorization": "Bearer acme-token", "X-Api-Key": "api-key-0123456789"})
	require.Equal(t, http.StatusForbidden, resp.code)
	assert.JSONEq(t, `{"error":"tenant not allowed for this credential"}`, string(resp.body))

	recs := records(&sink.LogsSink)
	require.Len(t, recs, 3)
	assert.Equal(t, "acme", attrStr(recs[0], audit.AttrTenant))
	assert.Equal(t, "acme-eu", attrStr(recs[1], audit.AttrTenant))
	require.Len(t, sink.ids, 2)
	for _, id := range sink.ids {
		require.NotNil(t, id)
		assert.Equal(t, "acme-sender", id.Subject, "the authenticated identity is kept")
	}
	assert.Equal(t, int64(2), srv.counter("otelcol_audit_webhook_requests", attribute.String("endpoint", "kubernetes"), attribute.String("status", "403"))+
		srv.counter("otelcol_audit_webhook_requests", attribute.String("endpoint", "cloudtrail"), attribute.String("status", "403")))
}
