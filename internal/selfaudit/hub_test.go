package selfaudit

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
)

type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// hub implements both interfaces, as the extension does.
type hub struct {
	component.StartFunc
	component.ShutdownFunc
}

func (hub) Emit(context.Context, plog.Logs) error { return nil }
func (hub) Attach(consumer.Logs) (func(), error)  { return func() {}, nil }

// notHub is an extension that implements neither interface.
type notHub struct {
	component.StartFunc
	component.ShutdownFunc
}

func TestFind(t *testing.T) {
	id := component.MustNewID(ExtensionType)
	other := component.MustNewIDWithName(ExtensionType, "other")
	h := host{id: hub{}, other: notHub{}}

	e, err := Find(h, id)
	require.NoError(t, err)
	assert.NotNil(t, e)
	a, err := FindAttacher(h, id)
	require.NoError(t, err)
	assert.NotNil(t, a)

	_, err = Find(componenttest.NewNopHost(), id)
	require.ErrorIs(t, err, ErrNotFound)
	assert.EqualError(t, err, `extension "audit_events" not found: add it to service::extensions`)
	_, err = FindAttacher(componenttest.NewNopHost(), id)
	require.ErrorIs(t, err, ErrNotFound)

	_, err = Find(h, other)
	require.ErrorIs(t, err, ErrWrongType)
	assert.EqualError(t, err, `extension "audit_events/other" is not an audit_events extension`)
	_, err = FindAttacher(h, other)
	require.ErrorIs(t, err, ErrWrongType)
}
