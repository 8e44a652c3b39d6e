package exportjobs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
)

// claims is an auth extension's identity as confighttp puts it in the request context.
type claims map[string]any

func (c claims) GetAttribute(k string) any { return c[k] }
func (c claims) GetAttributeNames() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	return out
}

// asClaims sends a request through the real handler with c in the context, as confighttp
// does after its authenticator accepted the request.
func (env *testEnv) asClaims(t *testing.T, c claims, method, path string, body any) (int, errorBody, []byte) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req = req.WithContext(client.NewContext(req.Context(), client.Info{Auth: c}))
	rec := httptest.NewRecorder()
	env.engine.Handler().ServeHTTP(rec, req)
	var e errorBody
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	return rec.Code, e, rec.Body.Bytes()
}

func TestClaimsIdentity(t *testing.T) {
	env := newEnv(t, t.TempDir(), &fakeSource{}, func(c *Config, _ *Deps) {
		c.Auth.TenantsAttribute = "groups"
		c.Auth.SubjectAttribute = "preferred_username"
		c.Auth.EmailAttribute = "mail"
	})
	list := func(tenant string) string { return "/api/v1/exports?tenant=" + tenant }
	alice := func(groups any) claims {
		return claims{"groups": groups, "preferred_username": "alice", "mail": "alice@acme.test"}
	}

	for _, tc := range []struct {
		name   string
		claims claims
		path   string
		want   int
	}{
		{"list", alice([]any{"acme"}), list("acme"), http.StatusOK},
		{"[]string", alice([]string{"acme", "globex"}), list("globex"), http.StatusOK},
		{"comma-separated string", alice("acme, globex"), list("globex"), http.StatusOK},
		{"tenant not granted", alice([]any{"acme"}), list("globex"), http.StatusForbidden},
		{"wildcard in a list", alice([]any{"acme", "*"}), list("acme"), http.StatusForbidden},
		{"wildcard string", alice("*"), list("globex"), http.StatusForbidden},
		{"invalid tenant", alice([]string{"acme", "a/b"}), list("acme"), http.StatusForbidden},
		{"dot-dot tenant", alice([]any{".."}), list("acme"), http.StatusForbidden},
		{"not strings", alice([]any{"acme", 7}), list("acme"), http.StatusForbidden},
		{"not a list", alice(42), list("acme"), http.StatusForbidden},
		{"empty", alice(""), list("acme"), http.StatusForbidden},
		{"no subject", claims{"groups": []any{"acme"}, "sub": "alice"}, list("acme"), http.StatusForbidden},
		// Only the configured attribute is read: the others do not grant anything, and
		// without a static token the caller is unauthenticated.
		{"default attribute name", claims{"tenants": []any{"acme"}, "preferred_username": "alice"}, list("acme"), http.StatusUnauthorized},
		{"tenant attribute", claims{"tenant": "acme", "preferred_username": "alice"}, list("acme"), http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, b := env.asClaims(t, tc.claims, http.MethodGet, tc.path, nil)
			assert.Equal(t, tc.want, code, string(b))
		})
	}

	// The subject is the audit author, and the address is the caller's own.
	body := acmeBody(from, to)
	body["notify"] = []string{"alice@acme.test"}
	code, e, _ := env.asClaims(t, alice([]any{"acme"}), http.MethodPost, "/api/v1/exports", body)
	require.Equal(t, http.StatusAccepted, code, e.Error)
	views, err := env.engine.List(Identity{Tenants: []string{"acme"}}, "acme", 10)
	require.NoError(t, err)
	require.Len(t, views, 1)
	assert.Equal(t, "alice", views[0].Requester)
	body["notify"] = []string{"bob@acme.test"}
	code, e, _ = env.asClaims(t, alice([]any{"acme"}), http.MethodPost, "/api/v1/exports", body)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "notify", e.Field)

	// A subject that reads like a static token's name does not share its limits.
	a := &authenticator{cfg: AuthConfig{TenantsAttribute: "groups", SubjectAttribute: "preferred_username"}}
	id, err := a.fromClaims(claims{"groups": "acme", "preferred_username": "token:acme-admin"})
	require.NoError(t, err)
	assert.NotEqual(t, "token:acme-admin", id.key())
}

// TestStaticWildcard: "*" still works for a static token.
func TestStaticWildcard(t *testing.T) {
	env := newEnv(t, t.TempDir(), &fakeSource{}, nil)
	resp, _ := env.do(t, http.MethodGet, "/api/v1/exports?tenant=globex", tokenAdmin, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
