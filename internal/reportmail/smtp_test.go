package reportmail

// Integration tests against a real Mailpit (github.com/axllent/mailpit, pinned in
// scripts/tools.sh) started on loopback by internal/testharness. They are skipped when
// Mailpit is not installed, and fail instead when OTELCOL_AUDIT_REQUIRE_INTEGRATION is set:
//
//	scripts/tools.sh mailpit
//	OTELCOL_AUDIT_REQUIRE_INTEGRATION=1 go test ./internal/reportmail/...
//
// MAILPIT_BIN overrides the binary.

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestMain(m *testing.M) {
	// The harness reads Mailpit's API with http.Get; its idle keep-alive connections are not
	// ours.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

type mailpitList struct {
	Total    int `json:"total"`
	Messages []struct {
		ID        string `json:"ID"`
		MessageID string `json:"MessageID"`
		Subject   string `json:"Subject"`
	} `json:"messages"`
}

type mailpitMessage struct {
	partsBase   string
	MessageID   string
	Subject     string
	Text        string
	HTML        string
	To          []struct{ Address string }
	Attachments []struct {
		PartID      string
		FileName    string
		ContentType string
		Size        int64
	}
}

func reportFiles(t *testing.T) (csvPath, xlsxPath string, rows []audit.Row) {
	t.Helper()
	dir := t.TempDir()
	base := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	rows = []audit.Row{
		{Time: base, Author: "alice@example.com", Category: "Authentication", Summary: "Login failed", Description: "bad password", Outcome: "failure", SourceIP: "192.0.2.1", Target: "alice", EventID: "e1", Tenant: "acme"},
		{Time: base.Add(time.Minute), Author: "=cmd|' /C calc'!A0", Category: "Users", Summary: "User created", Description: "Zoë, 日本語", Outcome: "success", SourceIP: "2001:db8::1", Target: "bob", EventID: "e2", Tenant: "acme"},
	}
	for _, format := range []string{"csv", "xlsx"} {
		path := filepath.Join(dir, "weekly."+format)
		f, err := os.Create(path)
		require.NoError(t, err)
		w, err := reportrender.New(format, f, time.UTC)
		require.NoError(t, err)
		for _, r := range rows {
			require.NoError(t, w.WriteRow(r))
		}
		require.NoError(t, w.Close())
		require.NoError(t, f.Close())
		if format == "csv" {
			csvPath = path
		} else {
			xlsxPath = path
		}
	}
	return csvPath, xlsxPath, rows
}

func reportMessage(id, csvPath, xlsxPath string) Message {
	text, html, _ := Summary(ReportSummary{Title: "Weekly audit report", Tenant: "acme", Total: 2, FailedLogins: 1})
	return Message{
		MessageID: id,
		To:        []string{"Admin <admin@acme.example>", "sec@acme.example"},
		Subject:   "Audit report acme 2026-11-16 – 2026-11-23",
		Text:      text,
		HTML:      html,
		Attachments: []Attachment{
			{Name: "weekly.csv", ContentType: reportrender.ContentType("csv"), Path: csvPath},
			{Name: "weekly.xlsx", ContentType: reportrender.ContentType("xlsx"), Path: xlsxPath},
		},
	}
}

func onlyMessage(t *testing.T, mp *testharness.Mailpit) mailpitMessage {
	t.Helper()
	var list mailpitList
	mp.GetJSON(t, "/api/v1/messages", &list)
	require.Equal(t, 1, list.Total, "exactly one message delivered")
	var msg mailpitMessage
	mp.GetJSON(t, "/api/v1/message/"+list.Messages[0].ID, &msg)
	msg.partsBase = "/api/v1/message/" + list.Messages[0].ID + "/part/"
	return msg
}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	authFile := filepath.Join(t.TempDir(), "auth")
	require.NoError(t, os.WriteFile(authFile, []byte("reports:s3cret-pass\n"), 0o600))
	mp, caFile := testharness.StartMailpitTLS(t, testharness.MailpitRequireSTARTTLS, "--smtp-auth-file", authFile)
	csvPath, xlsxPath, rows := reportFiles(t)

	cfg := Config{Endpoint: mp.SMTPAddr, TLS: TLSStartTLS, CAFile: caFile, Username: "reports", Password: "s3cret-pass", From: "Audit reports <reports@otelcol-audit.example>"}
	sender, err := NewSMTP(cfg)
	require.NoError(t, err)
	retry, err := sender.Send(context.Background(), reportMessage("weekly.acme.20261123@otelcol-audit.example", csvPath, xlsxPath))
	require.NoError(t, err)
	assert.False(t, retry)

	msg := onlyMessage(t, mp)
	assert.Equal(t, "weekly.acme.20261123@otelcol-audit.example", msg.MessageID)
	assert.Equal(t, "Audit report acme 2026-11-16 – 2026-11-23", msg.Subject)
	assert.Contains(t, msg.Text, "Failed logins: 1")
	assert.Contains(t, msg.HTML, "<h2>Weekly audit report for tenant acme</h2>")
	require.Len(t, msg.To, 2)
	require.Len(t, msg.Attachments, 2)
	for _, a := range msg.Attachments {
		body := mp.Get(t, msg.partsBase+a.PartID)
		switch a.FileName {
		case "weekly.csv":
			want, err := os.ReadFile(csvPath)
			require.NoError(t, err)
			assert.Equal(t, want, body)
			assert.True(t, strings.HasPrefix(a.ContentType, "text/csv"))
			records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
			require.NoError(t, err)
			require.Len(t, records, len(rows)+1)
			assert.Equal(t, "'=cmd|' /C calc'!A0", records[2][1])
			assert.Equal(t, "Zoë, 日本語", records[2][4])
		case "weekly.xlsx":
			want, err := os.ReadFile(xlsxPath)
			require.NoError(t, err)
			assert.Equal(t, want, body)
			assert.Equal(t, reportrender.ContentType("xlsx"), a.ContentType)
		default:
			t.Errorf("unexpected attachment %q", a.FileName)
		}
	}

	// The same server refuses a wrong password: retrying cannot help.
	cfg.Password = "wrong"
	sender, err = NewSMTP(cfg)
	require.NoError(t, err)
	retry, err = sender.Send(context.Background(), reportMessage("other@otelcol-audit.example", csvPath, xlsxPath))
	require.Error(t, err)
	assert.False(t, retry, "%v", err)
}

func TestSMTPImplicitTLS(t *testing.T) {
	mp, caFile := testharness.StartMailpitTLS(t, testharness.MailpitImplicitTLS, "--smtp-auth-accept-any")
	csvPath, xlsxPath, _ := reportFiles(t)
	sender, err := NewSMTP(Config{Endpoint: mp.SMTPAddr, TLS: TLSImplicit, CAFile: caFile, Username: "u", Password: "p", From: "reports@otelcol-audit.example"})
	require.NoError(t, err)
	_, err = sender.Send(context.Background(), reportMessage("implicit@otelcol-audit.example", csvPath, xlsxPath))
	require.NoError(t, err)
	assert.Equal(t, "implicit@otelcol-audit.example", onlyMessage(t, mp).MessageID)
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	mp, _ := testharness.StartMailpitTLS(t, testharness.MailpitRequireSTARTTLS)
	csvPath, xlsxPath, _ := reportFiles(t)
	sender, err := NewSMTP(Config{Endpoint: mp.SMTPAddr, From: "reports@otelcol-audit.example"})
	require.NoError(t, err)
	retry, err := sender.Send(context.Background(), reportMessage("untrusted@otelcol-audit.example", csvPath, xlsxPath))
	require.Error(t, err)
	assert.False(t, retry, "a certificate the system does not trust will not be trusted later: %v", err)
}

func TestSMTPPlaintext(t *testing.T) {
	mp := testharness.StartMailpit(t)
	csvPath, xlsxPath, _ := reportFiles(t)

	_, err := NewSMTP(Config{Endpoint: mp.SMTPAddr, TLS: TLSNone, From: "reports@otelcol-audit.example"})
	require.ErrorContains(t, err, "allow_plaintext", "plaintext needs the explicit opt-out")

	// The default, mandatory STARTTLS, never falls back to clear text.
	sender, err := NewSMTP(Config{Endpoint: mp.SMTPAddr, From: "reports@otelcol-audit.example"})
	require.NoError(t, err)
	_, err = sender.Send(context.Background(), reportMessage("nostarttls@otelcol-audit.example", csvPath, xlsxPath))
	require.Error(t, err)
	var list mailpitList
	mp.GetJSON(t, "/api/v1/messages", &list)
	assert.Zero(t, list.Total)

	sender, err = NewSMTP(Config{Endpoint: mp.SMTPAddr, TLS: TLSNone, AllowPlaintext: true, From: "reports@otelcol-audit.example"})
	require.NoError(t, err)
	_, err = sender.Send(context.Background(), reportMessage("plain@otelcol-audit.example", csvPath, xlsxPath))
	require.NoError(t, err)
	assert.Equal(t, "plain@otelcol-audit.example", onlyMessage(t, mp).MessageID)
}

func TestSMTPOutageThenDelivered(t *testing.T) {
	mp := testharness.StartMailpit(t)
	csvPath, xlsxPath, _ := reportFiles(t)
	sender, err := NewSMTP(Config{Endpoint: mp.SMTPAddr, TLS: TLSNone, AllowPlaintext: true, From: "reports@otelcol-audit.example", Timeout: 5 * time.Second})
	require.NoError(t, err)
	m := reportMessage("outage@otelcol-audit.example", csvPath, xlsxPath)

	mp.Stop()
	retry, err := sender.Send(context.Background(), m)
	require.Error(t, err)
	assert.True(t, retry, "a server that is down may be up later: %v", err)

	mp.Start()
	retry, err = sender.Send(context.Background(), m)
	require.NoError(t, err)
	assert.False(t, retry)
	assert.Equal(t, "outage@otelcol-audit.example", onlyMessage(t, mp).MessageID)
}

func TestHeaderInjectionRefused(t *testing.T) {
	csvPath, xlsxPath, _ := reportFiles(t)
	// Nothing listens on the endpoint: a refusal must come before any connection, with
	// retry=false (a connection attempt would say retry=true).
	sender, err := NewSMTP(Config{Endpoint: "127.0.0.1:1", TLS: TLSNone, AllowPlaintext: true, From: "reports@otelcol-audit.example"})
	require.NoError(t, err)
	tests := []struct {
		name string
		edit func(*Message)
	}{
		{"subject", func(m *Message) { m.Subject = "Report\r\nBcc: spy@evil.example" }},
		{"subject LF", func(m *Message) { m.Subject = "Report\nX-Evil: 1" }},
		{"recipient", func(m *Message) { m.To = []string{"admin@acme.example\r\nBcc: spy@evil.example"} }},
		{"message id", func(m *Message) { m.MessageID = "a@b\r\nBcc: spy@evil.example" }},
		{"attachment name", func(m *Message) { m.Attachments[0].Name = "r.csv\r\nContent-Type: text/html" }},
		{"content type", func(m *Message) { m.Attachments[0].ContentType = "text/csv\nX-Evil: 1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := reportMessage("inj@otelcol-audit.example", csvPath, xlsxPath)
			tt.edit(&m)
			retry, err := sender.Send(context.Background(), m)
			assert.ErrorIs(t, err, ErrHeaderInjection)
			assert.False(t, retry)
			retry, err = NewOutbox(t.TempDir()).Send(context.Background(), m)
			assert.ErrorIs(t, err, ErrHeaderInjection)
			assert.False(t, retry)
		})
	}
	for name, edit := range map[string]func(*Message){
		"no recipients":      func(m *Message) { m.To = nil },
		"bad recipient":      func(m *Message) { m.To = []string{"not an address"} },
		"missing attachment": func(m *Message) { m.Attachments[0].Path = filepath.Join(t.TempDir(), "gone.csv") },
		"path in name":       func(m *Message) { m.Attachments[0].Name = "../../etc/passwd" },
		"bracketed id":       func(m *Message) { m.MessageID = "<a@b>" },
	} {
		m := reportMessage("x@otelcol-audit.example", csvPath, xlsxPath)
		edit(&m)
		retry, err := sender.Send(context.Background(), m)
		assert.Error(t, err, name)
		assert.False(t, retry, name)
	}
}

func TestOutbox(t *testing.T) {
	dir := t.TempDir()
	csvPath, xlsxPath, _ := reportFiles(t)
	m := reportMessage("weekly.acme.20261123@otelcol-audit.example", csvPath, xlsxPath)
	out := NewOutbox(dir)
	_, err := out.Send(context.Background(), m)
	require.NoError(t, err)

	eml, err := os.ReadFile(filepath.Join(dir, "weekly.acme.20261123@otelcol-audit.example.eml"))
	require.NoError(t, err)
	assert.Contains(t, string(eml), "Message-ID: <weekly.acme.20261123@otelcol-audit.example>")
	assert.Contains(t, string(eml), `filename="weekly.xlsx"`)
	for _, name := range []string{"weekly.csv", "weekly.xlsx"} {
		want, err := os.ReadFile(map[string]string{"weekly.csv": csvPath, "weekly.xlsx": xlsxPath}[name])
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, "weekly.acme.20261123@otelcol-audit.example", name))
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}

	// A resend of the same Message-ID is dropped, like a mail system would.
	m.Subject = "changed"
	_, err = out.Send(context.Background(), m)
	require.NoError(t, err)
	again, err := os.ReadFile(filepath.Join(dir, "weekly.acme.20261123@otelcol-audit.example.eml"))
	require.NoError(t, err)
	assert.Equal(t, eml, again)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".tmp-"), "no temporary file left: %s", e.Name())
	}
	assert.Equal(t, "a_b_@c.d", fileSafe("a/b\n@c.d"))

}
