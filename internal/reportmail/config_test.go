package reportmail

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConfigValidate(t *testing.T) {
	valid := Config{Endpoint: "smtp.example.com:587", From: "Audit <audit@example.com>", Username: "u", Password: "p"}
	assert.NoError(t, valid.Validate(), "starttls is the default")

	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no endpoint", func(c *Config) { c.Endpoint = "" }, "endpoint: must be set"},
		{"no port", func(c *Config) { c.Endpoint = "smtp.example.com" }, "endpoint:"},
		{"bad port", func(c *Config) { c.Endpoint = "smtp.example.com:99999" }, "endpoint: port"},
		{"unknown tls", func(c *Config) { c.TLS = "ssl" }, `tls: "ssl" is not one of`},
		{"plaintext without opt-out", func(c *Config) { c.TLS = TLSNone }, "allow_plaintext"},
		{"plaintext with ca", func(c *Config) { c.TLS, c.AllowPlaintext, c.CAFile = TLSNone, true, "/ca.pem" }, "ca_file"},
		{"password without user", func(c *Config) { c.Username = "" }, "password:"},
		{"no from", func(c *Config) { c.From = "" }, "from: must be set"},
		{"bad from", func(c *Config) { c.From = "not an address" }, "from:"},
		{"from injection", func(c *Config) { c.From = "a@example.com\r\nBcc: x@evil.example" }, "from:"},
		{"username injection", func(c *Config) { c.Username = "u\nx" }, "username:"},
		{"negative timeout", func(c *Config) { c.Timeout = -1 }, "timeout:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.edit(&c)
			assert.ErrorContains(t, c.Validate(), tt.want)
		})
	}
	plain := valid
	plain.TLS, plain.AllowPlaintext = TLSNone, true
	assert.NoError(t, plain.Validate())
	implicit := valid
	implicit.TLS = TLSImplicit
	assert.NoError(t, implicit.Validate())
}
