package auditwebhookreceiver

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/attribute"
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
