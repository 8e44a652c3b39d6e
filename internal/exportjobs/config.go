package exportjobs

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config configures the engine. The zero value of a field means its default.
type Config struct {
	// Directory holds exports.db (the job records) and files/ (the rendered exports).
	Directory string `mapstructure:"directory"`
	// Workers is how many exports render at once. Default 2.
	Workers int `mapstructure:"workers"`
	// PerTenant is how many exports of one tenant render at once. Default 1.
	PerTenant int `mapstructure:"per_tenant"`
	// QueueSize is how many exports may wait; past it a request gets 429. Default 100.
	QueueSize int `mapstructure:"queue_size"`
	// TenantQueueSize is how many exports of one tenant may wait. Default 10.
	TenantQueueSize int `mapstructure:"tenant_queue_size"`
	// MaxRows refuses, up front, an export of more events than this. Default 5,000,000.
	MaxRows int `mapstructure:"max_rows"`
	// FileTTL is how long a finished file and its link live. Default 7 days.
	FileTTL time.Duration `mapstructure:"file_ttl"`
	// RecordTTL is how long a finished job stays listed after its file expired. Default 30 days.
	RecordTTL time.Duration `mapstructure:"record_ttl"`
	// CleanupInterval is how often expired files and records are removed. Default 10m.
	CleanupInterval time.Duration `mapstructure:"cleanup_interval"`
	// RetryAfter is the Retry-After of a 429. Default 30s.
	RetryAfter time.Duration `mapstructure:"retry_after"`
	// PublicURL is the externally visible base URL of the server (scheme://host[:port]),
	// used in status URLs and emailed links. Required for email notification.
	PublicURL string `mapstructure:"public_url"`
	// NotifyDomains are the domains whose addresses a request may list in notify, besides
	// the requester's own address (its credential's email), which is always allowed. Empty:
	// only the requester's own address, so that a credential cannot send data elsewhere.
	NotifyDomains []string `mapstructure:"notify_domains"`
	// NotifyRate limits the notification emails one identity may ask for, per recipient.
	// Default: a burst of 20, then one more every 3 minutes.
	NotifyRate RateConfig `mapstructure:"notify_rate"`
	// RequestRate limits the exports one identity may request, refused requests included
	// (a refused request may have cost a full count of the period). Past it a request gets
	// 429. Default: a burst of 10, then one more every 30 seconds.
	RequestRate RateConfig `mapstructure:"request_rate"`
	// SizeChecksPerIdentity is how many requests of one identity may count their period at
	// once (the size check scans the period before a queue slot is taken); past it a
	// request gets 429. Default 2.
	SizeChecksPerIdentity int `mapstructure:"size_checks_per_identity"`
	// Auth maps credentials to tenants.
	Auth AuthConfig `mapstructure:"auth"`

	// SpoolRetention is how long the event source keeps events; a request whose from is
	// older gets 400. Set by the embedding component from its source, not from YAML. Zero: no
	// limit.
	SpoolRetention time.Duration `mapstructure:"-"`
}

// RateConfig is a token bucket: Burst at once, then one more every Interval.
type RateConfig struct {
	// Burst is how many may be used at once.
	Burst int `mapstructure:"burst"`
	// Interval is how often one more becomes available.
	Interval time.Duration `mapstructure:"interval"`
}

func (c *Config) applyDefaults() {
	setDefault(&c.Workers, 2)
	setDefault(&c.PerTenant, 1)
	setDefault(&c.QueueSize, 100)
	setDefault(&c.TenantQueueSize, 10)
	setDefault(&c.MaxRows, 5_000_000)
	setDefault(&c.FileTTL, 7*24*time.Hour)
	setDefault(&c.RecordTTL, 30*24*time.Hour)
	setDefault(&c.CleanupInterval, 10*time.Minute)
	setDefault(&c.RetryAfter, 30*time.Second)
	setDefault(&c.NotifyRate.Burst, 20)
	setDefault(&c.NotifyRate.Interval, 3*time.Minute)
	setDefault(&c.RequestRate.Burst, 10)
	setDefault(&c.RequestRate.Interval, 30*time.Second)
	setDefault(&c.SizeChecksPerIdentity, 2)
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// Validate checks the configuration and names the offending key. An empty directory is
// valid here: the embedding component defaults it, and New refuses it.
func (c *Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"workers", c.Workers}, {"per_tenant", c.PerTenant}, {"queue_size", c.QueueSize}, {"tenant_queue_size", c.TenantQueueSize},
		{"max_rows", c.MaxRows}, {"notify_rate::burst", c.NotifyRate.Burst}, {"request_rate::burst", c.RequestRate.Burst},
		{"size_checks_per_identity", c.SizeChecksPerIdentity},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s: must not be negative", f.name)
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"file_ttl", c.FileTTL}, {"record_ttl", c.RecordTTL}, {"cleanup_interval", c.CleanupInterval}, {"retry_after", c.RetryAfter},
		{"notify_rate::interval", c.NotifyRate.Interval}, {"request_rate::interval", c.RequestRate.Interval},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s: must not be negative", f.name)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("public_url: %q must be scheme://host[:port]", redactCredentials(c.PublicURL))
		}
	}
	for i, d := range c.NotifyDomains {
		if !isDomainName(d) {
			return fmt.Errorf("notify_domains::%d: %q is not a domain name", i, d)
		}
	}
	return c.Auth.validate()
}

// isDomainName accepts host names of letters, digits and hyphens in dot-separated labels
// (RFC 1123), which is what the part of an address after "@" is compared with.
func isDomainName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
