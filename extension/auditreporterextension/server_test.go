package auditreporterextension

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func withLinks(t *testing.T, cfg *Config) {
	addr := freeAddr(t)
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = addr
	cfg.Links = LinksConfig{
		Server:     configoptional.Some(srv),
		PublicURL:  "http://" + addr,
		Keys:       map[string]configopaque.String{"k1": "0123456789abcdef0123456789abcdef", "k0": "fedcba9876543210fedcba9876543210"},
		CurrentKey: "k1",
	}
}

var linkPattern = regexp.MustCompile(`http://[^\s"<>]+`)

func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// TestLargeReportsGoAsSignedLinks: above attach_max_size the message carries a link that
// downloads the file; tampered, expired, unsigned and other-tenant links get the same 403.
func TestLargeReportsGoAsSignedLinks(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].Tenants = []string{"acme", "globex"}
	cfg.Reports[0].AttachMaxSize = 1
	cfg.Reports[0].LinkExpiry = 48 * time.Hour
	withLinks(t, cfg)
	h := startHarness(t, cfg, clock, sender)
	h.consume(mkEvent("acme", "a1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)), mkEvent("globex", "g1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 2)
	links := map[string]string{}
	for _, m := range msgs {
		assert.Empty(t, m.Attachments)
		l := linkPattern.FindString(m.Text)
		require.NotEmpty(t, l, m.Text)
		links[strings.Split(m.MessageID, ".")[1]] = l
	}
	acme, globex := links["acme"], links["globex"]

	status, body := get(t, acme)
	require.Equal(t, http.StatusOK, status, string(body))
	rows := parseCSV(t, body)
	require.Len(t, rows, 1)
	assert.Equal(t, "a1", rows[0][8])

	au, err := url.Parse(acme)
	require.NoError(t, err)
	gu, err := url.Parse(globex)
	require.NoError(t, err)
	mutate := func(f func(u *url.URL, q url.Values)) string {
		u := *au
		q := u.Query()
		f(&u, q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	refused := map[string]string{
		"tampered signature": mutate(func(_ *url.URL, q url.Values) { q.Set("sig", strings.Repeat("A", 43)) }),
		"tampered expiry":    mutate(func(_ *url.URL, q url.Values) { q.Set("exp", "9999999999") }),
		"unsigned":           mutate(func(_ *url.URL, q url.Values) { q.Del("sig") }),
		"other key id":       mutate(func(_ *url.URL, q url.Values) { q.Set("kid", "k0") }),
		// globex's signed query on acme's path, and acme's path with the tenant swapped.
		"other tenant's signature": mutate(func(_ *url.URL, _ url.Values) {}) + "&" + gu.RawQuery,
		"tenant swapped in path":   mutate(func(u *url.URL, _ url.Values) { u.Path = strings.Replace(u.Path, "/acme/", "/globex/", 1) }),
		"tenant swapped in query":  mutate(func(_ *url.URL, q url.Values) { q.Set("tenant", "globex") }),
		"globex query, acme path":  au.Scheme + "://" + au.Host + au.Path + "?" + gu.RawQuery,
		"another file of the run":  mutate(func(u *url.URL, _ url.Values) { u.Path = u.Path[:strings.LastIndex(u.Path, "/")] + "/spool.db" }),
		"path traversal": mutate(func(u *url.URL, _ url.Values) {
			u.Path = u.Path[:strings.LastIndex(u.Path, "/")] + "/..%2F..%2Fspool.db"
		}),
	}
	for name, u := range refused {
		status, body := get(t, u)
		assert.Equal(t, http.StatusForbidden, status, name)
		assert.Equal(t, "forbidden\n", string(body), name)
	}

	// Expired: the link was valid for 48 hours from rendering.
	clock.Set(time.Date(2026, 1, 4, 0, 0, 1, 0, time.UTC))
	status, body = get(t, acme)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "forbidden\n", string(body))
}
