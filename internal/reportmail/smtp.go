package reportmail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strconv"

	"github.com/wneessen/go-mail"
)

type smtpSender struct {
	cfg  Config
	host string
	port int
	tls  *tls.Config
}

// NewSMTP returns a Sender that submits each message over a new SMTP connection with the
// configured TLS policy. It validates cfg and loads CAFile.
func NewSMTP(cfg Config) (Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, portStr, _ := net.SplitHostPort(cfg.Endpoint)
	port, _ := strconv.Atoi(portStr)
	s := &smtpSender{cfg: cfg, host: host, port: port}
	if cfg.tlsMode() != TLSNone {
		s.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // opt-in for test servers
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca_file: %s holds no PEM certificate", cfg.CAFile)
			}
			s.tls.RootCAs = pool
		}
	}
	if s.cfg.Timeout == 0 {
		s.cfg.Timeout = DefaultTimeout
	}
	return s, nil
}

func (s *smtpSender) Send(ctx context.Context, m Message) (bool, error) {
	msg, err := buildMsg(s.cfg.From, &m)
	if err != nil {
		return false, err
	}
	client, err := mail.NewClient(s.host, s.clientOptions()...)
	if err != nil {
		return false, fmt.Errorf("smtp client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return retryable(err), fmt.Errorf("send to %s: %w", s.cfg.Endpoint, err)
	}
	return false, nil
}

func (s *smtpSender) clientOptions() []mail.Option {
	opts := []mail.Option{mail.WithPort(s.port), mail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.tlsMode() {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL(), mail.WithTLSConfig(s.tls))
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(s.tls))
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.cfg.Username != "" {
		auth := mail.SMTPAuthAutoDiscover // never PLAIN or LOGIN without TLS
		if s.cfg.tlsMode() == TLSNone {
			auth = mail.SMTPAuthPlainNoEnc // explicitly allowed by allow_plaintext
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(s.cfg.Username), mail.WithPassword(string(s.cfg.Password)))
	}
	return opts
}

// buildMsg validates m and turns it into a go-mail message.
func buildMsg(from string, m *Message) (*mail.Msg, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	msg := mail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDate()
	msg.Subject(m.Subject)
	// RFC 3834: tells auto-responders not to answer a machine-sent report.
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		msg.AttachFile(a.Path, mail.WithFileName(a.Name), mail.WithFileContentType(mail.ContentType(ct)))
	}
	return msg, nil
}

// retryable follows Alertmanager: a 5xx answer, a refused certificate or a refused login
// will fail again; a 4xx answer, a dropped connection or a timeout may not.
func retryable(err error) bool {
	var sendErr *mail.SendError
	if errors.As(err, &sendErr) {
		// IsTemp is only true for a 4xx answer; with no SMTP code at all, the connection
		// failed mid-transaction, which a retry may get past.
		code := sendErr.ErrorCode()
		return code == 0 || sendErr.IsTemp()
	}
	var protoErr *textproto.Error
	if errors.As(err, &protoErr) {
		return protoErr.Code >= 400 && protoErr.Code < 500
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &certErr) {
		return false
	}
	return true
}
