package auditnormalizerprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		id       component.ID
		expected *Config
	}{
		{
			id:       component.NewID(metadata.Type),
			expected: createDefaultConfig().(*Config),
		},
		{
			id: component.NewIDWithName(metadata.Type, "all"),
			expected: &Config{
				Profile:                  "okta",
				DefaultTenant:            "acme",
				QuarantineTenant:         "held",
				TenantResourceAttributes: []string{"customer.id"},
				TenantAttributes:         []string{"org.id", "tenant.id"},
				FallbackCategory:         "Misc",
				Catalogue: []CatalogueEntry{
					{Name: "course.certified", Category: "Courses", Summary: "Certificate issued"},
					{Prefix: "billing.", Category: "Billing"},
					{Glob: "team.*_changed", Category: "Teams", Summary: "Team changed", FailureSummary: "Team change failed", Outcome: "success"},
				},
				OTel: OTelConfig{TargetAttributes: []string{"course.name"}},
				Generic: GenericConfig{
					EventName:     "event.type",
					Author:        "actor.email",
					AuthorID:      "actor.id",
					Outcome:       "result",
					Target:        "object.name",
					ClientAddress: "request.ip",
					UserAgent:     "request.user_agent",
					Tenant:        "workspace",
					EventID:       "id",
					Time:          "ts",
					TimeFormat:    TimeFormatUnixMs,
				},
				Metrics:            MetricsConfig{MaxTenants: 50},
				MaxEventsPerRecord: 100, MaxSplitEventsPerBatch: 20000,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", tt.id)
			require.NoError(t, err)
			assert.Equal(t, tt.expected, cfg)
		})
	}
}

func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
	}{
		{file: "invalid_typo.yaml", wantErr: "defualt_tenant"},
		{file: "invalid_profile.yaml", wantErr: `profile: unknown profile "splunk"`},
		{file: "invalid_tenant.yaml", wantErr: "quarantine_tenant: tenant id has a character outside"},
		{file: "invalid_catalogue.yaml", wantErr: "catalogue::0: exactly one of name, prefix or glob is required"},
		{file: "invalid_catalogue_category.yaml", wantErr: "catalogue::0: category: required"},
		{file: "invalid_time_format.yaml", wantErr: `generic::time_format: unknown format "iso8601"`},
		{file: "invalid_generic_profile.yaml", wantErr: "generic::event_name: required when profile is generic"},
		{file: "invalid_max_tenants.yaml", wantErr: "metrics::max_tenants: must be positive"},
		{file: "invalid_max_events_per_record.yaml", wantErr: "max_events_per_record: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := testharness.LoadConfig[*Config](t, NewFactory(), filepath.Join("testdata", tt.file), component.NewID(metadata.Type))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestValidateDefaults(t *testing.T) {
	assert.NoError(t, confmap.Validate(createDefaultConfig()))
}
