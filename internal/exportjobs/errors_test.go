package exportjobs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
)

func observedLogger() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return zap.New(core), logs
}

// logWithErrorID returns the fields of the one log entry carrying error_id id.
func logWithErrorID(t *testing.T, logs *observer.ObservedLogs, id string) map[string]any {
	t.Helper()
	entries := logs.FilterField(zap.String("error_id", id)).All()
	require.Len(t, entries, 1, "one log line with error id %s", id)
	return entries[0].ContextMap()
}

// TestServerErrorIsGeneric: a 5xx answers "internal error" and an id; the detail, which
// names a file, is in the log under the same id.
func TestServerErrorIsGeneric(t *testing.T) {
	logger, logs := observedLogger()
	src := &fakeSource{countErr: errors.New("spool scan: open /var/lib/otelcol-audit/spool.db: permission denied")}
	env := newEnv(t, t.TempDir(), src, func(_ *Config, d *Deps) { d.Logger = logger })

	resp, b := env.do(t, http.MethodPost, "/api/v1/exports", tokenAcme, acmeBody(from, to))
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.NotContains(t, string(b), "/var/lib")
	var e errorBody
	require.NoError(t, json.Unmarshal(b, &e))
	assert.Equal(t, "internal error", e.Error)
	require.Regexp(t, `^[0-9a-f]{16}$`, e.ErrorID)
	fields := logWithErrorID(t, logs, e.ErrorID)
	assert.Contains(t, fields["error"], "/var/lib/otelcol-audit/spool.db")
	assert.Equal(t, "/api/v1/exports", fields["path"])
}

// TestJobErrorIsGeneric: a render failure shows an error id in the job, its status page and
// its audit event; the detail is in the log.
func TestJobErrorIsGeneric(t *testing.T) {
	logger, logs := observedLogger()
	src := &fakeSource{scanErr: errors.New("read /var/lib/otelcol-audit/exports/files/x.part: input/output error")}
	env := newEnv(t, t.TempDir(), src, func(_ *Config, d *Deps) { d.Logger = logger })

	code, c, _ := env.submit(t, tokenAcme, acmeBody(from, to))
	require.Equal(t, http.StatusAccepted, code)
	v := env.waitStatus(t, tokenAcme, c.ID, StatusFailed)
	m := regexp.MustCompile(`^export failed \(error id ([0-9a-f]{16})\)$`).FindStringSubmatch(v.Error)
	require.Len(t, m, 2, v.Error)
	fields := logWithErrorID(t, logs, m[1])
	assert.Contains(t, fields["error"], "/var/lib/otelcol-audit/exports/files/x.part")
	assert.Equal(t, c.ID, fields["id"])

	require.Eventually(t, func() bool { return len(env.emitter.summaries()) == 2 }, 10*time.Second, time.Millisecond)
	env.emitter.mu.Lock()
	defer env.emitter.mu.Unlock()
	for _, ld := range env.emitter.logs {
		lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		lr.Attributes().Range(func(k string, v pcommon.Value) bool {
			assert.NotContains(t, v.AsString(), "/var/lib", "audit event attribute %s", k)
			return true
		})
		assert.NotContains(t, lr.Body().AsString(), "/var/lib")
	}
}

// failingSender fails like an SMTP server that refuses the login.
type failingSender struct{}

func (failingSender) Send(context.Context, reportmail.Message) (bool, error) {
	return false, errors.New("smtp://mailer:hunter2@smtp.internal.example:587: 535 5.7.8 Authentication credentials invalid")
}

// TestNotifyErrorIsGeneric: the SMTP server's name and reply stay in the log, without the
// credentials of its URL.
func TestNotifyErrorIsGeneric(t *testing.T) {
	logger, logs := observedLogger()
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 2, time.Hour)...)
	env := newEnv(t, t.TempDir(), src, func(c *Config, d *Deps) {
		withAcmeEmail(c, d)
		c.PublicURL = "https://audit.example.com"
		d.Logger = logger
		d.Sender = failingSender{}
	})
	body := acmeBody(from, to)
	body["notify"] = []string{"alice@acme.test"}
	code, c, e := env.submit(t, tokenAcme, body)
	require.Equal(t, http.StatusAccepted, code, e.Error)
	var v View
	require.Eventually(t, func() bool {
		v = env.status(t, tokenAcme, c.ID)
		return v.Notified
	}, 10*time.Second, time.Millisecond)
	m := regexp.MustCompile(`^notification failed \(error id ([0-9a-f]{16})\)$`).FindStringSubmatch(v.NotifyError)
	require.Len(t, m, 2, v.NotifyError)
	_, page := env.browserGet(t, tokenAcme, StatusPath(c.ID))
	assert.Contains(t, page, "The email to alice@acme.test was not sent: notification failed (error id "+m[1]+").")
	fields := logWithErrorID(t, logs, m[1])
	assert.Contains(t, fields["error"], "smtp.internal.example:587")
	assert.Contains(t, fields["error"], "535 5.7.8")
	for _, entry := range logs.All() {
		for k, f := range entry.ContextMap() {
			s, _ := f.(string)
			assert.NotContains(t, s, "hunter2", "log field %s", k)
		}
	}
}

func TestRedactCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"smtp://user:pass@smtp.example:587":                    "smtp://REDACTED@smtp.example:587",
		`Post "https://u:p%40ss@proxy.example/x?y=1": EOF`:     `Post "https://REDACTED@proxy.example/x?y=1": EOF`,
		"dial smtps://only-user@mx.example and http://a:b@c/d": "dial smtps://REDACTED@mx.example and http://REDACTED@c/d",
		"https://audit.example.com/api/v1/exports?x=a@b.c":     "https://audit.example.com/api/v1/exports?x=a@b.c",
		"https://audit.example.com?mail=a@b.c":                 "https://audit.example.com?mail=a@b.c",
		"alice@acme.test has no URL":                           "alice@acme.test has no URL",
		"":                                                     "",
	} {
		assert.Equal(t, want, redactCredentials(in), in)
	}
	assert.False(t, strings.Contains(redactCredentials("x ftp://a:secret@h"), "secret"))
}
