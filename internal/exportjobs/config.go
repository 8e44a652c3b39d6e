package exportjobs

import (
	"fmt"
	"net/url"
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
	// NotifyDomains, when set, restricts notify addresses to these domains.
	NotifyDomains []string `mapstructure:"notify_domains"`
	// Auth maps credentials to tenants.
	Auth AuthConfig `mapstructure:"auth"`
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
	}{{"workers", c.Workers}, {"per_tenant", c.PerTenant}, {"queue_size", c.QueueSize}, {"tenant_queue_size", c.TenantQueueSize}, {"max_rows", c.MaxRows}} {
		if f.v < 0 {
			return fmt.Errorf("%s: must not be negative", f.name)
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"file_ttl", c.FileTTL}, {"record_ttl", c.RecordTTL}, {"cleanup_interval", c.CleanupInterval}, {"retry_after", c.RetryAfter}} {
		if f.v < 0 {
			return fmt.Errorf("%s: must not be negative", f.name)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("public_url: %q must be scheme://host[:port]", c.PublicURL)
		}
	}
	return c.Auth.Validate()
}
