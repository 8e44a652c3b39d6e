package reportsource

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

type provider struct {
	component.StartFunc
	component.ShutdownFunc
	s   *spool.Spool
	err error
}

func (p *provider) Spool() (*spool.Spool, error) { return p.s, p.err }

type host struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.ext }

func TestFindSpool(t *testing.T) {
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"), spool.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close() })
	id := component.MustNewID("audit_reporter")
	other := component.MustNewIDWithName("audit_reporter", "loki")
	h := host{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{
		id:    &provider{s: sp},
		other: &provider{err: ErrNotSpool},
		component.MustNewID("nothing"): &struct {
			component.StartFunc
			component.ShutdownFunc
		}{},
	}}

	got, err := FindSpool(h, id)
	require.NoError(t, err)
	assert.Same(t, sp, got)

	_, err = FindSpool(h, other)
	assert.ErrorIs(t, err, ErrNotSpool)
	assert.ErrorContains(t, err, `extension "audit_reporter/loki": reads its events from another source`)

	_, err = FindSpool(h, component.MustNewID("missing"))
	assert.ErrorIs(t, err, ErrNotFound)

	_, err = FindSpool(h, component.MustNewID("nothing"))
	assert.ErrorIs(t, err, ErrNotProvider)
}
