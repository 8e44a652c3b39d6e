package auditwebhookreceiver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

func TestMetadata(t *testing.T) {
	testharness.CheckMetadata(t, "metadata.yaml", testharness.Metadata{
		Type:      metadata.Type,
		Stability: map[string]component.StabilityLevel{"logs": metadata.LogsStability},
		ScopeName: metadata.ScopeName,
		NewTelemetryBuilder: func(set component.TelemetrySettings) error {
			_, err := metadata.NewTelemetryBuilder(set)
			return err
		},
		Component: &testComponent,
		// Start creates the event and verification series; a request adds a request series.
		Exercise: func(t *testing.T, c component.Component) {
			r := c.(*webhookReceiver)
			r.mu.Lock()
			addr := r.addr.String()
			r.mu.Unlock()
			// No keep-alive: no client connection outlives the test (goleak).
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := client.Post("http://"+addr+"/webhook/generic", "application/json", strings.NewReader(`{}`))
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
		},
	})
}
