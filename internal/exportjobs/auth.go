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
	"go.opentelemetry.io/collector/config/configopaque"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
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
	// Tokens are static credentials.
	Tokens []TokenConfig `mapstructure:"tokens"`
	// TokensFile is a YAML file with a top-level "tokens" list of the same shape, read at
	// start. Keeps secrets out of the collector configuration.
	TokensFile string `mapstructure:"tokens_file"`
	// TenantsAttribute is the attribute of the identity an auth extension puts in the request
	// context (client.Info.Auth) that lists the tenants the caller may export: a string
	// (comma-separated) or a list. Default "tenants"; "tenant" is read too.
	TenantsAttribute string `mapstructure:"tenants_attribute"`
	// SubjectAttribute names the caller in audit events. Default "subject"; "sub" and
	// "username" are read too.
	SubjectAttribute string `mapstructure:"subject_attribute"`
	// EmailAttribute is the caller's address for dashboard-link exports. Default "email".
	EmailAttribute string `mapstructure:"email_attribute"`
}

// Identity is an authenticated caller.
type Identity struct {
	// Name is the audit author: "token:<name>" or the auth extension's subject.
	Name    string
	Tenants []string
	Email   string
}

// Allows reports whether the identity may export tenant.
func (id Identity) Allows(tenant string) bool {
	return slices.Contains(id.Tenants, AllTenants) || slices.Contains(id.Tenants, tenant)
}

var (
	errUnauthenticated = errors.New("missing or invalid credential")
	errForbidden       = errors.New("this credential may not export this tenant")
)

// authenticator resolves requests to identities. Tokens are looked up by their SHA-256, so
// that the comparison time does not depend on how much of a guess is right.
type authenticator struct {
	cfg    AuthConfig
	tokens map[[sha256.Size]byte]Identity
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
			return nil, fmt.Errorf("auth::tokens[%d]: %w", i, err)
		}
		sum := sha256.Sum256([]byte(t.Token))
		if _, dup := a.tokens[sum]; dup {
			return nil, fmt.Errorf("auth::tokens[%d]: token is used twice", i)
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

// ValidateTokens checks static tokens; config Validate calls it.
func (c AuthConfig) Validate() error {
	for i, t := range c.Tokens {
		if err := validateToken(t); err != nil {
			return fmt.Errorf("auth::tokens[%d]: %w", i, err)
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

// identify returns the caller of r: an auth extension's identity (client.Info.Auth) with a
// tenants attribute first, else a static token.
func (a *authenticator) identify(r *http.Request) (Identity, error) {
	if info := client.FromContext(r.Context()); info.Auth != nil {
		if tenants := a.attrList(info.Auth, a.cfg.TenantsAttribute, "tenants", "tenant"); len(tenants) > 0 {
			name := a.attrString(info.Auth, a.cfg.SubjectAttribute, "subject", "sub", "username")
			if name == "" {
				name = "authenticated"
			}
			return Identity{Name: name, Tenants: tenants, Email: a.attrString(info.Auth, a.cfg.EmailAttribute)}, nil
		}
	}
	token := bearerOrBasic(r)
	if token == "" {
		return Identity{}, errUnauthenticated
	}
	id, ok := a.tokens[sha256.Sum256([]byte(token))]
	if !ok {
		return Identity{}, errUnauthenticated
	}
	return id, nil
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

func (a *authenticator) attrList(auth client.AuthData, names ...string) []string {
	for _, n := range names {
		switch v := auth.GetAttribute(n).(type) {
		case string:
			if l := splitList(v); len(l) > 0 {
				return l
			}
		case []string:
			if len(v) > 0 {
				return v
			}
		case []any:
			var out []string
			for _, x := range v {
				if s, ok := x.(string); ok && s != "" {
					out = append(out, s)
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	return nil
}

func (a *authenticator) attrString(auth client.AuthData, names ...string) string {
	for _, n := range names {
		if s, ok := auth.GetAttribute(n).(string); ok && s != "" && !strings.ContainsAny(s, "\r\n") {
			return s
		}
	}
	return ""
}
