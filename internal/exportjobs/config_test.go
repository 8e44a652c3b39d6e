package exportjobs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.applyDefaults()
	require.NoError(t, c.Validate())
	assert.Equal(t, RateConfig{Burst: 20, Interval: 3 * time.Minute}, c.NotifyRate)
	assert.Equal(t, RateConfig{Burst: 10, Interval: 30 * time.Second}, c.RequestRate)
	assert.Equal(t, 2, c.SizeChecksPerIdentity)
	assert.Empty(t, c.NotifyDomains, "only the requester's own address by default")
}

func TestConfigValidateNamesKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		key    string
	}{
		{"domain with a space", func(c *Config) { c.NotifyDomains = []string{"acme.test", "bad domain"} }, "notify_domains::1"},
		{"address instead of domain", func(c *Config) { c.NotifyDomains = []string{"admin@acme.test"} }, "notify_domains::0"},
		{"wildcard domain", func(c *Config) { c.NotifyDomains = []string{"*.acme.test"} }, "notify_domains::0"},
		{"empty domain", func(c *Config) { c.NotifyDomains = []string{""} }, "notify_domains::0"},
		{"negative notify burst", func(c *Config) { c.NotifyRate.Burst = -1 }, "notify_rate::burst"},
		{"negative notify interval", func(c *Config) { c.NotifyRate.Interval = -time.Second }, "notify_rate::interval"},
		{"negative request burst", func(c *Config) { c.RequestRate.Burst = -1 }, "request_rate::burst"},
		{"negative request interval", func(c *Config) { c.RequestRate.Interval = -time.Second }, "request_rate::interval"},
		{"negative size checks", func(c *Config) { c.SizeChecksPerIdentity = -1 }, "size_checks_per_identity"},
		{"public_url with credentials", func(c *Config) { c.PublicURL = "https://user:s3cret@audit.example.com" }, "public_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			tc.mutate(&c)
			err := c.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.key+":")
			assert.NotContains(t, err.Error(), "s3cret", "the error is logged: no credentials")
		})
	}
	ok := Config{NotifyDomains: []string{"acme.test", "Partner-1.example.co.uk", "localhost"}}
	assert.NoError(t, ok.Validate())
}
