package auditnormalizerprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
)

// tenantOf sends one semconv record claiming claimed (resource tenant.id, "" for none) with the
// given identity in the context, and returns the record's tenant and audit.tenant.original.
func tenantOf(t *testing.T, cfg *Config, who *identity.Identity, claimed string) (tenant, original string) {
	t.Helper()
	sink := new(consumertest.LogsSink)
	p := newTestProcessor(t, cfg, sink)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	if claimed != "" {
		rl.Resource().Attributes().PutStr("tenant.id", claimed)
	}
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("user.login")
	lr.Attributes().PutStr("user.email", "mallory@example.com")
	ctx := context.Background()
	if who != nil {
		ctx = identity.NewContext(ctx, who)
	}
	require.NoError(t, p.ConsumeLogs(ctx, ld))
	got := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	if v, ok := got.Get(audit.AttrTenant); ok {
		tenant = v.Str()
	}
	if v, ok := got.Get(audit.AttrTenantOriginal); ok {
		original = v.Str()
	}
	return tenant, original
}

func TestTenantBoundToIdentity(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DefaultTenant = "demo"
	acme := &identity.Identity{Subject: "acme-writer", Tenants: []string{"acme", "acme-eu"}}

	for name, tc := range map[string]struct {
		who              *identity.Identity
		claimed          string
		tenant, original string
	}{
		"identity, no claim: its default":          {acme, "", "acme", ""},
		"identity, allowed claim":                  {acme, "acme-eu", "acme-eu", ""},
		"identity, foreign claim: quarantined":     {acme, "victim", "quarantine", "victim"},
		"wildcard identity, any claim":             {&identity.Identity{Tenants: []string{"*"}, DefaultTenant: "demo"}, "globex", "globex", ""},
		"wildcard identity, no claim":              {&identity.Identity{Tenants: []string{"*"}}, "", "demo", ""},
		"internal events name their tenant":        {&identity.Identity{Internal: true}, "acme", "acme", ""},
		"no identity, untrusted claim":             {nil, "victim", "quarantine", "victim"},
		"no identity, claim of the default":        {nil, "demo", "demo", ""},
		"no identity, no claim":                    {nil, "", "demo", ""},
		"identity, invalid claim is still refused": {acme, "../acme", "quarantine", "../acme"},
	} {
		t.Run(name, func(t *testing.T) {
			tenant, original := tenantOf(t, cfg, tc.who, tc.claimed)
			assert.Equal(t, tc.tenant, tenant)
			assert.Equal(t, tc.original, original)
		})
	}

	trusting := createDefaultConfig().(*Config)
	trusting.TrustPayloadTenant = true
	tenant, original := tenantOf(t, trusting, nil, "globex")
	assert.Equal(t, "globex", tenant, "trust_payload_tenant keeps the claim of an unauthenticated sender")
	assert.Empty(t, original)
	tenant, _ = tenantOf(t, trusting, acme, "victim")
	assert.Equal(t, "quarantine", tenant, "an identity's limits hold even when payload tenants are trusted")
}
