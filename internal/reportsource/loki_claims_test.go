package reportsource

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

func TestClaimsQueries(t *testing.T) {
	f := &fakeLoki{t: t}
	now := time.Now()
	entry := func(tenant, summary, target, author string, at time.Time) {
		f.entries = append(f.entries, fakeEntry{
			tenant: tenant, ts: at.UnixNano(),
			labels: map[string]string{"service_name": selfaudit.SourceName, "category": selfaudit.CategoryAuditLog, "outcome": audit.OutcomeSuccess},
			meta: map[string]string{"summary": summary, "target": target, "tenant": tenant, "author": author,
				"event_id": strings.Join([]string{tenant, summary, target, author, at.String()}, "|")},
		})
	}
	target := `daily "x"/2026-01-01T00:00:00Z`
	claim := func(tenant, target, instance string, at time.Time) {
		entry(tenant, selfaudit.SummaryReportClaimed, target, selfaudit.ClaimAuthorPrefix+instance, at)
	}
	claim("acme", target, "b", now.Add(-900*time.Hour)) // two query windows back
	claim("acme", target, "a", now.Add(-time.Minute))
	claim("acme", target, "c", now.Add(-time.Minute)) // same nanosecond as a
	claim("acme", target, "a", now.Add(-30*time.Second))
	claim("acme", target, "d", now.Add(5*time.Minute)) // a clock ahead of Loki's
	claim("acme", "weekly/2026-01-01T00:00:00Z", "e", now.Add(-time.Minute))
	claim("globex", target, "f", now.Add(-time.Minute))
	entry("acme", "Report delivered", target, audit.AuthorSystem, now.Add(-time.Minute))
	entry("acme", selfaudit.SummaryReportClaimed, target, "token:ops", now.Add(-time.Minute))
	src := newFakeSource(t, f, 2)
	var c Claims = src

	got, err := c.Claims(context.Background(), "acme", target, now.Add(-1000*time.Hour))
	require.NoError(t, err)
	var instances []string
	for i, cl := range got {
		instances = append(instances, cl.Instance)
		if i > 0 {
			assert.False(t, cl.At.Before(got[i-1].At), "time order")
		}
	}
	assert.ElementsMatch(t, []string{"b", "a", "c", "a", "d"}, instances)
	require.Len(t, got, 5)
	assert.Equal(t, "b", got[0].Instance)
	assert.Equal(t, now.Add(-900*time.Hour).UnixNano(), got[0].At.UnixNano(), "the entry's time, to the nanosecond")
	assert.Equal(t, "d", got[4].Instance)

	got, err = c.Claims(context.Background(), "acme", target, now.Add(-45*time.Second))
	require.NoError(t, err)
	require.Len(t, got, 2, "since bounds the search")
	assert.Equal(t, "a", got[0].Instance)

	got, err = c.Claims(context.Background(), "globex", "weekly/2026-01-01T00:00:00Z", now.Add(-time.Hour))
	require.NoError(t, err)
	assert.Empty(t, got, "tenants and targets stay apart")

	var last string
	for _, q := range f.queries {
		if strings.Contains(q, "Report claimed") {
			last = q
		}
	}
	assert.Equal(t, `/loki/api/v1/query_range {service_name="otelcol-audit", category="Audit log"} | summary="Report claimed" | tenant="globex" | target="weekly/2026-01-01T00:00:00Z"`, last)

	_, err = c.Claims(context.Background(), "../x", target, now)
	assert.Error(t, err, "tenant ids are checked")
}
