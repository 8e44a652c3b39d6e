package auditauthextension

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditauthextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// testComponent is the extension with one static token and a small admission budget.
var testComponent = testharness.Component{
	Create: func(_ *testing.T, tel component.TelemetrySettings) (component.Component, error) {
		cfg := createDefaultConfig().(*Config)
		cfg.Tokens = []TokenConfig{{Name: "t", Token: "token-0123456789abcdef", Tenants: []string{"acme"}}}
		cfg.Admission.MaxInFlightBytes = 100
		cfg.Admission.UnknownLengthBytes = 100
		set := extensiontest.NewNopSettings(metadata.Type)
		set.TelemetrySettings = tel
		return NewFactory().Create(context.Background(), set, cfg)
	},
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent)
}

func TestMetadata(t *testing.T) {
	testharness.CheckMetadata(t, "metadata.yaml", testharness.Metadata{
		Type:      metadata.Type,
		Stability: map[string]component.StabilityLevel{"extension": metadata.ExtensionStability},
		ScopeName: metadata.ScopeName,
		NewTelemetryBuilder: func(set component.TelemetrySettings) error {
			_, err := metadata.NewTelemetryBuilder(set)
			return err
		},
		Component: &testComponent,
		// A wrong token and a request over the budget record every series.
		Exercise: func(t *testing.T, c component.Component) {
			ext := c.(*authExtension)
			_, err := ext.Authenticate(context.Background(), map[string][]string{"Authorization": {"Bearer wrong-token-0123456789"}})
			require.Error(t, err)
			wrap, err := ext.GetHTTPHandler(context.Background())
			require.NoError(t, err)
			block := make(chan struct{})
			h, err := wrap(context.Background(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
			require.NoError(t, err)
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 90))))
			}()
			for ext.budget.InUse() == 0 {
				// wait for the first request to hold its reservation
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 20))))
			close(block)
			<-done
		},
	})
}
