package reportmail

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
)

// TLS modes of Config.TLS.
const (
	// TLSImplicit connects with TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit = "implicit"
	// TLSStartTLS upgrades the connection with STARTTLS and refuses to go on without it
	// (go-mail's mandatory policy), usually port 587.
	TLSStartTLS = "starttls"
	// TLSNone sends in clear text; it needs AllowPlaintext.
	TLSNone = "none"
)

// DefaultTimeout bounds one delivery when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config is an SMTP submission endpoint. Its mapstructure keys are the YAML keys the
// exporter documents under its smtp section.
type Config struct {
	// Endpoint is host:port of the submission server.
	Endpoint string `mapstructure:"endpoint"`
	// TLS is implicit, starttls (the default when empty) or none.
	TLS string `mapstructure:"tls"`
	// InsecureSkipVerify turns off certificate verification; for test servers only.
	InsecureSkipVerify bool `mapstructure:"insecure_skip_verify"`
	// CAFile is a PEM bundle to verify the server with instead of the system roots.
	CAFile string `mapstructure:"ca_file"`
	// Username enables SMTP AUTH (the strongest mechanism the server offers over TLS).
	Username string `mapstructure:"username"`
	// Password is the SMTP AUTH password.
	Password configopaque.String `mapstructure:"password"`
	// From is the sender address, optionally with a display name.
	From string `mapstructure:"from"`
	// Timeout bounds one delivery, connection included (default 30s).
	Timeout time.Duration `mapstructure:"timeout"`
	// AllowPlaintext must be true for tls: none, so that clear text is never a default or a typo.
	AllowPlaintext bool `mapstructure:"allow_plaintext"`
}

// Validate checks the configuration and names the offending key.
func (c Config) Validate() error {
	host, port, err := net.SplitHostPort(c.Endpoint)
	if c.Endpoint == "" {
		return errors.New("endpoint: must be set to host:port")
	}
	if err != nil || host == "" {
		return fmt.Errorf("endpoint: %q is not host:port", c.Endpoint)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("endpoint: port %q is not a number between 1 and 65535", port)
	}
	switch c.tlsMode() {
	case TLSImplicit, TLSStartTLS:
	case TLSNone:
		if !c.AllowPlaintext {
			return errors.New(`tls: "none" sends mail and credentials in clear text; set allow_plaintext: true to allow it`)
		}
		if c.CAFile != "" || c.InsecureSkipVerify {
			return errors.New(`tls: "none" does not use ca_file or insecure_skip_verify`)
		}
	default:
		return fmt.Errorf("tls: %q is not one of implicit, starttls, none", c.TLS)
	}
	if c.Password != "" && c.Username == "" {
		return errors.New("password: is set but username is empty")
	}
	if hasCRLF(c.Username) {
		return errors.New("username: must not contain CR or LF")
	}
	if c.From == "" {
		return errors.New("from: must be set to the sender address")
	}
	if err := checkAddress(c.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout: must not be negative, got %s", c.Timeout)
	}
	return nil
}

func (c Config) tlsMode() string {
	if c.TLS == "" {
		return TLSStartTLS
	}
	return c.TLS
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n") }

func checkAddress(a string) error {
	if hasCRLF(a) {
		return fmt.Errorf("%w: address %q", ErrHeaderInjection, a)
	}
	if _, err := mail.ParseAddress(a); err != nil {
		return fmt.Errorf("address %q: %w", a, err)
	}
	return nil
}
