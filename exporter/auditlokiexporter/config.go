package auditlokiexporter

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
)

// Tenant modes: where the X-Scope-OrgID of a push comes from.
const (
	// TenantModePerRecord sends each record to the tenant in its audit.tenant attribute.
	TenantModePerRecord = "per_record"
	// TenantModeSingle sends no X-Scope-OrgID: for Loki with auth_enabled: false.
	TenantModeSingle = "single"
	// TenantModeFixed sends every record to tenant.id.
	TenantModeFixed = "fixed"
)

// Line formats: how the log line is rendered.
const (
	LineFormatText   = "text"
	LineFormatJSON   = "json"
	LineFormatLogfmt = "logfmt"
)

// DefaultPushPath is Loki's push path, appended to the endpoint.
const DefaultPushPath = lokipush.DefaultPushPath

// ErrUnboundedLabel is returned when a configured label would carry a high-cardinality field.
var ErrUnboundedLabel = errors.New("field is unbounded and must stay in structured metadata")

// ErrInvalidLabelName is returned for a label name Loki refuses.
var ErrInvalidLabelName = errors.New("invalid label name")

// unboundedAttributes must never become labels: each value is nearly unique, so each would
// create a Loki stream per event.
var unboundedAttributes = map[string]bool{
	audit.AttrAuthor:        true,
	audit.AttrAuthorID:      true,
	audit.AttrEventID:       true,
	audit.AttrClientAddress: true,
	audit.AttrTarget:        true,
	audit.AttrDescription:   true,
	audit.AttrUserAgent:     true,
	audit.AttrOriginal:      true,
	"trace_id":              true,
	"span_id":               true,
	"trace.id":              true,
	"span.id":               true,
}

// Config defines the configuration of the audit_loki exporter.
type Config struct {
	// ClientConfig holds the HTTP client settings: endpoint (Loki's base URL, e.g.
	// http://localhost:3100), TLS, headers, auth extension and timeout.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// QueueConfig is exporterhelper's sending queue; set storage to a file_storage extension for
	// a persistent queue that survives restarts.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// RetryConfig is exporterhelper's retry policy for 429, 5xx and connection errors.
	RetryConfig configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// PushPath is appended to the endpoint. Use /insert/loki/api/v1/push for VictoriaLogs. When
	// the endpoint already ends with /push it is used as it is.
	PushPath string `mapstructure:"push_path"`
	// Tenant selects the X-Scope-OrgID of each push.
	Tenant TenantConfig `mapstructure:"tenant"`
	// Labels configures the Loki stream labels.
	Labels LabelsConfig `mapstructure:"labels"`
	// LineFormat is text (the description), json (all normalised fields) or logfmt.
	LineFormat string `mapstructure:"line_format"`
	// Limits are checked before sending, mirroring Loki's defaults, so that one bad entry goes
	// to the dead-letter file instead of failing its whole push.
	Limits LimitsConfig `mapstructure:"limits"`
	// DeadLetter is the file that receives entries Loki or the validation refused.
	DeadLetter DeadLetterConfig `mapstructure:"dead_letter"`
}

// TenantConfig selects where the tenant of a push comes from.
type TenantConfig struct {
	// Mode is per_record (the audit.tenant attribute), single (no header) or fixed (ID).
	Mode string `mapstructure:"mode"`
	// ID is the tenant of every push in fixed mode.
	ID string `mapstructure:"id"`
}

// LabelsConfig configures the stream labels beyond the defaults service_name, category and
// outcome.
type LabelsConfig struct {
	// Attributes maps a record (or, failing that, resource) attribute key to an extra label
	// name. Unbounded fields such as audit.author are refused.
	Attributes map[string]string `mapstructure:"attributes"`
	// MaxValuesPerLabel caps the distinct values each label may take while the collector runs;
	// further values are replaced by OverflowLabelValue and kept in structured metadata.
	MaxValuesPerLabel int `mapstructure:"max_values_per_label"`
}

// LimitsConfig mirrors Loki's per-tenant validation limits.
type LimitsConfig struct {
	// MaxLineSize is Loki's max_line_size in bytes (256 KiB by default).
	MaxLineSize int `mapstructure:"max_line_size"`
	// MaxLabelNameLength is Loki's max_label_name_length.
	MaxLabelNameLength int `mapstructure:"max_label_name_length"`
	// MaxLabelValueLength is Loki's max_label_value_length.
	MaxLabelValueLength int `mapstructure:"max_label_value_length"`
	// MaxLabelNamesPerSeries is Loki's max_label_names_per_series.
	MaxLabelNamesPerSeries int `mapstructure:"max_label_names_per_series"`
	// MaxStructuredMetadataSize is Loki's max_structured_metadata_size in bytes.
	MaxStructuredMetadataSize int `mapstructure:"max_structured_metadata_size"`
	// MaxFuture is Loki's creation_grace_period: entries newer than now+MaxFuture are refused.
	MaxFuture time.Duration `mapstructure:"max_future"`
	// MaxAge refuses entries older than now-MaxAge (Loki's reject_old_samples_max_age); 0
	// disables the check.
	MaxAge time.Duration `mapstructure:"max_age"`
	// MaxRequestSize bounds the uncompressed size of one push; a larger batch is split.
	MaxRequestSize int `mapstructure:"max_request_size"`
}

// DeadLetterConfig configures the dead-letter file.
type DeadLetterConfig struct {
	// Path of the JSON-lines file. Required: refused entries are never dropped.
	Path string `mapstructure:"path"`
	// MaxSizeMiB rotates the file when it grows beyond this size.
	MaxSizeMiB int `mapstructure:"max_size_mib"`
	// MaxBackups is how many rotated files are kept; 0 keeps all of them.
	MaxBackups int `mapstructure:"max_backups"`
	// Markers pushes, for every dead-lettered entry, a marker event to the entry's tenant
	// ("Event dead-lettered"), so that a report rendered from Loki can state what it misses.
	Markers bool `mapstructure:"markers"`
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration; messages name the YAML key.
func (cfg *Config) Validate() error {
	if cfg.ClientConfig.Endpoint == "" {
		return errors.New("endpoint: must be set, e.g. http://localhost:3100")
	}
	if _, err := url.Parse(cfg.pushURL()); err != nil {
		return fmt.Errorf("endpoint: %w", err)
	}
	if c := cfg.ClientConfig.Compression; c != "" && c != "none" {
		return fmt.Errorf("compression: %q is not supported: the push body is already snappy-compressed", c)
	}
	switch cfg.Tenant.Mode {
	case TenantModePerRecord, TenantModeSingle:
		if cfg.Tenant.ID != "" {
			return fmt.Errorf("tenant::id: only used with tenant::mode %q", TenantModeFixed)
		}
	case TenantModeFixed:
		if err := audit.ValidateTenant(cfg.Tenant.ID); err != nil {
			return fmt.Errorf("tenant::id: %w", err)
		}
	default:
		return fmt.Errorf("tenant::mode: %q is not one of per_record, single, fixed", cfg.Tenant.Mode)
	}
	switch cfg.LineFormat {
	case LineFormatText, LineFormatJSON, LineFormatLogfmt:
	default:
		return fmt.Errorf("line_format: %q is not one of text, json, logfmt", cfg.LineFormat)
	}
	if err := cfg.Labels.validate(cfg.Limits.MaxLabelNamesPerSeries); err != nil {
		return err
	}
	if err := cfg.Limits.validate(); err != nil {
		return err
	}
	if cfg.DeadLetter.Path == "" {
		return errors.New("dead_letter::path: must be set: refused entries are written there")
	}
	if cfg.DeadLetter.MaxSizeMiB <= 0 {
		return errors.New("dead_letter::max_size_mib: must be positive")
	}
	if cfg.DeadLetter.MaxBackups < 0 {
		return errors.New("dead_letter::max_backups: must not be negative")
	}
	return nil
}

func (l *LabelsConfig) validate(maxNames int) error {
	if l.MaxValuesPerLabel <= 0 {
		return errors.New("labels::max_values_per_label: must be positive")
	}
	if 3+len(l.Attributes) > maxNames {
		return fmt.Errorf("labels::attributes: %d labels with the 3 defaults exceed limits::max_label_names_per_series %d", 3+len(l.Attributes), maxNames)
	}
	keys := make([]string, 0, len(l.Attributes))
	for k := range l.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	used := map[string]string{audit.LokiLabelService: "service.name", audit.LokiLabelCategory: audit.AttrCategory, audit.LokiLabelOutcome: audit.AttrOutcome}
	for _, key := range keys {
		name := l.Attributes[key]
		if unboundedAttributes[key] {
			return fmt.Errorf("labels::attributes::%s: %w", key, ErrUnboundedLabel)
		}
		if !validLabelName(name) {
			return fmt.Errorf("labels::attributes::%s: %w %q: use %q", key, ErrInvalidLabelName, name, suggestLabelName(name))
		}
		if strings.HasPrefix(name, "__") {
			return fmt.Errorf("labels::attributes::%s: %w %q: names starting with __ are reserved", key, ErrInvalidLabelName, name)
		}
		if isMetadataKey(name) {
			return fmt.Errorf("labels::attributes::%s: %q is a structured-metadata key: %w", key, name, ErrUnboundedLabel)
		}
		if other, ok := used[name]; ok {
			return fmt.Errorf("labels::attributes::%s: label %q is already written from %s", key, name, other)
		}
		used[name] = key
	}
	return nil
}

func (l *LimitsConfig) validate() error {
	switch {
	case l.MaxLineSize <= 0:
		return errors.New("limits::max_line_size: must be positive")
	case l.MaxLabelNameLength <= 0:
		return errors.New("limits::max_label_name_length: must be positive")
	case l.MaxLabelValueLength <= 0:
		return errors.New("limits::max_label_value_length: must be positive")
	case l.MaxLabelNamesPerSeries < 3:
		return errors.New("limits::max_label_names_per_series: must be at least 3 (the default labels)")
	case l.MaxStructuredMetadataSize <= 0:
		return errors.New("limits::max_structured_metadata_size: must be positive")
	case l.MaxFuture <= 0:
		return errors.New("limits::max_future: must be positive")
	case l.MaxAge < 0:
		return errors.New("limits::max_age: must not be negative (0 disables the check)")
	case l.MaxRequestSize < l.MaxLineSize:
		return errors.New("limits::max_request_size: must be at least limits::max_line_size")
	}
	return nil
}

// pushURL is the full push URL: the endpoint as it is when it already names a push path.
func (cfg *Config) pushURL() string {
	return lokipush.URL(cfg.ClientConfig.Endpoint, cfg.PushPath)
}

// validLabelName matches Loki's [a-zA-Z_][a-zA-Z0-9_]*.
func validLabelName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// suggestLabelName turns "k8s.namespace.name" into "k8s_namespace_name".
func suggestLabelName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			b[i] = '_'
		}
	}
	s := strings.ToLower(string(b))
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "_" + s
	}
	return s
}

func isMetadataKey(name string) bool {
	switch name {
	case audit.LokiMetaAuthor, audit.LokiMetaAuthorID, audit.LokiMetaSummary, audit.LokiMetaEventID,
		audit.LokiMetaSourceIP, audit.LokiMetaTarget, audit.LokiMetaAuditSource, audit.LokiMetaAction,
		audit.LokiMetaUserAgent, audit.LokiMetaTraceID, audit.LokiMetaSpanID, audit.LokiMetaTenant:
		return true
	}
	return false
}

var _ confmap.Unmarshaler = (*Config)(nil)

// Unmarshal decodes the configuration and refuses unknown top-level keys. The squashed
// confighttp.ClientConfig decodes with unused keys ignored, which would otherwise hide a typo
// such as line_fromat.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	known := knownKeys()
	var unknown []string
	for key := range conf.ToStringMap() {
		if !known[key] {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("has invalid keys: %s", strings.Join(unknown, ", "))
	}
	type plain Config
	return conf.Unmarshal((*plain)(cfg))
}

// knownKeys lists the top-level keys: the exporter's own and the HTTP client's.
func knownKeys() map[string]bool {
	known := map[string]bool{}
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0]
		if tag != "" {
			known[tag] = true
		}
	}
	ct := reflect.TypeOf(confighttp.ClientConfig{})
	for i := 0; i < ct.NumField(); i++ {
		tag := strings.Split(ct.Field(i).Tag.Get("mapstructure"), ",")[0]
		if tag != "" && tag != "-" {
			known[tag] = true
		}
	}
	return known
}
