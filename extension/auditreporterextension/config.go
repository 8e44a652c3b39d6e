package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/safedefaults"
	"github.com/otelcol-audit/otelcol-audit/internal/signedlink"
)

// Defaults of a report's optional fields; a zero value in the configuration means "default".
const (
	DefaultAttachMaxSize  int64 = 10 << 20
	DefaultLinkExpiry           = 7 * 24 * time.Hour
	DefaultFileRetention        = 14 * 24 * time.Hour
	DefaultSpoolRetention       = 45 * 24 * time.Hour
	DefaultMaxCatchUp           = 3
	DefaultClaimWait            = 10 * time.Second
	DefaultClaimTTL             = 15 * time.Minute
	DefaultSubject              = `Audit log {{.Report}} for {{.Tenant}}: {{.From.Format "2006-01-02 15:04"}} to {{.To.Format "2006-01-02 15:04 MST"}}`
)

// Config is the audit_reporter extension's configuration.
type Config struct {
	// Directory holds the run ledger (ledger.db), the rendered report files (files/, tmp/),
	// the export jobs (exports/) and, without smtp, the outbox (outbox/). Required.
	Directory string `mapstructure:"directory"`

	// Source is where the events of reports and exports are read from.
	Source SourceConfig `mapstructure:"source"`

	// Reports are the scheduled reports.
	Reports []ReportConfig `mapstructure:"reports"`

	// SMTP is the mail server reports are sent through. Without it, messages and their files
	// are written to Outbox as .eml files.
	SMTP configoptional.Optional[reportmail.Config] `mapstructure:"smtp"`

	// Outbox is the directory messages go to when smtp is not set. Default: <directory>/outbox.
	Outbox string `mapstructure:"outbox"`

	// Links configures the signed download links used for files larger than a report's
	// attach_max_size, and the HTTP server that serves them.
	Links LinksConfig `mapstructure:"links"`

	// Signing configures the Ed25519 keys report manifests are signed with. Without keys,
	// manifests are written unsigned ("signature": null).
	Signing SigningConfig `mapstructure:"signing"`

	// MaxCatchUp is how many missed periods per report and tenant are delivered after a
	// downtime; older ones are skipped. Default 3.
	MaxCatchUp int `mapstructure:"max_catch_up"`

	// ClaimWait is how long, with a source that keeps claims (loki), the reporter waits after
	// claiming a period before it looks at the claims: longer than its own events take to be
	// queryable (the audit_loki batch flush_timeout plus one push). Zero does not wait, which
	// is safe only where the events are queryable at once. Default 10s.
	ClaimWait time.Duration `mapstructure:"claim_wait"`

	// ClaimTTL is how long a claim counts: a reporter that claimed a period and died without
	// delivering it holds the period this long. It must exceed claim_wait plus twice the
	// longest render and send (a pass claims again what it reaches after half the rest), or a
	// second reporter may claim the period while the first one is still sending it. Default 15m.
	ClaimTTL time.Duration `mapstructure:"claim_ttl"`

	// Exports enables the on-demand export API ("Generate log file") under /api/v1/exports on
	// links.server, reading the same source. See docs/openapi/exports.yaml.
	Exports configoptional.Optional[exportjobs.Config] `mapstructure:"exports"`

	// AuditEvents is the id of an audit_events extension. When set, every report delivery
	// and every export request, completion, failure and download is emitted through it as an
	// audit event (category "Audit log"), so that the audit log audits itself.
	AuditEvents *component.ID `mapstructure:"audit_events"`

	// RetryOnFailure is the backoff for retryable delivery failures (SMTP down, 4xx replies)
	// of reports and export notifications. When it gives up, a report run is retried on the
	// next scheduler pass (at least hourly).
	RetryOnFailure configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// SourceConfig selects where events are read from: exactly one of spool and loki. Without
// either, the source is the spool in the extension's directory.
type SourceConfig struct {
	// Spool is the local spool that the audit_report exporter writes to: one process
	// receives, stores and reports.
	Spool configoptional.Optional[SpoolConfig] `mapstructure:"spool"`
	// Loki is Loki's query API, where a fleet of gateways push through audit_loki: this
	// reporter reads what they stored, and asks Loki which periods another reporter
	// already delivered.
	Loki configoptional.Optional[reportsource.LokiConfig] `mapstructure:"loki"`
}

// SpoolConfig configures the durable event store the extension opens and the audit_report
// exporter appends to.
type SpoolConfig struct {
	// Directory holds spool.db. Default: the extension's directory.
	Directory string `mapstructure:"directory"`
	// Retention is how long events are kept. It must cover the longest report window plus
	// max_catch_up periods. Default 45 days.
	Retention time.Duration `mapstructure:"retention"`
}

// LinksConfig configures signed download links.
type LinksConfig struct {
	// Server is the HTTP server for downloads (endpoint, tls, auth, ...). Without it, files
	// are always attached, whatever their size.
	Server configoptional.Optional[confighttp.ServerConfig] `mapstructure:"server"`
	// PublicURL is the base URL recipients reach the server at, e.g.
	// https://reports.example.com. Required with server.
	PublicURL string `mapstructure:"public_url"`
	// Keys are HMAC-SHA256 keys by key id, at least 32 bytes each. Old keys stay listed until the
	// links signed with them expired. Required with server.
	Keys map[string]configopaque.String `mapstructure:"keys"`
	// CurrentKey is the id of the key new links are signed with. Required with server.
	CurrentKey string `mapstructure:"current_key"`
}

// SigningConfig holds the manifest signing keys.
type SigningConfig struct {
	// Keys are Ed25519 private keys by key id: the base64 32-byte seed or 64-byte private
	// key. Old keys stay listed after a rotation: their public halves are still published,
	// so that manifests signed with them keep verifying.
	Keys map[string]configopaque.String `mapstructure:"keys"`
	// CurrentKey is the id of the key new manifests are signed with. Required with keys.
	CurrentKey string `mapstructure:"current_key"`
}

// ReportConfig is one scheduled report.
type ReportConfig struct {
	// Name identifies the report in the ledger, file names, Message-IDs and metrics:
	// letters, digits, "-" and "_". Renaming a report starts a new ledger.
	Name string `mapstructure:"name"`
	// Schedule is a 5-field cron expression or @daily, @weekly, @monthly, @yearly, @hourly.
	Schedule string `mapstructure:"schedule"`
	// Timezone is the IANA zone the schedule and the report dates are in. Default UTC.
	Timezone string `mapstructure:"timezone"`
	// Window is the period a report covers, ending at the fire time. Zero (the default)
	// means the previous schedule period: from the previous fire time to this one.
	Window time.Duration `mapstructure:"window"`
	// Tenants each get their own report and message.
	Tenants []string `mapstructure:"tenants"`
	// Filters narrow the events; empty filters keep every event.
	Filters FilterConfig `mapstructure:"filters"`
	// Formats are the files rendered: csv, xlsx. Default [csv].
	Formats []string `mapstructure:"formats"`
	// Compression of each file: none (default), zip or gzip.
	Compression string `mapstructure:"compression"`
	// Recipients are the addresses the report goes to.
	Recipients []string `mapstructure:"recipients"`
	// Subject is a text/template with .Report, .Tenant, .From and .To (times in the report's
	// zone).
	Subject string `mapstructure:"subject"`
	// AttachMaxSize is the total file size, in bytes, above which the message carries signed
	// links instead of attachments. Default 10 MiB.
	AttachMaxSize int64 `mapstructure:"attach_max_size"`
	// LinkExpiry is how long a download link is valid. Default 7 days.
	LinkExpiry time.Duration `mapstructure:"link_expiry"`
	// FileRetention is how long rendered files are kept, at least link_expiry. Default 14 days.
	FileRetention time.Duration `mapstructure:"file_retention"`
}

// FilterConfig selects events; each non-empty list must contain the event's value (exact
// match, ignoring case, as the export API's filters).
type FilterConfig struct {
	// Authors keeps events whose audit.author is listed.
	Authors []string `mapstructure:"authors"`
	// Categories keeps events whose audit.category is listed.
	Categories []string `mapstructure:"categories"`
	// Summaries keeps events whose audit.summary is listed.
	Summaries []string `mapstructure:"summaries"`
	// Outcome keeps events with this audit.outcome: success, failure or unknown.
	Outcome string `mapstructure:"outcome"`
}

var (
	_ confmap.Validator = (*Config)(nil)

	reportNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	errNoDirectory    = errors.New("directory: must be set")
)

// Validate checks what spans several sections. confmap validates each section itself
// (source::spool, links, every report, exports), so that one bad value gives one error,
// named by its key path ("reports::0: schedule: ...").
func (cfg *Config) Validate() error {
	if cfg.Directory == "" {
		return errNoDirectory
	}
	if cfg.Source.Spool.HasValue() && cfg.Source.Loki.HasValue() {
		return errors.New("source: set one of source::spool and source::loki, not both")
	}
	if cfg.MaxCatchUp < 0 {
		return errors.New("max_catch_up: must not be negative")
	}
	if cfg.ClaimWait < 0 {
		return errors.New("claim_wait: must not be negative")
	}
	if cfg.ClaimTTL <= cfg.ClaimWait {
		return fmt.Errorf("claim_ttl: %s must be longer than claim_wait %s, or a claim expires before it is looked at", cfg.ClaimTTL, cfg.ClaimWait)
	}
	if cfg.Exports.HasValue() {
		if !cfg.Links.Server.HasValue() {
			return errors.New("exports: requires links::server, which serves the export API")
		}
		auth := cfg.Exports.Get().Auth
		exposed := !safedefaults.Loopback(cfg.Links.Server.Get().NetAddr.Endpoint)
		if exposed && auth.Authenticator == nil && len(auth.Tokens) == 0 && auth.TokensFile == "" {
			return fmt.Errorf("exports::auth: the export API has no credentials while links::server::endpoint %q listens beyond loopback: set exports::auth::authenticator", cfg.Links.Server.Get().NetAddr.Endpoint)
		}
	}
	if err := cfg.Signing.validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range cfg.Reports {
		if seen[cfg.Reports[i].Name] {
			return fmt.Errorf("reports::%d::name: duplicate report name %q", i, cfg.Reports[i].Name)
		}
		seen[cfg.Reports[i].Name] = true
	}
	return nil
}

// validate checks the signing keys. It is not a Validate method: its errors name the full
// key path down to the key id ("signing::keys::k1: ..."), which confmap's prefix would not.
func (s *SigningConfig) validate() error {
	if len(s.Keys) == 0 {
		if s.CurrentKey != "" {
			return fmt.Errorf("signing::current_key: %q is not in signing::keys", s.CurrentKey)
		}
		return nil
	}
	ids := make([]string, 0, len(s.Keys))
	for id := range s.Keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if !manifest.ValidKeyID(id) {
			return fmt.Errorf("signing::keys::%s: a key id is 1 to 64 letters, digits, '-', '_' or '.'", id)
		}
		if _, err := manifest.ParsePrivateKey(string(s.Keys[id])); err != nil {
			return fmt.Errorf("signing::keys::%s: %w", id, err)
		}
	}
	if s.CurrentKey == "" {
		return errors.New("signing::current_key: must be set with signing::keys")
	}
	if _, ok := s.Keys[s.CurrentKey]; !ok {
		return fmt.Errorf("signing::current_key: %q is not in signing::keys", s.CurrentKey)
	}
	return nil
}

// signer returns the manifest signer, nil without keys.
func (s *SigningConfig) signer() (*manifest.Signer, error) {
	if len(s.Keys) == 0 {
		return nil, nil
	}
	keys := make(map[string]string, len(s.Keys))
	for id, k := range s.Keys {
		keys[id] = string(k)
	}
	return manifest.NewSigner(keys, s.CurrentKey)
}

// spool is the spool section with its defaults: in the extension's directory, kept 45 days.
func (cfg *Config) spool() SpoolConfig {
	var s SpoolConfig
	if cfg.Source.Spool.HasValue() {
		s = *cfg.Source.Spool.Get()
	}
	s.Directory = cmp.Or(s.Directory, cfg.Directory)
	s.Retention = orDefault(s.Retention, DefaultSpoolRetention)
	return s
}

// Validate checks the spool settings.
func (s *SpoolConfig) Validate() error {
	if s.Retention < 0 {
		return errors.New("retention: must not be negative")
	}
	return nil
}

// Validate checks one report.
func (rc *ReportConfig) Validate() error {
	_, err := compileReport(rc)
	return err
}

// Validate checks the link settings.
func (l *LinksConfig) Validate() error {
	if !l.Server.HasValue() {
		return nil
	}
	u, err := url.Parse(l.PublicURL)
	if l.PublicURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("public_url: must be an absolute http(s) URL without query, got %q", l.PublicURL)
	}
	if _, ok := l.Keys[l.CurrentKey]; len(l.Keys) > 0 && !ok {
		return fmt.Errorf("current_key: %q is not in keys", l.CurrentKey)
	}
	if _, err := signedlink.NewSigner(l.Keys, l.CurrentKey, nil); err != nil {
		return err
	}
	return nil
}

func validateFilters(f *FilterConfig) error {
	switch f.Outcome {
	case "", audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeUnknown:
	default:
		return fmt.Errorf("filters::outcome: %q is not one of success, failure, unknown", f.Outcome)
	}
	return nil
}

// filters is the report's filters as the report engine applies them.
func (f *FilterConfig) filters() reportengine.Filters {
	out := reportengine.Filters{Authors: f.Authors, Categories: f.Categories, Summaries: f.Summaries}
	if f.Outcome != "" {
		out.Outcomes = []string{f.Outcome}
	}
	return out
}

func validateFormats(formats []string) error {
	for i, f := range formats {
		if f != formatCSV && f != formatXLSX {
			return fmt.Errorf("formats::%d: unknown format %q: want csv or xlsx", i, f)
		}
		if slices.Index(formats, f) != i {
			return fmt.Errorf("formats::%d: duplicate format %q", i, f)
		}
	}
	return nil
}

// exportsConfig is the exports section with the defaults it takes from the rest of the
// config: files under <directory>/exports, links at links.public_url, periods within the
// source's retention.
func (cfg *Config) exportsConfig(retention time.Duration) exportjobs.Config {
	exports := *cfg.Exports.Get()
	if exports.Directory == "" {
		exports.Directory = filepath.Join(cfg.Directory, "exports")
	}
	if exports.PublicURL == "" {
		exports.PublicURL = cfg.Links.PublicURL
	}
	exports.SpoolRetention = retention
	return exports
}
