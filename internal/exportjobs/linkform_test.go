package exportjobs

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// linkQuery is what the Grafana link sends (empty text boxes included).
func linkQuery() url.Values {
	return url.Values{"tenant": {"acme"}, "from": {"2026-11-01T00:00:00.000Z"}, "to": {"1793577600000"},
		"services": {"web"}, "categories": {"Authentication,Users"}, "outcomes": {""}, "author": {"alice"},
		"summary": {""}, "source_ip": {""}, "format": {"xlsx"}}
}

func withAcmeEmail(c *Config, _ *Deps) { c.Auth.Tokens[0].Email = "alice@acme.test" }

// noRedirects is the server's client that shows redirects instead of following them.
func (env *testEnv) noRedirects() *http.Client {
	c := *env.server.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// browserGet sends what a browser that cached the token as Basic credentials sends.
func (env *testEnv) browserGet(t *testing.T, token, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.server.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.SetBasicAuth("anyone", token)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Sec-Fetch-Site", "none")
	resp, err := env.noRedirects().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// browserPost submits a form; header adds or overrides headers (same-origin by default).
func (env *testEnv) browserPost(t *testing.T, token, path string, fields url.Values, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.server.URL+path, strings.NewReader(fields.Encode()))
	require.NoError(t, err)
	if token != "" {
		req.SetBasicAuth("anyone", token)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", env.server.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := env.noRedirects().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// pageForm returns the confirmation page's form: its method, action and fields.
func pageForm(t *testing.T, page string) (method, action string, fields url.Values) {
	t.Helper()
	fields = url.Values{}
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			require.NotEmpty(t, action, "the page has a form")
			return method, action, fields
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
			}
			switch tok.Data {
			case "form":
				method, action = attrs["method"], attrs["action"]
			case "input":
				fields.Set(attrs["name"], attrs["value"])
			}
		}
	}
}

func (env *testEnv) jobCount() int {
	env.engine.mu.Lock()
	defer env.engine.mu.Unlock()
	return len(env.engine.jobs)
}

// TestLinkShowsConfirmationPage: the dashboard link (GET) only shows what would be exported;
// the form on the page starts it, once.
func TestLinkShowsConfirmationPage(t *testing.T) {
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 4, time.Hour)...)
	env := newEnv(t, t.TempDir(), src, withAcmeEmail)

	resp, page := env.browserGet(t, tokenAcme, LinkPath+"?"+linkQuery().Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "form-action 'self'")
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	for _, want := range []string{"acme", "2026-11-01 00:00:00 UTC", "2026-11-02 00:00:00 UTC", "Authentication, Users", "web", "alice", "xlsx", "alice@acme.test", "token:acme-admin"} {
		assert.Contains(t, page, want)
	}
	assert.Zero(t, env.jobCount(), "the GET starts nothing")
	assert.Empty(t, env.emitter.summaries())
	src.mu.Lock()
	assert.Zero(t, src.scans, "nor counts anything")
	src.mu.Unlock()

	method, action, fields := pageForm(t, page)
	assert.Equal(t, "post", method)
	assert.Equal(t, LinkPath, action)
	require.NotEmpty(t, fields.Get(FormTokenField))

	resp, body := env.browserPost(t, tokenAcme, action, fields, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/api/v1/exports/"), loc)
	id := strings.TrimPrefix(loc, "/api/v1/exports/")
	v := env.waitStatus(t, tokenAcme, id, StatusReady)
	assert.Equal(t, []string{"alice@acme.test"}, v.Notify, "the credential's own address")
	assert.Equal(t, FormatXLSX, v.Format)
	assert.Equal(t, []string{"web"}, v.Filters.Services)
	assert.Equal(t, "alice", v.Filters.AuthorContains)

	// The status page is what the browser lands on.
	resp, status := env.browserGet(t, tokenAcme, loc)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, status, "Audit log export")
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))

	// Sending the same page again (double click, reload) leads to the same export.
	resp, _ = env.browserPost(t, tokenAcme, action, fields, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, loc, resp.Header.Get("Location"))
	assert.Equal(t, 1, env.jobCount())
}

func TestLinkFormRefusals(t *testing.T) {
	src := &fakeSource{}
	env := newEnv(t, t.TempDir(), src, withAcmeEmail)
	_, page := env.browserGet(t, tokenAcme, LinkPath+"?"+linkQuery().Encode())
	_, _, fields := pageForm(t, page)
	_, adminPage := env.browserGet(t, tokenAdmin, LinkPath+"?"+linkQuery().Encode())
	_, _, adminFields := pageForm(t, adminPage)

	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vals := range fields {
			f[key] = append([]string(nil), vals...)
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	token := fields.Get(FormTokenField)
	exp, rest, _ := strings.Cut(token, ".")
	sig, kid, _ := strings.Cut(rest, ".")
	flipped := []byte(sig)
	flipped[0] ^= 1
	if flipped[0] == '.' {
		flipped[0] = 'A'
	}

	for _, tc := range []struct {
		name   string
		token  string
		fields url.Values
		header map[string]string
		want   int
		body   string
	}{
		{"no form token", tokenAcme, with(FormTokenField, ""), nil, http.StatusForbidden, FormTokenField},
		{"another tenant", tokenAcme, with("tenant", "globex"), nil, http.StatusForbidden, FormTokenField},
		{"another period", tokenAcme, with("from", "2026-10-01T00:00:00Z"), nil, http.StatusForbidden, FormTokenField},
		{"a filter dropped", tokenAcme, with("services", ""), nil, http.StatusForbidden, FormTokenField},
		{"tampered signature", tokenAcme, with(FormTokenField, exp+"."+string(flipped)+"."+kid), nil, http.StatusForbidden, FormTokenField},
		{"later expiry", tokenAcme, with(FormTokenField, "9999999999."+sig+"."+kid), nil, http.StatusForbidden, FormTokenField},
		{"another credential's form", tokenAcme, adminFields, nil, http.StatusForbidden, FormTokenField},
		{"cross-site form post", tokenAcme, fields, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden, "cross-origin"},
		{"cross-origin, old browser", tokenAcme, fields, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}, http.StatusForbidden, "cross-origin"},
		{"without credential", "", fields, nil, http.StatusUnauthorized, "unauthorized"},
		{"not a form", tokenAcme, fields, map[string]string{"Content-Type": "application/json"}, http.StatusUnsupportedMediaType, "Content-Type"},
		{"unknown field", tokenAcme, with("notify", "x@evil.test"), nil, http.StatusBadRequest, "notify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := env.browserPost(t, tc.token, LinkPath, tc.fields, tc.header)
			assert.Equal(t, tc.want, resp.StatusCode, body)
			assert.Contains(t, body, tc.body)
			assert.Empty(t, resp.Header.Get("WWW-Authenticate"), "only a GET asks the browser for credentials")
		})
	}
	assert.Zero(t, env.jobCount())

	t.Run("expired form", func(t *testing.T) {
		env.clock.Add(FormTokenTTL + time.Second)
		resp, body := env.browserPost(t, tokenAcme, LinkPath, fields, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, body)
		assert.Contains(t, body, FormTokenField)
	})

	t.Run("GET", func(t *testing.T) {
		resp, _ := env.browserGet(t, "", LinkPath+"?"+linkQuery().Encode())
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
		q := linkQuery()
		q.Set("notify", "x@evil.test")
		resp, _ = env.browserGet(t, tokenAcme, LinkPath+"?"+q.Encode())
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "the link takes no recipients")
		resp, _ = env.browserGet(t, tokenGlobex, LinkPath+"?"+linkQuery().Encode())
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	})

	t.Run("cross-site DELETE", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodDelete, env.server.URL+"/api/v1/exports/"+strings.Repeat("a", 32), nil)
		require.NoError(t, err)
		req.SetBasicAuth("anyone", tokenAcme)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := env.server.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
	assert.Zero(t, env.jobCount())
}

// TestLinkFormBehindProxy: behind a reverse proxy the Host header is the upstream's; the
// browser's Origin is public_url, which is trusted.
func TestLinkFormBehindProxy(t *testing.T) {
	env := newEnv(t, t.TempDir(), &fakeSource{}, func(c *Config, d *Deps) {
		withAcmeEmail(c, d)
		c.PublicURL = "https://audit.example.com"
	})
	_, page := env.browserGet(t, tokenAcme, LinkPath+"?"+linkQuery().Encode())
	_, action, fields := pageForm(t, page)
	resp, body := env.browserPost(t, tokenAcme, action, fields, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://audit.example.com"})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), "https://audit.example.com/api/v1/exports/"))
}
