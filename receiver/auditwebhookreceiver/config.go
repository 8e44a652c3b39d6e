package auditwebhookreceiver

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/safedefaults"
)

// Config is the configuration of the audit_webhook receiver.
type Config struct {
	// Server is the HTTP server: endpoint, TLS, auth extension, max_request_body_size and
	// timeouts. It defaults to 127.0.0.1:8088 so that nothing listens beyond loopback unless
	// asked to.
	Server confighttp.ServerConfig `mapstructure:"server"`
	// MaxHeaderBytes caps the size of the request headers.
	MaxHeaderBytes int `mapstructure:"max_header_bytes"`
	// MaxConnections caps the number of simultaneously open connections; further clients wait
	// in the kernel's accept queue. 0 means no limit.
	MaxConnections int `mapstructure:"max_connections"`
	// RetryAfter is the Retry-After value sent with 429 and 503 responses when the pipeline's
	// error carries no delay of its own.
	RetryAfter time.Duration `mapstructure:"retry_after"`
	// ServiceName is the service.name resource attribute of the emitted records.
	ServiceName string `mapstructure:"service_name"`
	// Replay bounds the cache of delivery ids used to accept re-deliveries idempotently.
	Replay ReplayConfig `mapstructure:"replay"`
	// MaxEventsPerRequest caps the events of one request: array elements and NDJSON values,
	// valid or not. A request beyond it is refused with 413 before it is turned into records.
	MaxEventsPerRequest int `mapstructure:"max_events_per_request"`
	// MaxJSONNodesPerRequest caps the JSON objects and arrays of one request body, counted
	// before decoding. It bounds what one event can cost, since a single event may nest
	// any number of tiny objects.
	MaxJSONNodesPerRequest int `mapstructure:"max_json_nodes_per_request"`

	// Generic receives JSON objects, arrays and NDJSON from any sender.
	Generic GenericConfig `mapstructure:"generic"`
	// Okta receives Okta event hooks.
	Okta EndpointConfig `mapstructure:"okta"`
	// Kubernetes receives the API server's audit webhook backend (EventList).
	Kubernetes EndpointConfig `mapstructure:"kubernetes"`
	// CloudTrail receives CloudTrail Records and EventBridge events.
	CloudTrail EndpointConfig `mapstructure:"cloudtrail"`
	// GitHub receives audit-log stream entries and webhook deliveries.
	GitHub GitHubConfig `mapstructure:"github"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ReplayConfig bounds the delivery-id cache.
type ReplayConfig struct {
	// TTL is how long a delivery id is remembered. Standard Webhooks ids are kept at least twice
	// the signature tolerance, since older messages are refused by their timestamp anyway.
	TTL time.Duration `mapstructure:"ttl"`
	// MaxEntries caps the cache; the oldest ids are forgotten first.
	MaxEntries int `mapstructure:"max_entries"`
	// PerTenantMaxEntries caps the entries of one tenant, so that one sender cannot flush
	// another tenant's ids. 0 shares max_entries evenly among the configured tenants.
	PerTenantMaxEntries int `mapstructure:"per_tenant_max_entries"`
}

// Credential is a secret a sender presents, and the tenant its events belong to.
type Credential struct {
	// Secret is the header value (or the signing key, for signatures).
	Secret configopaque.String `mapstructure:"secret"`
	// Tenant overrides the endpoint's tenant for requests that present this credential.
	Tenant string `mapstructure:"tenant"`
}

// EndpointConfig is what every endpoint has.
type EndpointConfig struct {
	// Enabled serves the endpoint.
	Enabled bool `mapstructure:"enabled"`
	// Path is the URL path of the endpoint.
	Path string `mapstructure:"path"`
	// Tenant is the tenant of every event received on this endpoint, unless the credential the
	// sender presented names another one. Empty means the default tenant of the identity the
	// server's auth extension authenticated, else "default".
	Tenant string `mapstructure:"tenant"`
	// CredentialHeader is the request header that carries a shared secret.
	CredentialHeader string `mapstructure:"credential_header"`
	// Credentials are the accepted shared secrets. The header value must equal a secret, or
	// "Bearer " followed by it. Compared in constant time.
	Credentials []Credential `mapstructure:"credentials"`
}

// GenericConfig configures the generic endpoint.
type GenericConfig struct {
	// EndpointConfig holds enabled, path, tenant and the shared secrets.
	EndpointConfig `mapstructure:",squash"`
	// SigningKeys are Standard Webhooks keys ("whsec_" followed by base64). Several keys allow
	// rotation: a signature made with any of them is accepted.
	SigningKeys []Credential `mapstructure:"signing_keys"`
	// Tolerance is how far webhook-timestamp may be from now, either way.
	Tolerance time.Duration `mapstructure:"tolerance"`
	// Source is the normaliser profile the events are marked with.
	Source string `mapstructure:"source"`
	// SourceHeader, when set, names a request header with which a sender may pick another
	// known profile (for instance "keycloak") for its events.
	SourceHeader string `mapstructure:"source_header"`
}

// GitHubConfig configures the github endpoint.
type GitHubConfig struct {
	// EndpointConfig holds enabled, path, tenant and the shared secrets (used by audit-log
	// streams, which authenticate with a header).
	EndpointConfig `mapstructure:",squash"`
	// WebhookSecrets are the secrets of webhooks; X-Hub-Signature-256 must match one of them.
	WebhookSecrets []Credential `mapstructure:"webhook_secrets"`
}

const (
	whsecPrefix = "whsec_"
	// minSigningKeyBytes is the Standard Webhooks minimum for HMAC keys (192 bits).
	minSigningKeyBytes = 24
	// minSecretBytes is the minimum for shared secrets and GitHub webhook secrets: below it a
	// secret can be guessed online.
	minSecretBytes = 16
)

var (
	errNoEndpoint = errors.New("no endpoint is enabled: enable at least one of generic, okta, kubernetes, cloudtrail, github")
	knownSources  = []string{audit.SourceGeneric, audit.SourceOTel, audit.SourceOkta, audit.SourceGitHub, audit.SourceKubernetes, audit.SourceCloudTrail, audit.SourceKeycloak, audit.SourceGCP, audit.SourceAzure}
)

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	if cfg.MaxHeaderBytes < 0 {
		return errors.New("max_header_bytes: must not be negative")
	}
	if cfg.MaxConnections < 0 {
		return errors.New("max_connections: must not be negative")
	}
	if cfg.RetryAfter < time.Second {
		return errors.New("retry_after: must be at least 1s")
	}
	if cfg.ServiceName == "" {
		return errors.New("service_name: must not be empty")
	}
	if cfg.Replay.TTL <= 0 {
		return errors.New("replay::ttl: must be positive")
	}
	if cfg.Replay.MaxEntries <= 0 {
		return errors.New("replay::max_entries: must be positive")
	}
	if cfg.Replay.PerTenantMaxEntries < 0 || cfg.Replay.PerTenantMaxEntries > cfg.Replay.MaxEntries {
		return errors.New("replay::per_tenant_max_entries: must be between 0 and replay::max_entries")
	}
	if cfg.MaxEventsPerRequest <= 0 {
		return errors.New("max_events_per_request: must be positive")
	}
	if cfg.MaxJSONNodesPerRequest <= 0 {
		return errors.New("max_json_nodes_per_request: must be positive")
	}

	paths := map[string]string{}
	anyEnabled := false
	for _, ep := range []struct {
		key string
		cfg *EndpointConfig
	}{
		{"generic", &cfg.Generic.EndpointConfig},
		{"okta", &cfg.Okta},
		{"kubernetes", &cfg.Kubernetes},
		{"cloudtrail", &cfg.CloudTrail},
		{"github", &cfg.GitHub.EndpointConfig},
	} {
		if !ep.cfg.Enabled {
			continue
		}
		anyEnabled = true
		if err := ep.cfg.validate(ep.key); err != nil {
			return err
		}
		if other, dup := paths[ep.cfg.Path]; dup {
			return fmt.Errorf("%s::path: %q is already the path of %s", ep.key, ep.cfg.Path, other)
		}
		paths[ep.cfg.Path] = ep.key
	}
	if !anyEnabled {
		return errNoEndpoint
	}
	if cfg.Generic.Enabled {
		if err := cfg.Generic.validate(); err != nil {
			return err
		}
	}
	if cfg.GitHub.Enabled {
		if err := validateCredentials("github::webhook_secrets", cfg.GitHub.WebhookSecrets, plainSecret); err != nil {
			return err
		}
	}
	return cfg.validateExposure()
}

// validateExposure refuses endpoints that accept anyone while the server listens beyond
// loopback: there, only credentials, signatures or the server's auth extension protect them.
func (cfg *Config) validateExposure() error {
	if cfg.Server.Auth.HasValue() || safedefaults.Loopback(cfg.Server.NetAddr.Endpoint) {
		return nil
	}
	for _, ep := range buildEndpoints(cfg) {
		if ep.open() {
			return fmt.Errorf("%s: accepts unauthenticated requests while server::endpoint %q listens beyond loopback: configure credentials, signing keys or server::auth", ep.kind, cfg.Server.NetAddr.Endpoint)
		}
	}
	return nil
}

func (ep *EndpointConfig) validate(key string) error {
	if err := validatePath(ep.Path); err != nil {
		return fmt.Errorf("%s::path: %w", key, err)
	}
	if ep.Tenant != "" {
		if err := audit.ValidateTenant(ep.Tenant); err != nil {
			return fmt.Errorf("%s::tenant: %w", key, err)
		}
	}
	if len(ep.Credentials) > 0 && strings.TrimSpace(ep.CredentialHeader) == "" {
		return fmt.Errorf("%s::credential_header: must be set when credentials are configured", key)
	}
	return validateCredentials(key+"::credentials", ep.Credentials, plainSecret)
}

func (g *GenericConfig) validate() error {
	if err := validateCredentials("generic::signing_keys", g.SigningKeys, signingKeySecret); err != nil {
		return err
	}
	if g.Tolerance <= 0 {
		return errors.New("generic::tolerance: must be positive")
	}
	if !isKnownSource(g.Source) {
		return fmt.Errorf("generic::source: %q is not one of %s", g.Source, strings.Join(knownSources, ", "))
	}
	return nil
}

// validateCredentials refuses short or undecodable secrets and invalid tenants. Credentials
// without a tenant fall back to the endpoint's tenant.
func validateCredentials(key string, creds []Credential, check func(string) error) error {
	for i, c := range creds {
		if c.Secret == "" {
			return fmt.Errorf("%s::%d::secret: must not be empty", key, i)
		}
		if err := check(string(c.Secret)); err != nil {
			return fmt.Errorf("%s::%d::secret: %w", key, i, err)
		}
		if c.Tenant != "" {
			if err := audit.ValidateTenant(c.Tenant); err != nil {
				return fmt.Errorf("%s::%d::tenant: %w", key, i, err)
			}
		}
	}
	return nil
}

func plainSecret(s string) error {
	if len(s) < minSecretBytes {
		return fmt.Errorf("must be at least %d bytes", minSecretBytes)
	}
	return nil
}

func signingKeySecret(s string) error {
	_, err := decodeSigningKey(s)
	return err
}

// validatePath keeps paths to characters that net/http's ServeMux takes literally, so that a
// path can never be read as a wildcard pattern or make the mux panic.
func validatePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q must start with \"/\"", p)
	}
	for _, c := range p {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/-_.~", c)
		if !ok {
			return fmt.Errorf("%q has a character outside [A-Za-z0-9/-_.~]", p)
		}
	}
	if strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") || strings.HasSuffix(p, "/.") {
		return fmt.Errorf("%q is not a clean path", p)
	}
	return nil
}

func isKnownSource(s string) bool {
	for _, k := range knownSources {
		if s == k {
			return true
		}
	}
	return false
}

// decodeSigningKey turns "whsec_<base64>" into the HMAC key.
func decodeSigningKey(s string) ([]byte, error) {
	if !strings.HasPrefix(s, whsecPrefix) {
		return nil, errors.New("must start with \"whsec_\"")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, whsecPrefix))
	if err != nil {
		return nil, errors.New("must be valid base64 after \"whsec_\"")
	}
	if len(key) < minSigningKeyBytes {
		return nil, fmt.Errorf("must decode to at least %d bytes", minSigningKeyBytes)
	}
	return key, nil
}
