package signedlink

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
)

var (
	keyA = configopaque.String(strings.Repeat("a", 32))
	keyB = configopaque.String(strings.Repeat("b", 40))
	t0   = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

const dlPath = "/reports/acme/weekly-2026-11-23.csv"

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newSigner(t *testing.T, keys map[string]configopaque.String, current string, c *clock) *Signer {
	t.Helper()
	s, err := NewSigner(keys, current, c.now)
	require.NoError(t, err)
	return s
}

func TestSignVerify(t *testing.T) {
	c := &clock{t: t0}
	s := newSigner(t, map[string]configopaque.String{"k1": keyA}, "k1", c)
	q := s.Sign("GET", dlPath, "acme", "weekly-2026-11-23", t0.Add(7*24*time.Hour))
	for _, p := range []string{ParamKeyID, ParamExpires, ParamTenant, ParamID, ParamSignature} {
		assert.NotEmpty(t, q.Get(p), p)
	}
	// Through a real URL, as a browser sends it back.
	parsed, err := url.Parse("https://reports.example" + dlPath + "?" + q.Encode())
	require.NoError(t, err)
	tenant, id, err := s.Verify("GET", parsed.Path, parsed.Query())
	require.NoError(t, err)
	assert.Equal(t, "acme", tenant)
	assert.Equal(t, "weekly-2026-11-23", id)

	_, _, err = s.Verify("HEAD", dlPath, q)
	assert.NoError(t, err, "HEAD is verified as GET")
}

func TestRefused(t *testing.T) {
	c := &clock{t: t0}
	s := newSigner(t, map[string]configopaque.String{"k1": keyA}, "k1", c)
	exp := t0.Add(time.Hour)
	good := func() url.Values { return s.Sign("GET", dlPath, "acme", "r1", exp) }
	edit := func(f func(q url.Values)) url.Values { q := good(); f(q); return q }

	tests := []struct {
		name   string
		method string
		path   string
		q      url.Values
		at     time.Time
	}{
		{name: "wrong tenant", q: edit(func(q url.Values) { q.Set(ParamTenant, "globex") })},
		{name: "other id", q: edit(func(q url.Values) { q.Set(ParamID, "r2") })},
		{name: "longer expiry", q: edit(func(q url.Values) { q.Set(ParamExpires, strconv.FormatInt(exp.Unix()+3600, 10)) })},
		{name: "expiry with leading zero", q: edit(func(q url.Values) { q.Set(ParamExpires, "0"+q.Get(ParamExpires)) })},
		{name: "tampered signature", q: edit(func(q url.Values) {
			sig := []byte(q.Get(ParamSignature))
			sig[0] ^= 1
			q.Set(ParamSignature, string(sig))
		})},
		{name: "unknown key id", q: edit(func(q url.Values) { q.Set(ParamKeyID, "k9") })},
		{name: "missing signature", q: edit(func(q url.Values) { q.Del(ParamSignature) })},
		{name: "repeated tenant", q: edit(func(q url.Values) { q.Add(ParamTenant, "globex") })},
		{name: "other path", path: "/reports/globex/weekly-2026-11-23.csv", q: good()},
		{name: "other method", method: "DELETE", q: good()},
		{name: "expired", q: good(), at: exp},
		{name: "long expired", q: good(), at: exp.Add(24 * time.Hour)},
		{name: "empty", q: url.Values{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t0
			if !tt.at.IsZero() {
				c.t = tt.at
			}
			method, path := "GET", dlPath
			if tt.method != "" {
				method = tt.method
			}
			if tt.path != "" {
				path = tt.path
			}
			tenant, id, err := s.Verify(method, path, tt.q)
			assert.ErrorIs(t, err, ErrInvalidLink)
			assert.Equal(t, ErrInvalidLink, err, "one sentinel, no detail")
			assert.Empty(t, tenant)
			assert.Empty(t, id)
		})
	}
	c.t = exp.Add(-time.Second)
	_, _, err := s.Verify("GET", dlPath, good())
	assert.NoError(t, err, "valid until the last second")
}

func TestRotation(t *testing.T) {
	c := &clock{t: t0}
	old := newSigner(t, map[string]configopaque.String{"k1": keyA}, "k1", c)
	q := old.Sign("GET", dlPath, "acme", "r1", t0.Add(time.Hour))

	rotated := newSigner(t, map[string]configopaque.String{"k1": keyA, "k2": keyB}, "k2", c)
	_, _, err := rotated.Verify("GET", dlPath, q)
	assert.NoError(t, err, "a link signed with the previous key stays valid")
	q2 := rotated.Sign("GET", dlPath, "acme", "r1", t0.Add(time.Hour))
	assert.Equal(t, "k2", q2.Get(ParamKeyID))

	removed := newSigner(t, map[string]configopaque.String{"k2": keyB}, "k2", c)
	_, _, err = removed.Verify("GET", dlPath, q)
	assert.ErrorIs(t, err, ErrInvalidLink, "a removed key's links are refused")
	_, _, err = removed.Verify("GET", dlPath, q2)
	assert.NoError(t, err)

	// Same key id, other secret: refused.
	replaced := newSigner(t, map[string]configopaque.String{"k1": keyB}, "k1", c)
	_, _, err = replaced.Verify("GET", dlPath, q)
	assert.ErrorIs(t, err, ErrInvalidLink)
}

func TestNewSignerValidation(t *testing.T) {
	tests := []struct {
		name    string
		keys    map[string]configopaque.String
		current string
		want    string
	}{
		{name: "no keys", current: "k1", want: "keys"},
		{name: "short key", keys: map[string]configopaque.String{"k1": "short"}, current: "k1", want: "shorter than 32"},
		{name: "bad id", keys: map[string]configopaque.String{"k 1": keyA}, current: "k 1", want: "URL-safe"},
		{name: "unknown current", keys: map[string]configopaque.String{"k1": keyA}, current: "k2", want: "current_key_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSigner(tt.keys, tt.current, nil)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func FuzzVerify(f *testing.F) {
	c := &clock{t: t0}
	s, err := NewSigner(map[string]configopaque.String{"k1": keyA}, "k1", c.now)
	require.NoError(f, err)
	valid := s.Sign("GET", dlPath, "acme", "r1", t0.Add(time.Hour))
	f.Add("GET", dlPath, valid.Encode())
	f.Add("GET", dlPath, "kid=k1&exp=1&tenant=a&id=b&sig=AAAA")
	f.Add("HEAD", "/", "sig=%ZZ&kid=&exp=-1")
	f.Fuzz(func(t *testing.T, method, path, rawQuery string) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		tenant, id, err := s.Verify(method, path, q)
		if err != nil {
			if err != ErrInvalidLink {
				t.Fatalf("Verify returned %v, not the sentinel", err)
			}
			return
		}
		// Anything accepted must be exactly what was signed: same tenant, id, path and method.
		if tenant != "acme" || id != "r1" || path != dlPath || (method != "GET" && method != "HEAD") {
			t.Fatalf("accepted a forged link: %s %s %q -> %s/%s", method, path, rawQuery, tenant, id)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	s, err := NewSigner(map[string]configopaque.String{"k1": keyA}, "k1", func() time.Time { return t0 })
	require.NoError(b, err)
	q := s.Sign("GET", dlPath, "acme", "r1", t0.Add(time.Hour))
	for b.Loop() {
		if _, _, err := s.Verify("GET", dlPath, q); err != nil {
			b.Fatal(err)
		}
	}
}
