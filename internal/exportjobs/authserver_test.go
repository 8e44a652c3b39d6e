package exportjobs

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-audit/otelcol-audit/internal/identity"
)

// sharedTokens stands in for the audit_auth extension: one token, one identity.
type sharedTokens struct {
	component.StartFunc
	component.ShutdownFunc
}

func (sharedTokens) Authenticate(ctx context.Context, h map[string][]string) (context.Context, error) {
	if v := h["Authorization"]; len(v) == 1 && v[0] == "Bearer shared-token-0123456789" {
		return identity.NewContext(ctx, &identity.Identity{Subject: "acme-admin", Tenants: []string{"acme"}, Email: "admin@acme.example"}), nil
	}
	return ctx, errors.New("unauthenticated")
}

func TestIdentifyThroughSharedAuthenticator(t *testing.T) {
	authID := component.MustNewID("audit_auth")
	a, err := newAuthenticator(AuthConfig{Authenticator: &authID})
	require.NoError(t, err)
	e := &Engine{cfg: Config{Auth: AuthConfig{Authenticator: &authID}}, auth: a}
	require.NoError(t, e.UseAuthenticator(map[component.ID]component.Component{authID: sharedTokens{}}))

	req := httptest.NewRequest("GET", "/api/v1/exports", nil)
	req.Header.Set("Authorization", "Bearer shared-token-0123456789")
	id, err := a.identify(req)
	require.NoError(t, err)
	assert.Equal(t, "token:acme-admin", id.Name)
	assert.True(t, id.Allows("acme"))
	assert.False(t, id.Allows("globex"))
	assert.Equal(t, "admin@acme.example", id.Email)

	// A browser following a dashboard link sends the token as the Basic password.
	req = httptest.NewRequest("GET", "/api/v1/exports/new", nil)
	req.SetBasicAuth("admin", "shared-token-0123456789")
	_, err = a.identify(req)
	require.NoError(t, err)

	req = httptest.NewRequest("GET", "/api/v1/exports", nil)
	req.Header.Set("Authorization", "Bearer wrong-token-0123456789")
	_, err = a.identify(req)
	assert.ErrorIs(t, err, errUnauthenticated)

	missing := component.MustNewID("nope")
	e.cfg.Auth.Authenticator = &missing
	assert.ErrorContains(t, e.UseAuthenticator(nil), "auth::authenticator")
}
