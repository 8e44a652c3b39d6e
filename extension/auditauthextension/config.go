package auditauthextension

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
)

// MinTokenLength is the shortest accepted token, in bytes: shorter ones can be guessed.
const MinTokenLength = 16

// Config is the audit_auth extension's configuration.
type Config struct {
	// Header carries the credential: "Bearer <token>" or the bare token. Default
	// "authorization".
	Header string `mapstructure:"header"`
	// Tokens are static credentials, each bound to its tenants.
	Tokens []TokenConfig `mapstructure:"tokens"`
	// TokensFile is a YAML file with a top-level "tokens" list of the same shape, read at
	// start, so that tokens can live in a mounted secret instead of the collector config.
	TokensFile string `mapstructure:"tokens_file"`
	// Claims accepts identities verified by another server authenticator (for example oidc),
	// for requests that carry no static token.
	Claims configoptional.Optional[ClaimsConfig] `mapstructure:"claims"`
	// Admission bounds the request bytes in memory across every server that lists this
	// extension under middlewares.
	Admission AdmissionConfig `mapstructure:"admission"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// TokenConfig is one static credential.
type TokenConfig struct {
	// Name is the identity's subject in logs and audit events.
	Name string `mapstructure:"name"`
	// Token is the secret, at least 16 bytes.
	Token configopaque.String `mapstructure:"token"`
	// Tenants the identity may write and read; "*" allows every tenant.
	Tenants []string `mapstructure:"tenants"`
	// DefaultTenant is given to records that name no tenant. Default: the first listed
	// tenant that is not "*".
	DefaultTenant string `mapstructure:"default_tenant"`
	// Email receives the identity's export notifications.
	Email string `mapstructure:"email"`
}

// ClaimsConfig reads an identity from the auth data of another authenticator.
type ClaimsConfig struct {
	// Authenticator is the id of the server authenticator that verifies the credential.
	Authenticator component.ID `mapstructure:"authenticator"`
	// TenantsAttribute is the only auth-data attribute read for tenants: a string (comma
	// separated) or a list of strings. Each value must be a valid tenant id; "*" is refused.
	TenantsAttribute string `mapstructure:"tenants_attribute"`
	// SubjectAttribute names the caller. Default "subject".
	SubjectAttribute string `mapstructure:"subject_attribute"`
	// EmailAttribute is the caller's email address. Default "email".
	EmailAttribute string `mapstructure:"email_attribute"`
}

// AdmissionConfig is the in-flight byte budget.
type AdmissionConfig struct {
	// MaxInFlightBytes is the budget shared by all requests of all servers using this
	// extension as middleware. Size it from the memory limit: the pipeline holds a few copies
	// of each request while it is processed. Default 64 MiB.
	MaxInFlightBytes int64 `mapstructure:"max_in_flight_bytes"`
	// UnknownLengthBytes is reserved for a request without Content-Length (chunked), since its
	// size is only known once it was read. Default 4 MiB.
	UnknownLengthBytes int64 `mapstructure:"unknown_length_bytes"`
	// RetryAfter is sent with the 503 answer when the budget is spent. Default 1s.
	RetryAfter time.Duration `mapstructure:"retry_after"`
	// MaxRecordsPerRequest caps the log records (spans, metrics) of one protobuf OTLP/HTTP
	// request, counted on the wire before the receiver decodes it: an empty record is two
	// bytes on the wire and a few hundred in memory. 0 disables the count. Default 20000.
	MaxRecordsPerRequest int `mapstructure:"max_records_per_request"`
	// MaxJSONNodesPerRequest caps the objects and arrays of one JSON request body, counted
	// before it is decoded; it bounds deep nesting and many tiny objects alike. 0 disables
	// the count. Default 250000.
	MaxJSONNodesPerRequest int `mapstructure:"max_json_nodes_per_request"`
}

func createDefaultConfig() component.Config {
	return &Config{
		Header: "authorization",
		Admission: AdmissionConfig{
			MaxInFlightBytes:       64 << 20,
			UnknownLengthBytes:     4 << 20,
			RetryAfter:             time.Second,
			MaxRecordsPerRequest:   20000,
			MaxJSONNodesPerRequest: 250000,
		},
	}
}

// Validate checks cross-field rules; the token list is checked by TokenConfig.Validate.
func (cfg *Config) Validate() error {
	if strings.TrimSpace(cfg.Header) == "" {
		return errors.New("header: must not be empty")
	}
	if len(cfg.Tokens) == 0 && cfg.TokensFile == "" && !cfg.Claims.HasValue() {
		return errors.New("tokens: set tokens, tokens_file or claims: an authenticator without credentials refuses everyone")
	}
	seen := map[string]bool{}
	for i := range cfg.Tokens {
		if seen[cfg.Tokens[i].Name] {
			return fmt.Errorf("tokens::%d::name: duplicate name %q", i, cfg.Tokens[i].Name)
		}
		seen[cfg.Tokens[i].Name] = true
	}
	return nil
}

// Validate checks one static credential.
func (t *TokenConfig) Validate() error {
	if t.Name == "" {
		return errors.New("name: must not be empty")
	}
	if len(t.Token) < MinTokenLength {
		return fmt.Errorf("token: must be at least %d bytes", MinTokenLength)
	}
	if len(t.Tenants) == 0 {
		return errors.New("tenants: must list at least one tenant, or \"*\"")
	}
	for i, tenant := range t.Tenants {
		if tenant == identity.AllTenants {
			continue
		}
		if err := audit.ValidateTenant(tenant); err != nil {
			return fmt.Errorf("tenants::%d: %w", i, err)
		}
	}
	if t.DefaultTenant != "" {
		id := t.identity()
		if err := audit.ValidateTenant(t.DefaultTenant); err != nil {
			return fmt.Errorf("default_tenant: %w", err)
		}
		if !id.Allows(t.DefaultTenant) {
			return fmt.Errorf("default_tenant: %q is not in tenants", t.DefaultTenant)
		}
	}
	return nil
}

func (t *TokenConfig) identity() *identity.Identity {
	return &identity.Identity{Subject: t.Name, Email: t.Email, Tenants: t.Tenants, DefaultTenant: t.DefaultTenant}
}

// Validate checks the claims settings.
func (c *ClaimsConfig) Validate() error {
	if c.Authenticator.String() == "" || c.Authenticator.Type().String() == "" {
		return errors.New("authenticator: must name a server authenticator extension")
	}
	if c.TenantsAttribute == "" {
		return errors.New("tenants_attribute: must be set")
	}
	return nil
}

// Validate checks the budget.
func (a *AdmissionConfig) Validate() error {
	switch {
	case a.MaxInFlightBytes <= 0:
		return errors.New("max_in_flight_bytes: must be positive")
	case a.UnknownLengthBytes <= 0 || a.UnknownLengthBytes > a.MaxInFlightBytes:
		return errors.New("unknown_length_bytes: must be positive and at most max_in_flight_bytes")
	case a.RetryAfter < time.Second:
		return errors.New("retry_after: must be at least 1s")
	case a.MaxRecordsPerRequest < 0:
		return errors.New("max_records_per_request: must not be negative")
	case a.MaxJSONNodesPerRequest < 0:
		return errors.New("max_json_nodes_per_request: must not be negative")
	}
	return nil
}
