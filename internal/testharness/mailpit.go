package testharness

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// Mailpit is a real SMTP server with an HTTP API to read what it received.
type Mailpit struct {
	*Process
	// SMTPAddr is 127.0.0.1:PORT.
	SMTPAddr string
	// APIURL is http://127.0.0.1:PORT.
	APIURL string
}

// StartMailpit starts the pinned Mailpit on free loopback ports. extraArgs are appended
// (for example --smtp-auth-accept-any, or TLS options).
func StartMailpit(t testing.TB, extraArgs ...string) *Mailpit {
	t.Helper()
	bin := ToolPath(t, "MAILPIT_BIN", "mailpit")
	smtpPort, httpPort := FreePort(t), FreePort(t)
	api := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	args := append([]string{
		"--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort),
		"--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", t.TempDir() + "/mailpit.db",
		"--disable-version-check",
		"--quiet",
	}, extraArgs...)
	p := StartProcess(t, bin, args, api+"/readyz")
	return &Mailpit{Process: p, SMTPAddr: fmt.Sprintf("127.0.0.1:%d", smtpPort), APIURL: api}
}

// GetJSON fetches an API path (e.g. /api/v1/messages) and decodes it into out.
func (m *Mailpit) GetJSON(t testing.TB, path string, out any) {
	t.Helper()
	body := m.Get(t, path)
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("decode mailpit %s: %v", path, err)
	}
}

// Get fetches an API path and returns the raw body (attachments, raw messages).
func (m *Mailpit) Get(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := http.Get(m.APIURL + path)
	if err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: status %d err %v", path, resp.StatusCode, err)
	}
	return body
}
