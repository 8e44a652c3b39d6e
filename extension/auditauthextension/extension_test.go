package auditauthextension

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-audit/otelcol-audit/extension/auditauthextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
)

func loadTestConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, confmap.Validate(cfg)
}

func TestConfigValidation(t *testing.T) {
	cfg, err := loadTestConfig(t, "")
	require.NoError(t, err)
	assert.Len(t, cfg.Tokens, 2)
	assert.Equal(t, int64(32<<20), cfg.Admission.MaxInFlightBytes)

	for name, want := range map[string]string{
		"short_token": "tokens::0: token: must be at least 16 bytes",
		"bad_tenant":  "tokens::0: tenants::1:",
		"empty":       "tokens: set tokens, tokens_file or claims",
	} {
		_, err := loadTestConfig(t, name)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), want, name)
	}
}

func startExtension(t *testing.T, cfg *Config, host component.Host) *authExtension {
	t.Helper()
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	if host == nil {
		host = componenttest.NewNopHost()
	}
	require.NoError(t, ext.Start(context.Background(), host))
	t.Cleanup(func() { assert.NoError(t, ext.Shutdown(context.Background())) })
	return ext.(*authExtension)
}

func TestAuthenticateStaticTokens(t *testing.T) {
	cfg, err := loadTestConfig(t, "")
	require.NoError(t, err)
	ext := startExtension(t, cfg, nil)

	ctx, err := ext.Authenticate(context.Background(), map[string][]string{"Authorization": {"Bearer acme-token-0123456789abcdef"}})
	require.NoError(t, err)
	id, ok := identity.FromContext(ctx)
	require.True(t, ok)
	assert.Equal(t, "acme-writer", id.Subject)
	assert.Equal(t, "security@acme.example", id.Email)
	assert.True(t, id.Allows("acme"))
	assert.False(t, id.Allows("demo"))

	// gRPC metadata keys are lowercase; a bare token works too.
	ctx, err = ext.Authenticate(context.Background(), map[string][]string{"authorization": {"admin-token-0123456789abcdef"}})
	require.NoError(t, err)
	id, _ = identity.FromContext(ctx)
	assert.True(t, id.Allows("anything"))
	assert.Equal(t, "demo", id.Default())

	for name, headers := range map[string]map[string][]string{
		"missing":  {},
		"mismatch": {"Authorization": {"Bearer acme-token-0123456789abcdeX"}},
		"prefix":   {"Authorization": {"Bearer acme-token"}},
	} {
		_, err := ext.Authenticate(context.Background(), headers)
		assert.ErrorIs(t, err, errUnauthenticated, name)
	}
}

func TestTokensFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	require.NoError(t, os.WriteFile(path, []byte("tokens:\n  - name: file-token\n    token: file-token-0123456789abcdef\n    tenants: [globex]\n"), 0o600))
	cfg := createDefaultConfig().(*Config)
	cfg.TokensFile = path
	ext := startExtension(t, cfg, nil)
	ctx, err := ext.Authenticate(context.Background(), map[string][]string{"Authorization": {"Bearer file-token-0123456789abcdef"}})
	require.NoError(t, err)
	id, _ := identity.FromContext(ctx)
	assert.Equal(t, []string{"globex"}, id.Tenants)

	require.NoError(t, os.WriteFile(path, []byte("tokens:\n  - name: weak\n    token: short\n    tenants: [globex]\n"), 0o600))
	bad, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	err = bad.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tokens::0: token")
}

type claimsAuth map[string]any

func (c claimsAuth) GetAttribute(k string) any { return c[k] }
func (c claimsAuth) GetAttributeNames() []string {
	var out []string
	for k := range c {
		out = append(out, k)
	}
	return out
}

type fakeOIDC struct {
	component.StartFunc
	component.ShutdownFunc
	claims claimsAuth
}

func (f *fakeOIDC) Authenticate(ctx context.Context, _ map[string][]string) (context.Context, error) {
	return client.NewContext(ctx, client.Info{Auth: f.claims}), nil
}

type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }

func TestClaims(t *testing.T) {
	oidcID := component.MustNewID("oidc")
	for name, tc := range map[string]struct {
		claims claimsAuth
		ok     bool
	}{
		"tenant list":        {claimsAuth{"groups": []any{"acme", "acme-eu"}, "subject": "alice"}, true},
		"comma string":       {claimsAuth{"groups": "acme, acme-eu"}, true},
		"wildcard refused":   {claimsAuth{"groups": "*"}, false},
		"invalid tenant":     {claimsAuth{"groups": "acme/../x"}, false},
		"other attribute":    {claimsAuth{"tenant": "acme"}, false},
		"wrong type refused": {claimsAuth{"groups": 42}, false},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Claims = configoptional.Some(ClaimsConfig{Authenticator: oidcID, TenantsAttribute: "groups"})
			ext := startExtension(t, cfg, hostWith{oidcID: &fakeOIDC{claims: tc.claims}})
			ctx, err := ext.Authenticate(context.Background(), map[string][]string{"Authorization": {"Bearer jwt"}})
			if !tc.ok {
				assert.ErrorIs(t, err, errUnauthenticated)
				return
			}
			require.NoError(t, err)
			id, ok := identity.FromContext(ctx)
			require.True(t, ok)
			assert.Equal(t, []string{"acme", "acme-eu"}, id.Tenants)
			assert.False(t, id.Allows("globex"))
		})
	}
}

var _ extensionauth.Server = (*fakeOIDC)(nil)

func TestAdmissionBudget(t *testing.T) {
	cfg, err := loadTestConfig(t, "")
	require.NoError(t, err)
	cfg.Admission.MaxInFlightBytes = 1000
	cfg.Admission.UnknownLengthBytes = 600
	ext := startExtension(t, cfg, nil)

	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	wrap, err := ext.GetHTTPHandler(context.Background())
	require.NoError(t, err)
	h, err := wrap(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	require.NoError(t, err)

	post := func(n int, chunked bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", n)))
		if chunked {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	var wg sync.WaitGroup
	wg.Go(func() { assert.Equal(t, http.StatusNoContent, post(700, false).Code) })
	<-entered
	// 700 held: a chunked request reserves 600 and does not fit; 300 does.
	refused := post(10, true)
	assert.Equal(t, http.StatusServiceUnavailable, refused.Code)
	assert.Equal(t, "1", refused.Header().Get("Retry-After"))
	assert.Contains(t, refused.Body.String(), "retry later")
	wg.Go(func() { assert.Equal(t, http.StatusNoContent, post(300, false).Code) })
	<-entered
	assert.Equal(t, int64(1000), ext.budget.InUse())
	assert.Equal(t, http.StatusRequestEntityTooLarge, post(1001, false).Code, "larger than the budget can never fit")
	close(release)
	wg.Wait()
	assert.Zero(t, ext.budget.InUse(), "every reservation is released")
}

func TestLifecycle(t *testing.T) {
	cfg, err := loadTestConfig(t, "")
	require.NoError(t, err)
	f := NewFactory()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Shutdown(context.Background()), "shutdown without start")
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, ext.Shutdown(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()), "shutdown twice")
}

var _ extension.Factory = NewFactory()

func TestAdmissionCountsRecordsBeforeDecoding(t *testing.T) {
	cfg, err := loadTestConfig(t, "")
	require.NoError(t, err)
	cfg.Admission.MaxRecordsPerRequest = 100
	cfg.Admission.MaxJSONNodesPerRequest = 50
	ext := startExtension(t, cfg, nil)
	wrap, err := ext.GetHTTPHandler(context.Background())
	require.NoError(t, err)
	var seen []byte
	h, err := wrap(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	require.NoError(t, err)
	post := func(ct string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/v1/logs", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	ld := plog.NewLogs()
	records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range 101 {
		records.AppendEmpty()
	}
	over, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	rec := post("application/x-protobuf", over)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Contains(t, rec.Body.String(), "max_records_per_request")

	records.RemoveIf(func(plog.LogRecord) bool { return records.Len() > 100 })
	ok, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, post("application/x-protobuf", ok).Code)
	assert.Equal(t, ok, seen, "the handler reads the same body")

	rec = post("application/json", []byte("["+strings.Repeat("{},", 60)+"{}]"))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Contains(t, rec.Body.String(), "max_json_nodes_per_request")
	assert.Zero(t, ext.budget.InUse())
}
