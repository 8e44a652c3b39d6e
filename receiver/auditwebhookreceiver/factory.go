package auditwebhookreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

const (
	defaultEndpoint         = "127.0.0.1:8088"
	defaultMaxBodySize      = 10 << 20
	defaultTenant           = "default"
	defaultServiceName      = "audit-webhook"
	defaultCredentialHeader = "Authorization"
	// defaultMaxEvents is well above what senders batch (the Kubernetes webhook backend sends
	// at most 400 events per request by default) and bounds the records one request creates.
	defaultMaxEvents = 5000
	// defaultMaxJSONNodes leaves 40 objects or arrays per event at defaultMaxEvents.
	defaultMaxJSONNodes = 200_000
)

// NewFactory returns the factory of the audit_webhook receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultEndpoint
	server.MaxRequestBodySize = defaultMaxBodySize
	server.ReadHeaderTimeout = 10 * time.Second
	server.ReadTimeout = 30 * time.Second
	server.WriteTimeout = 30 * time.Second

	endpoint := func(path string) EndpointConfig {
		return EndpointConfig{
			Enabled:          true,
			Path:             path,
			CredentialHeader: defaultCredentialHeader,
		}
	}
	return &Config{
		Server:         server,
		MaxHeaderBytes: 64 << 10,
		MaxConnections: 256,
		RetryAfter:     5 * time.Second,
		ServiceName:    defaultServiceName,
		Replay:         ReplayConfig{TTL: 10 * time.Minute, MaxEntries: 100_000},

		MaxEventsPerRequest:    defaultMaxEvents,
		MaxJSONNodesPerRequest: defaultMaxJSONNodes,
		Generic: GenericConfig{
			EndpointConfig: endpoint("/webhook/generic"),
			Tolerance:      5 * time.Minute,
			Source:         audit.SourceGeneric,
		},
		Okta:       endpoint("/webhook/okta"),
		Kubernetes: endpoint("/webhook/kubernetes"),
		CloudTrail: endpoint("/webhook/cloudtrail"),
		GitHub:     GitHubConfig{EndpointConfig: endpoint("/webhook/github")},
	}
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(set, cfg.(*Config), next)
}
