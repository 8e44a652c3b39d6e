package exportjobs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
)

func TestScopeOfRequest(t *testing.T) {
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, extra, want, field string
	}{
		{"no filters: complete log file", ``, ScopeAll, ""},
		{"empty filters: complete log file", `,"filters":{}`, ScopeAll, ""},
		{"filters: view", `,"filters":{"outcome":"failure"}`, ScopeView, ""},
		{"all, asked", `,"scope":"all"`, ScopeAll, ""},
		{"view without filters", `,"scope":"view"`, ScopeView, ""},
		{"view with filters", `,"scope":"view","filters":{"contains":"alice"}`, ScopeView, ""},
		{"all with filters", `,"scope":"all","filters":{"categories":["Authentication"]}`, "", "scope"},
		{"unknown scope", `,"scope":"everything"`, "", "scope"},
	} {
		t.Run("json "+tc.name, func(t *testing.T) {
			body := `{"tenant":"acme","from":"` + from + `","to":"` + to + `"` + tc.extra + `}`
			req, err := ParseJSON(strings.NewReader(body), now)
			assertScope(t, req, err, tc.want, tc.field)
		})
	}
	for _, tc := range []struct {
		name  string
		query url.Values
		want  string
		field string
	}{
		{"no filters", url.Values{}, ScopeAll, ""},
		{"empty text boxes are no filters", url.Values{"author": {""}, "summary": {""}, "source_ip": {""}, "outcomes": {""}}, ScopeAll, ""},
		{"filters", url.Values{"categories": {"Authentication,Users"}}, ScopeView, ""},
		{"all", url.Values{"scope": {"all"}}, ScopeAll, ""},
		{"all with empty text boxes", url.Values{"scope": {"all"}, "author": {""}}, ScopeAll, ""},
		{"view", url.Values{"scope": {"view"}, "author": {"alice"}}, ScopeView, ""},
		{"all with filters", url.Values{"scope": {"all"}, "author": {"alice"}}, "", "scope"},
		{"unknown", url.Values{"scope": {"All"}}, "", "scope"},
	} {
		t.Run("query "+tc.name, func(t *testing.T) {
			q := url.Values{"tenant": {"acme"}, "from": {from}, "to": {to}}
			for k, v := range tc.query {
				q[k] = v
			}
			req, err := ParseQuery(q, now)
			assertScope(t, req, err, tc.want, tc.field)
		})
	}
}

func assertScope(t *testing.T, req Request, err error, want, field string) {
	t.Helper()
	if field != "" {
		var fe *FieldError
		require.True(t, errors.As(err, &fe), "want a field error, got %v", err)
		assert.Equal(t, field, fe.Field, fe.Message)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, want, req.Scope)
}

func TestDescribeScope(t *testing.T) {
	assert.Equal(t, "Complete log file: every event of the range", describeScope(ScopeAll, Filters{}))
	assert.Equal(t, "Filtered view: no filters, every event of the range", describeScope(ScopeView, Filters{}))
	assert.Equal(t, "Filtered view: Categories: Authentication, Users; Outcomes: failure; Author contains: alice",
		describeScope(ScopeView, Filters{Categories: []string{"Authentication", "Users"}, Outcomes: []string{"failure"}, AuthorContains: "alice"}))
}

// recordingSender keeps every message it is given.
type recordingSender struct {
	mu   sync.Mutex
	msgs []reportmail.Message
}

func (r *recordingSender) Send(_ context.Context, m reportmail.Message) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return false, nil
}

func (r *recordingSender) messages() []reportmail.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]reportmail.Message(nil), r.msgs...)
}

// TestScopeShownEverywhere: the API, the status page and the email say whether the file is
// the complete log file or a filtered view, and which filters.
func TestScopeShownEverywhere(t *testing.T) {
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 10, time.Hour)...)
	sender := &recordingSender{}
	env := newEnv(t, t.TempDir(), src, func(c *Config, d *Deps) {
		withAcmeEmail(c, d)
		c.PublicURL = "https://audit.example.com"
		d.Sender = sender
	})

	code, created, e := env.submit(t, tokenAcme, map[string]any{
		"tenant": "acme", "from": from, "to": to, "scope": "all", "notify": []string{"alice@acme.test"},
	})
	require.Equal(t, http.StatusAccepted, code, e.Error)
	all := env.waitStatus(t, tokenAcme, created.ID, StatusReady)
	assert.Equal(t, ScopeAll, all.Scope)
	assert.Equal(t, "Complete log file: every event of the range", all.ScopeDescription)
	assert.EqualValues(t, 10, all.Rows, "every event of the period")

	body := acmeBody(from, to)
	body["filters"] = map[string]any{"outcome": "failure", "author_contains": "<b>bob</b>"}
	body["notify"] = []string{"alice@acme.test"}
	code, created2, e := env.submit(t, tokenAcme, body)
	require.Equal(t, http.StatusAccepted, code, e.Error)
	view := env.waitStatus(t, tokenAcme, created2.ID, StatusReady)
	assert.Equal(t, ScopeView, view.Scope, "filters without a scope: the view")
	assert.Equal(t, "Filtered view: Outcomes: failure; Author contains: <b>bob</b>", view.ScopeDescription)

	// The JSON carries both fields under their documented names.
	_, raw := env.do(t, http.MethodGet, StatusPath(created.ID), tokenAcme, nil)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, "all", doc["scope"])
	assert.Equal(t, "Complete log file: every event of the range", doc["scope_description"])

	_, page := env.browserGet(t, tokenAcme, StatusPath(created.ID))
	assert.Contains(t, page, "<b>Complete log file</b>: every event of the range")
	assert.Contains(t, page, "The link is also emailed to alice@acme.test.")
	_, page = env.browserGet(t, tokenAcme, StatusPath(created2.ID))
	assert.Contains(t, page, "<b>Filtered view</b>: Outcomes: failure; Author contains: &lt;b&gt;bob&lt;/b&gt;")

	require.Eventually(t, func() bool { return len(sender.messages()) == 2 }, 10*time.Second, time.Millisecond)
	byID := map[string]reportmail.Message{}
	for _, m := range sender.messages() {
		byID[m.MessageID] = m
	}
	m := byID["export."+created.ID+"@audit.example.com"]
	assert.Contains(t, m.Text, "Content: Complete log file: every event of the range\n")
	assert.Contains(t, m.HTML, "<b>Complete log file</b>: every event of the range")
	m = byID["export."+created2.ID+"@audit.example.com"]
	assert.Contains(t, m.Text, "Content: Filtered view: Outcomes: failure; Author contains: <b>bob</b>\n")
	assert.Contains(t, m.HTML, "<b>Filtered view</b>: Outcomes: failure; Author contains: &lt;b&gt;bob&lt;/b&gt;")

	// A complete log file with filters is refused, naming scope.
	body = acmeBody(from, to)
	body["scope"] = "all"
	body["filters"] = map[string]any{"outcome": "failure"}
	code, _, e = env.submit(t, tokenAcme, body)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "scope", e.Field, e.Error)
}

// TestLinkScope: the dashboard's two links, the complete log file and the filtered view,
// each confirm what they export and start it with their scope.
func TestLinkScope(t *testing.T) {
	src := &fakeSource{}
	src.add(rowsFor("acme", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 4, time.Hour)...)
	env := newEnv(t, t.TempDir(), src, withAcmeEmail)

	logFile := url.Values{"tenant": {"acme"}, "from": {from}, "to": {to}, "scope": {"all"}, "format": {"csv"}}
	resp, page := env.browserGet(t, tokenAcme, LinkPath+"?"+logFile.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "<b>Complete log file</b>: every event of the range")
	_, action, fields := pageForm(t, page)
	assert.Equal(t, "all", fields.Get("scope"))
	resp, body := env.browserPost(t, tokenAcme, action, fields, nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	v := env.waitStatus(t, tokenAcme, strings.TrimPrefix(resp.Header.Get("Location"), "/api/v1/exports/"), StatusReady)
	assert.Equal(t, ScopeAll, v.Scope)
	assert.EqualValues(t, 4, v.Rows)

	view := linkQuery()
	view.Set("scope", "view")
	resp, page = env.browserGet(t, tokenAcme, LinkPath+"?"+view.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, "<b>Filtered view</b>: only the events that match every filter below")
	assert.NotContains(t, page, "Complete log file")

	// The form token covers the scope: the filtered view's form cannot become a complete
	// log file, nor the other way round.
	_, _, fields = pageForm(t, page)
	fields.Set("scope", "all")
	for _, k := range []string{"services", "categories", "author"} {
		fields.Del(k)
	}
	resp, body = env.browserPost(t, tokenAcme, LinkPath, fields, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, body)
	assert.Contains(t, body, FormTokenField)

	bad := linkQuery()
	bad.Set("scope", "all")
	resp, body = env.browserGet(t, tokenAcme, LinkPath+"?"+bad.Encode())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, `"field":"scope"`)
}

// TestJobsWithoutScopeGetOne: jobs recorded before the scope existed show the scope their
// request would get now.
func TestJobsWithoutScopeGetOne(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "exports.db"), 0o600, nil)
	require.NoError(t, err)
	created := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	ids := map[string]Filters{
		strings.Repeat("a", 32): {},
		strings.Repeat("b", 32): {Outcomes: []string{"failure"}},
	}
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketJobs)
		if err != nil {
			return err
		}
		for id, f := range ids {
			raw, err := json.Marshal(Job{ID: id, Tenant: "acme", Requester: "acme-admin", Filters: f, Format: FormatCSV,
				Timezone: "UTC", Status: StatusFailed, Error: "cancelled", CreatedAt: created, FinishedAt: created, FinishEmitted: true})
			if err != nil {
				return err
			}
			var rec map[string]any
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
			delete(rec, "scope")
			if raw, err = json.Marshal(rec); err != nil {
				return err
			}
			if err := b.Put([]byte(id), raw); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())

	env := newEnv(t, dir, &fakeSource{}, nil)
	assert.Equal(t, ScopeAll, env.status(t, tokenAcme, strings.Repeat("a", 32)).Scope)
	v := env.status(t, tokenAcme, strings.Repeat("b", 32))
	assert.Equal(t, ScopeView, v.Scope)
	assert.Equal(t, "Filtered view: Outcomes: failure", v.ScopeDescription)
}
