package exportjobs

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"os"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
)

// AllTenants in a token's tenants grants every tenant.
const AllTenants = "*"

// TokenConfig maps one credential to the tenants it may export.
type TokenConfig struct {
	// Token is the secret, sent as "Authorization: Bearer <token>", or as the password of
	// HTTP Basic auth (any user name) so that a browser following a dashboard link can ask
	// for it.
	Token configopaque.String `mapstructure:"token" yaml:"token"`
	// Name identifies the credential in audit events ("token:<name>").
	Name string `mapstructure:"name" yaml:"name"`
	// Tenants the credential may export; "*" is every tenant.
	Tenants []string `mapstructure:"tenants" yaml:"tenants"`
	// Email is notified of exports started from the dashboard link, which carries no
	// recipients. Optional.
	Email string `mapstructure:"email" yaml:"email"`
}

// AuthConfig configures who may export what.
type AuthConfig struct {
	// Authenticator is the id of a server authenticator (normally audit_auth) that checks
	// the bearer token, or the password of HTTP Basic auth, of every API request: the same
	// credentials and tenant bindings as OTLP and the webhooks. Tokens below are then not
	// needed. The link server itself stays unauthenticated, since download links carry their
	// own signature.
	Authenticator *component.ID `mapstructure:"authenticator"`
	// Tokens are static credentials of the export API alone. Prefer authenticator.
	Tokens []TokenConfig `mapstructure:"tokens"`
	// TokensFile is a YAML file with a top-level "tokens" list of the same shape, read at
	// start. Keeps secrets out of the collector configuration.
	TokensFile string `mapstructure:"tokens_file"`
	// TenantsAttribute is the attribute of the identity an auth extension puts in the request
	// context (client.Info.Auth) that lists the tenants the caller may export: a string
	// (comma-separated) or a list. Only this attribute is read. Default "tenants". Every
	// value must be a valid tenant id, and "*" (all tenants) is refused: only a static token
	// can grant every tenant. An identity with a bad value is refused (403).
	TenantsAttribute string `mapstructure:"tenants_attribute"`
	// SubjectAttribute names the caller in audit events and keys its limits. Only this
	// attribute is read; an identity without it is refused (403). Default "subject".
	SubjectAttribute string `mapstructure:"subject_attribute"`
	// EmailAttribute is the caller's own address: notified of dashboard-link exports, and
	// always allowed in notify. Only this attribute is read. Default "email".
	EmailAttribute string `mapstructure:"email_attribute"`
}

// Identity is an authenticated caller.
type Identity struct {
	// Name is the audit author: "token:<name>" or the auth extension's subject.
	Name    string
	Tenants []string
	Email   string
	// fromClaims marks an auth extension's identity, whose subject could otherwise look
	// like a static token's name.
	fromClaims bool
}

// key identifies the caller for its limits and form tokens.
func (id Identity) key() string {
	if id.fromClaims {
		return "claims:" + id.Name
	}
	return id.Name
}

// Allows reports whether the identity may export tenant.
func (id Identity) Allows(tenant string) bool {
	return slices.Contains(id.Tenants, AllTenants) || slices.Contains(id.Tenants, tenant)
}

var (
	errUnauthenticated = errors.New("missing or invalid credential")
	errForbidden       = errors.New("this credential may not export this tenant")
	// errBadClaims refuses an auth extension's identity whose attributes cannot be used; it
	// is answered as errForbidden.
	errBadClaims = errors.New("the identity's attributes do not grant exports")
)

// authenticator resolves requests to identities. Tokens are looked up by their SHA-256, so
// that the comparison time does not depend on how much of a guess is right.
type authenticator struct {
	cfg    AuthConfig
	tokens map[[sha256.Size]byte]Identity
	// server is the resolved AuthConfig.Authenticator, nil without one.
	server extensionauth.Server
}

func newAuthenticator(cfg AuthConfig) (*authenticator, error) {
	a := &authenticator{cfg: cfg, tokens: map[[sha256.Size]byte]Identity{}}
	if a.cfg.TenantsAttribute == "" {
		a.cfg.TenantsAttribute = "tenants"
	}
	if a.cfg.SubjectAttribute == "" {
		a.cfg.SubjectAttribute = "subject"
	}
	if a.cfg.EmailAttribute == "" {
		a.cfg.EmailAttribute = "email"
	}
	tokens := slices.Clone(cfg.Tokens)
	if cfg.TokensFile != "" {
		fromFile, err := readTokensFile(cfg.TokensFile)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, fromFile...)
	}
	for i, t := range tokens {
		if err := validateToken(t); err != nil {
			return nil, fmt.Errorf("auth::tokens::%d: %w", i, err)
		}
		sum := sha256.Sum256([]byte(t.Token))
		if _, dup := a.tokens[sum]; dup {
			return nil, fmt.Errorf("auth::tokens::%d: token is used twice", i)
		}
		a.tokens[sum] = Identity{Name: "token:" + t.Name, Tenants: t.Tenants, Email: t.Email}
	}
	return a, nil
}

func readTokensFile(path string) ([]TokenConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth::tokens_file: %w", err)
	}
	var f struct {
		Tokens []TokenConfig `yaml:"tokens"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("auth::tokens_file: %s: %w", path, err)
	}
	return f.Tokens, nil
}

// validate checks static tokens; Config.Validate calls it, so that the error names
// auth::tokens::<i> once.
func (c AuthConfig) validate() error {
	for i, t := range c.Tokens {
		if err := validateToken(t); err != nil {
			return fmt.Errorf("auth::tokens::%d: %w", i, err)
		}
	}
	return nil
}

func validateToken(t TokenConfig) error {
	if len(t.Token) < 16 {
		return errors.New("token: must be at least 16 characters")
	}
	if t.Name == "" || strings.ContainsAny(t.Name, "\r\n") {
		return errors.New("name: must be set, on one line")
	}
	if len(t.Tenants) == 0 {
		return errors.New("tenants: must list at least one tenant, or \"*\"")
	}
	for _, tenant := range t.Tenants {
		if tenant == AllTenants {
			continue
		}
		if err := audit.ValidateTenant(tenant); err != nil {
			return fmt.Errorf("tenants: %q: %w", tenant, err)
		}
	}
	if t.Email != "" {
		if _, err := mail.ParseAddress(t.Email); err != nil || strings.ContainsAny(t.Email, "\r\n") {
			return fmt.Errorf("email: %q is not an email address", t.Email)
		}
	}
	return nil
}

// identify returns the caller of r: an auth extension's identity (client.Info.Auth) when it
// has the tenants attribute, else a static token.
func (a *authenticator) identify(r *http.Request) (Identity, error) {
	if info := client.FromContext(r.Context()); info.Auth != nil && info.Auth.GetAttribute(a.cfg.TenantsAttribute) != nil {
		return a.fromClaims(info.Auth)
	}
	token := bearerOrBasic(r)
	if token == "" {
		return Identity{}, errUnauthenticated
	}
	if a.server != nil {
		return a.viaServer(r, token)
	}
	id, ok := a.tokens[sha256.Sum256([]byte(token))]
	if !ok {
		return Identity{}, errUnauthenticated
	}
	return id, nil
}

// fromClaims reads only the configured attributes. Every tenant must pass
// audit.ValidateTenant and none may be "*": granting every tenant is the collector
// operator's decision (a static token), never a token issuer's.
func (a *authenticator) fromClaims(auth client.AuthData) (Identity, error) {
	tenants, err := identity.TenantsFromClaim(auth.GetAttribute(a.cfg.TenantsAttribute))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %s: %w", errBadClaims, a.cfg.TenantsAttribute, err)
	}
	name := attrString(auth, a.cfg.SubjectAttribute)
	if name == "" {
		// Audit events need an author, and the limits and form tokens need a key that no
		// other caller shares.
		return Identity{}, fmt.Errorf("%w: %s: missing", errBadClaims, a.cfg.SubjectAttribute)
	}
	email := attrString(auth, a.cfg.EmailAttribute)
	if email != "" && !validEmail(email) {
		email = ""
	}
	return Identity{Name: name, Tenants: slices.Clone(tenants), Email: email, fromClaims: true}, nil
}

// viaServer asks the configured authenticator. An audit_auth identity is taken as it is (it
// validated its tenants, and "*" only for static tokens); any other authenticator's auth data
// goes through fromClaims.
func (a *authenticator) viaServer(r *http.Request, token string) (Identity, error) {
	ctx, err := a.server.Authenticate(r.Context(), map[string][]string{"Authorization": {"Bearer " + token}})
	if err != nil {
		return Identity{}, errUnauthenticated
	}
	if id, ok := identity.FromContext(ctx); ok {
		return Identity{Name: "token:" + id.Subject, Tenants: slices.Clone(id.Tenants), Email: id.Email}, nil
	}
	if auth := client.FromContext(ctx).Auth; auth != nil {
		return a.fromClaims(auth)
	}
	return Identity{}, errUnauthenticated
}

// UseAuthenticator resolves AuthConfig.Authenticator among the host's extensions.
func (e *Engine) UseAuthenticator(extensions map[component.ID]component.Component) error {
	id := e.cfg.Auth.Authenticator
	if id == nil {
		return nil
	}
	ext, ok := extensions[*id]
	if !ok {
		return fmt.Errorf("auth::authenticator: extension %q not found", id)
	}
	srv, ok := ext.(extensionauth.Server)
	if !ok {
		return fmt.Errorf("auth::authenticator: extension %q is not a server authenticator", id)
	}
	e.auth.server = srv
	return nil
}

func bearerOrBasic(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(rest)
	}
	if _, pass, ok := r.BasicAuth(); ok {
		return pass
	}
	return ""
}

func attrString(auth client.AuthData, name string) string {
	if s, ok := auth.GetAttribute(name).(string); ok && s != "" && !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return ""
}
