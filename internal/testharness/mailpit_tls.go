package testharness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// SelfSignedCert writes a fresh self-signed certificate for 127.0.0.1 and localhost, and its
// key, as PEM files in a test temp dir. The certificate is its own CA: pass certFile as the
// client's CA bundle.
func SelfSignedCert(t testing.TB) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "otelcol-audit test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// MailpitTLSMode selects how a TLS Mailpit accepts connections.
type MailpitTLSMode string

const (
	// MailpitRequireSTARTTLS refuses mail until the client has upgraded with STARTTLS.
	MailpitRequireSTARTTLS MailpitTLSMode = "starttls"
	// MailpitImplicitTLS speaks TLS from the first byte (SMTPS).
	MailpitImplicitTLS MailpitTLSMode = "implicit"
)

// StartMailpitTLS starts Mailpit with a fresh self-signed certificate in the given mode and
// returns it with the CA file a client needs to verify it. extraArgs are appended (for
// example --smtp-auth-accept-any).
func StartMailpitTLS(t testing.TB, mode MailpitTLSMode, extraArgs ...string) (m *Mailpit, caFile string) {
	t.Helper()
	certFile, keyFile := SelfSignedCert(t)
	args := []string{"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile}
	switch mode {
	case MailpitImplicitTLS:
		args = append(args, "--smtp-require-tls")
	default:
		args = append(args, "--smtp-require-starttls")
	}
	return StartMailpit(t, append(args, extraArgs...)...), certFile
}
