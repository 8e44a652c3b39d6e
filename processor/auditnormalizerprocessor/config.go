package auditnormalizerprocessor

import (
	"errors"
	"fmt"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// ProfileAuto detects the source profile of each record from its content.
const ProfileAuto = "auto"

// Time formats of GenericConfig.TimeFormat.
const (
	TimeFormatAuto    = "auto"
	TimeFormatRFC3339 = "rfc3339"
	TimeFormatUnixS   = "unix_s"
	TimeFormatUnixMs  = "unix_ms"
	TimeFormatUnixNs  = "unix_ns"
)

// Config is the configuration of the audit_normalizer processor.
type Config struct {
	// Profile pins the source profile for every record: "auto" (the default) detects it per
	// record, or one of otel, okta, github, kubernetes, cloudtrail, keycloak, gcp, azure,
	// generic. A record
	// attribute audit.source naming a known profile takes precedence over both.
	Profile string `mapstructure:"profile"`
	// DefaultTenant is the tenant of events that name none. Default "default".
	DefaultTenant string `mapstructure:"default_tenant"`
	// TrustPayloadTenant lets records without an authenticated identity name their own tenant
	// (resource or record attributes, or the source's tenant field). Without it, such records
	// may name only default_tenant; any other claim goes to the quarantine tenant. A sender
	// authenticated by audit_auth (or a webhook endpoint bound to a tenant) may always name
	// the tenants its identity allows, and no others. Default false: trusting payloads is right
	// only for a loopback demo.
	TrustPayloadTenant bool `mapstructure:"trust_payload_tenant"`
	// QuarantineTenant receives events whose tenant id Loki would refuse, or that name a
	// tenant their sender may not write. Default "quarantine".
	QuarantineTenant string `mapstructure:"quarantine_tenant"`
	// TenantResourceAttributes are resource attribute keys read for the tenant, first match
	// wins. Default ["tenant.id", "audit.tenant"].
	TenantResourceAttributes []string `mapstructure:"tenant_resource_attributes"`
	// TenantAttributes are log record attribute keys read for the tenant when no resource
	// attribute names one. Default ["tenant.id", "audit.tenant"].
	TenantAttributes []string `mapstructure:"tenant_attributes"`
	// FallbackCategory is the category of events that neither the catalogue nor the source's
	// profile can place in a category. Default "Other".
	FallbackCategory string `mapstructure:"fallback_category"`
	// Catalogue extends and overrides the built-in event catalogue. Entries are tried in the
	// order exact name, longest prefix, glob (in configuration order), then the built-in
	// catalogue.
	Catalogue []CatalogueEntry `mapstructure:"catalogue"`
	// OTel configures the OpenTelemetry semantic-conventions profile.
	OTel OTelConfig `mapstructure:"otel"`
	// Generic configures the generic profile: where each fact sits in the raw event.
	Generic GenericConfig `mapstructure:"generic"`
	// Metrics bounds the cardinality of the audit event counters.
	Metrics MetricsConfig `mapstructure:"metrics"`
	// MaxEventsPerRecord bounds the records one record becomes when its body is an envelope
	// of events (CloudTrail Records, an EventList, a JSON array of events): an envelope of more
	// events is not split but kept as one unmapped record (envelope_too_large). Default 5000.
	MaxEventsPerRecord int `mapstructure:"max_events_per_record"`
	// MaxSplitEventsPerBatch bounds the records that envelopes of one batch (one request) add
	// together: many small envelopes in one request would otherwise multiply its records.
	// Envelopes past it are normalised whole, with the reason envelope_too_large. Default 20000.
	MaxSplitEventsPerBatch int `mapstructure:"max_split_events_per_batch"`
}

// CatalogueEntry maps event names to a category and a summary. Exactly one of Name, Prefix
// and Glob is set.
type CatalogueEntry struct {
	// Name matches one event name exactly ("user.session.start").
	Name string `mapstructure:"name"`
	// Prefix matches every event name that starts with it ("course.").
	Prefix string `mapstructure:"prefix"`
	// Glob matches event names with wildcards: * any run of characters (dots and slashes
	// included), ? exactly one character ("team.*_changed").
	Glob string `mapstructure:"glob"`
	// Category is the section of the product ("Courses"). Required. It may be one of the
	// built-in set (audit.BuiltinCategories) or a category of the operator's own.
	Category string `mapstructure:"category"`
	// Summary is the kind of change ("Course completed"). Empty derives it from the event name.
	Summary string `mapstructure:"summary"`
	// FailureSummary replaces Summary when the outcome is failure ("Login failed").
	FailureSummary string `mapstructure:"failure_summary"`
	// Outcome is the outcome implied by the event name (success or failure), used when the
	// source states none.
	Outcome string `mapstructure:"outcome"`
}

// OTelConfig configures the OpenTelemetry semantic-conventions profile.
type OTelConfig struct {
	// TargetAttributes are record attribute keys read for the target, first match wins.
	TargetAttributes []string `mapstructure:"target_attributes"`
}

// GenericConfig locates the facts of the audit model in events of a source that has no
// built-in profile. Each field is a dotted path into the raw event ("actor.login"); a key
// that itself contains dots is found too ("user.email"). Empty fields are not read.
type GenericConfig struct {
	// EventName is the path of the event name. Setting it enables auto-detection of the
	// generic profile: a raw event where this path exists is mapped with it.
	EventName string `mapstructure:"event_name"`
	// Author is the path of the author's display name or email.
	Author string `mapstructure:"author"`
	// AuthorID is the path of the author's stable id.
	AuthorID string `mapstructure:"author_id"`
	// Outcome is the path of the outcome, mapped like "success", "FAILURE", "denied".
	Outcome string `mapstructure:"outcome"`
	// Target is the path of the object acted upon.
	Target string `mapstructure:"target"`
	// ClientAddress is the path of the actor's IP address.
	ClientAddress string `mapstructure:"client_address"`
	// UserAgent is the path of the actor's user agent.
	UserAgent string `mapstructure:"user_agent"`
	// Tenant is the path of the tenant id.
	Tenant string `mapstructure:"tenant"`
	// EventID is the path of the source's event id.
	EventID string `mapstructure:"event_id"`
	// Time is the path of the event time.
	Time string `mapstructure:"time"`
	// TimeFormat is auto, rfc3339, unix_s, unix_ms or unix_ns. Default auto. Every value
	// reads RFC 3339 strings and epoch numbers alike: an epoch's unit is told by its
	// magnitude (plausible times in seconds, milliseconds, microseconds and nanoseconds do not
	// overlap), so that a producer that switches units is still read right. The setting is
	// kept to document the producer's format.
	TimeFormat string `mapstructure:"time_format"`
}

// MetricsConfig bounds the cardinality of otelcol_audit_events and otelcol_audit_failed_logins.
type MetricsConfig struct {
	// MaxTenants is the number of distinct tenants counted under their own name; further
	// tenants are counted as "_other". Default 1000.
	MaxTenants int `mapstructure:"max_tenants"`
}

var errNoProfile = errors.New("unknown profile")

// Validate checks the configuration; messages name the YAML key at fault.
func (cfg *Config) Validate() error {
	if cfg.Profile != ProfileAuto {
		if _, ok := profileIndex(cfg.Profile); !ok {
			return fmt.Errorf("profile: %w %q: want auto, %s", errNoProfile, cfg.Profile, profileNamesList())
		}
	}
	if cfg.Profile == audit.SourceGeneric && cfg.Generic.EventName == "" {
		return errors.New("generic::event_name: required when profile is generic")
	}
	if err := audit.ValidateTenant(cfg.DefaultTenant); err != nil {
		return fmt.Errorf("default_tenant: %w", err)
	}
	if err := audit.ValidateTenant(cfg.QuarantineTenant); err != nil {
		return fmt.Errorf("quarantine_tenant: %w", err)
	}
	for i, k := range cfg.TenantResourceAttributes {
		if k == "" {
			return fmt.Errorf("tenant_resource_attributes::%d: empty key", i)
		}
	}
	for i, k := range cfg.TenantAttributes {
		if k == "" {
			return fmt.Errorf("tenant_attributes::%d: empty key", i)
		}
	}
	if cfg.FallbackCategory == "" {
		return errors.New("fallback_category: must not be empty")
	}
	for i, e := range cfg.Catalogue {
		if err := e.validate(); err != nil {
			return fmt.Errorf("catalogue::%d: %w", i, err)
		}
	}
	switch cfg.Generic.TimeFormat {
	case "", TimeFormatAuto, TimeFormatRFC3339, TimeFormatUnixS, TimeFormatUnixMs, TimeFormatUnixNs:
	default:
		return fmt.Errorf("generic::time_format: unknown format %q: want auto, rfc3339, unix_s, unix_ms or unix_ns", cfg.Generic.TimeFormat)
	}
	if cfg.Metrics.MaxTenants <= 0 {
		return fmt.Errorf("metrics::max_tenants: must be positive, got %d", cfg.Metrics.MaxTenants)
	}
	if cfg.MaxSplitEventsPerBatch <= 0 {
		return fmt.Errorf("max_split_events_per_batch: must be positive, got %d", cfg.MaxSplitEventsPerBatch)
	}
	if cfg.MaxEventsPerRecord <= 0 {
		return fmt.Errorf("max_events_per_record: must be positive, got %d", cfg.MaxEventsPerRecord)
	}
	return nil
}

func (e CatalogueEntry) validate() error {
	set := 0
	for _, s := range []string{e.Name, e.Prefix, e.Glob} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		return errors.New("exactly one of name, prefix or glob is required")
	}
	if e.Category == "" {
		return errors.New("category: required")
	}
	switch e.Outcome {
	case "", audit.OutcomeSuccess, audit.OutcomeFailure:
	default:
		return fmt.Errorf("outcome: %q is not success or failure", e.Outcome)
	}
	return nil
}
