package testharness

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
)

// Component creates one instance of a component for CheckLifecycle and CheckMetadata.
type Component struct {
	// Create returns a new instance that reports its own telemetry through tel. It runs
	// once per case; a config that needs a directory should take it from t.TempDir().
	Create func(t *testing.T, tel component.TelemetrySettings) (component.Component, error)
	// Host is passed to Start; nil means componenttest.NewNopHost().
	Host component.Host
	// SingleShutdown, when not empty, is why CheckLifecycle must not call Shutdown a second
	// time on this component.
	SingleShutdown string
}

func (c Component) host() component.Host {
	if c.Host == nil {
		return componenttest.NewNopHost()
	}
	return c.Host
}

// CheckLifecycle checks what the collector expects of every component: Start then Shutdown
// succeed, Shutdown is safe without Start, and Shutdown is safe twice (unless the component
// says why not).
func CheckLifecycle(t *testing.T, c Component) {
	t.Helper()
	newInstance := func(t *testing.T) component.Component {
		t.Helper()
		comp, err := c.Create(t, componenttest.NewNopTelemetrySettings())
		require.NoError(t, err)
		require.NotNil(t, comp)
		return comp
	}
	t.Run("start-shutdown", func(t *testing.T) {
		comp := newInstance(t)
		require.NoError(t, comp.Start(context.Background(), c.host()))
		require.NoError(t, comp.Shutdown(context.Background()))
		c.shutdownAgain(t, comp)
	})
	t.Run("shutdown-without-start", func(t *testing.T) {
		comp := newInstance(t)
		require.NoError(t, comp.Shutdown(context.Background()))
		c.shutdownAgain(t, comp)
	})
}

func (c Component) shutdownAgain(t *testing.T, comp component.Component) {
	t.Helper()
	if c.SingleShutdown != "" {
		t.Logf("second Shutdown not called: %s", c.SingleShutdown)
		return
	}
	require.NoError(t, comp.Shutdown(context.Background()), "second Shutdown")
}
