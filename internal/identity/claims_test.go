package identity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTenantsFromClaim(t *testing.T) {
	for name, v := range map[string]any{
		"comma string": "acme, acme-eu",
		"strings":      []string{"acme", "acme-eu"},
		"list":         []any{"acme", "acme-eu"},
	} {
		got, err := TenantsFromClaim(v)
		require.NoError(t, err, name)
		assert.Equal(t, []string{"acme", "acme-eu"}, got, name)
	}
	for name, v := range map[string]any{
		"wildcard":       "*",
		"invalid tenant": "acme/../x",
		"not strings":    []any{"acme", 42},
		"wrong type":     42,
		"missing":        nil,
		"empty":          " , ",
	} {
		_, err := TenantsFromClaim(v)
		assert.ErrorIs(t, err, ErrBadClaim, name)
	}
}
