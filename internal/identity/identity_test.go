package identity

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
)

func TestAllowsAndDefault(t *testing.T) {
	acme := &Identity{Subject: "acme-writer", Tenants: []string{"acme", "acme-eu"}}
	assert.True(t, acme.Allows("acme-eu"))
	assert.False(t, acme.Allows("globex"))
	assert.Equal(t, "acme", acme.Default())

	admin := &Identity{Tenants: []string{AllTenants, "demo"}}
	assert.True(t, admin.Allows("anything"))
	assert.Equal(t, "demo", admin.Default())

	assert.True(t, (&Identity{Internal: true}).Allows("acme"))
	assert.Empty(t, (&Identity{Tenants: []string{AllTenants}}).Default())
}

func TestContextRoundTrip(t *testing.T) {
	_, ok := FromContext(context.Background())
	assert.False(t, ok)

	base := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{"x": {"1"}})})
	ctx := NewContext(base, &Identity{Subject: "s", Tenants: []string{"t"}})
	id, ok := FromContext(ctx)
	require.True(t, ok)
	assert.Equal(t, "s", id.Subject)
	assert.Equal(t, []string{"1"}, client.FromContext(ctx).Metadata.Get("x"), "metadata is kept")
	assert.Equal(t, "t", client.FromContext(ctx).Auth.GetAttribute(AttrTenants))
}
