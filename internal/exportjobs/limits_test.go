package exportjobs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// post sends a JSON export request from a goroutine (no require there) and reports the status.
func (env *testEnv) post(token string, body map[string]any) int {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, env.server.URL+"/api/v1/exports", bytes.NewReader(b))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := env.server.Client().Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (f *fakeSource) waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counting
}

// TestSizeChecksPerIdentity: the count that precedes a queue slot runs at most
// size_checks_per_identity at once per identity; another identity is not held up.
func TestSizeChecksPerIdentity(t *testing.T) {
	src := &fakeSource{countGate: make(chan struct{})}
	env := newEnv(t, t.TempDir(), src, func(c *Config, _ *Deps) {
		c.SizeChecksPerIdentity, c.RetryAfter = 1, 9*time.Second
	})
	codes := make(chan int, 2)
	go func() { codes <- env.post(tokenAcme, acmeBody(from, to)) }()
	require.Eventually(t, func() bool { return src.waiting() == 1 }, 10*time.Second, time.Millisecond)

	resp, b := env.do(t, http.MethodPost, "/api/v1/exports", tokenAcme, acmeBody(from, to))
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, string(b))
	assert.Equal(t, "9", resp.Header.Get("Retry-After"))
	assert.Equal(t, 1, src.waiting(), "the refused request did not count")

	go func() { codes <- env.post(tokenAdmin, acmeBody(from, to)) }()
	require.Eventually(t, func() bool { return src.waiting() == 2 }, 10*time.Second, time.Millisecond, "another identity counts meanwhile")
	close(src.countGate)
	assert.Equal(t, http.StatusAccepted, <-codes)
	assert.Equal(t, http.StatusAccepted, <-codes)

	// The slot is free again.
	code, _, _ := env.submit(t, tokenAcme, acmeBody(from, to))
	assert.Equal(t, http.StatusAccepted, code)
}

// TestRefusedRequestsCountTowardsRateLimit: an export refused as too large has cost a full
// count; it uses up the identity's request rate like an accepted one.
func TestRefusedRequestsCountTowardsRateLimit(t *testing.T) {
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 20, time.Minute)...)
	env := newEnv(t, t.TempDir(), src, func(c *Config, _ *Deps) {
		c.MaxRows = 10
		c.RequestRate = RateConfig{Burst: 3, Interval: time.Hour}
	})
	for range 3 {
		code, _, e := env.submit(t, tokenAcme, acmeBody(from, to))
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "to", e.Field)
	}
	narrow := acmeBody(from, to)
	narrow["filters"] = map[string]any{"authors": []string{"alice@acme.test"}}
	resp, b := env.do(t, http.MethodPost, "/api/v1/exports", tokenAcme, narrow)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, string(b))
	assert.Equal(t, "3600", resp.Header.Get("Retry-After"))
	assert.Contains(t, string(b), "too many export requests")

	code, _, _ := env.submit(t, tokenAdmin, narrow)
	assert.Equal(t, http.StatusAccepted, code, "another identity has its own budget")

	env.clock.Add(time.Hour)
	code, _, _ = env.submit(t, tokenAcme, narrow)
	assert.Equal(t, http.StatusAccepted, code, "one request more per interval")
}

// TestRangeCappedToRetention: a period that starts before the spool's retention is refused
// up front, naming from, by the API and by the link's page.
func TestRangeCappedToRetention(t *testing.T) {
	src := &fakeSource{}
	env := newEnv(t, t.TempDir(), src, func(c *Config, _ *Deps) { c.SpoolRetention = 30 * 24 * time.Hour })
	code, _, e := env.submit(t, tokenAcme, acmeBody("2026-10-01T00:00:00Z", to))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "from", e.Field)
	assert.Contains(t, e.Error, "30 days")
	assert.Contains(t, e.Error, "2026-10-21T12:00:00Z")

	resp, b := env.do(t, http.MethodGet, LinkPath+"?tenant=acme&from=2026-10-01T00:00:00Z&to="+to, tokenAcme, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(b), `"field":"from"`)

	src.mu.Lock()
	assert.Zero(t, src.scans)
	src.mu.Unlock()
	code, _, _ = env.submit(t, tokenAcme, acmeBody(from, to))
	assert.Equal(t, http.StatusAccepted, code)
}

// TestNotifyPolicy: the requester's own address always; others only in notify_domains.
func TestNotifyPolicy(t *testing.T) {
	body := func(addrs ...string) map[string]any {
		b := acmeBody(from, to)
		b["notify"] = addrs
		return b
	}
	t.Run("own address only by default", func(t *testing.T) {
		env := newEnv(t, t.TempDir(), &fakeSource{}, withAcmeEmail)
		code, _, e := env.submit(t, tokenAcme, body("Alice@ACME.test"))
		assert.Equal(t, http.StatusAccepted, code, e.Error)
		code, _, e = env.submit(t, tokenAcme, body("alice@acme.test", "bob@acme.test"))
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "notify", e.Field)
		assert.Contains(t, e.Error, "bob@acme.test")
		// A credential without an address may notify nobody.
		code, _, e = env.submit(t, tokenAdmin, body("alice@acme.test"))
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "notify", e.Field)
	})
	t.Run("notify_domains", func(t *testing.T) {
		env := newEnv(t, t.TempDir(), &fakeSource{}, func(c *Config, d *Deps) {
			withAcmeEmail(c, d)
			c.NotifyDomains = []string{"acme.test", "Partner.example"}
		})
		code, _, e := env.submit(t, tokenAcme, body("bob@acme.test", "carol@partner.EXAMPLE"))
		assert.Equal(t, http.StatusAccepted, code, e.Error)
		for _, addr := range []string{"eve@evil.test", `"x@acme.test"@evil.test`, "eve@sub.acme.test"} {
			code, _, e = env.submit(t, tokenAcme, body(addr))
			assert.Equal(t, http.StatusBadRequest, code, addr)
			assert.Equal(t, "notify", e.Field, addr)
		}
	})
}

// TestNotifyRate: notification emails per identity come from a token bucket, per recipient;
// a request refused for another reason gives its tokens back.
func TestNotifyRate(t *testing.T) {
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 4, time.Minute)...)
	env := newEnv(t, t.TempDir(), src, func(c *Config, d *Deps) {
		withAcmeEmail(c, d)
		c.NotifyRate = RateConfig{Burst: 2, Interval: time.Hour}
		c.MaxRows = 3
	})
	notifyMe := func(filters map[string]any) map[string]any {
		b := acmeBody(from, to)
		b["notify"] = []string{"alice@acme.test"}
		if filters != nil {
			b["filters"] = filters
		}
		return b
	}
	narrow := map[string]any{"authors": []string{"alice@acme.test"}}

	// Refused as too large: the notification tokens are given back.
	code, _, e := env.submit(t, tokenAcme, notifyMe(nil))
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "to", e.Field)

	for range 2 {
		code, _, e = env.submit(t, tokenAcme, notifyMe(narrow))
		require.Equal(t, http.StatusAccepted, code, e.Error)
	}
	code, _, e = env.submit(t, tokenAcme, notifyMe(narrow))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "notify", e.Field)
	assert.Contains(t, e.Error, "1h0m0s")

	code, _, _ = env.submit(t, tokenAcme, acmeBody("2026-11-01T00:00:00Z", "2026-11-01T00:02:00Z"))
	assert.Equal(t, http.StatusAccepted, code, "without notify")

	env.clock.Add(time.Hour)
	code, _, e = env.submit(t, tokenAcme, notifyMe(narrow))
	assert.Equal(t, http.StatusAccepted, code, e.Error)
}

func TestBuckets(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	b := newBuckets(RateConfig{Burst: 2, Interval: 10 * time.Second}, c.Now)
	for range 2 {
		_, ok := b.take("a", 1)
		require.True(t, ok)
	}
	wait, ok := b.take("a", 1)
	assert.False(t, ok)
	assert.Equal(t, 10*time.Second, wait)
	_, ok = b.take("b", 2)
	assert.True(t, ok, "keys are independent")
	c.Add(5 * time.Second)
	wait, ok = b.take("a", 1)
	assert.False(t, ok)
	assert.Equal(t, 5*time.Second, wait)
	b.refund("a", 1)
	_, ok = b.take("a", 1)
	assert.True(t, ok)
	c.Add(time.Hour)
	_, ok = b.take("a", 3)
	assert.False(t, ok, "never more than the burst")

	f := newInflight(1)
	release, ok := f.acquire("a")
	require.True(t, ok)
	_, ok = f.acquire("a")
	assert.False(t, ok)
	_, ok = f.acquire("b")
	assert.True(t, ok)
	release()
	_, ok = f.acquire("a")
	assert.True(t, ok)
}
