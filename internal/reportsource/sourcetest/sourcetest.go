// Package sourcetest is the conformance suite of reportsource.Source: every implementation
// (the spool, Loki) must pass Run, so that a report renders the same rows whichever store it
// reads.
package sourcetest // import "github.com/otelcol-audit/otelcol-audit/internal/reportsource/sourcetest"

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
)

// PageSize is the page size a paging source should be given, so that the paging case crosses
// many page boundaries with several entries at one timestamp and more entries at one timestamp
// than fit a page.
const PageSize = 7

// NewSource stores rows and returns a source over them. The rows are normalised events: every
// row has a tenant, an event id, a time, a service, an outcome and a description (the
// normaliser always writes them); the other columns may be empty. Tenants are unique to each
// call, so a factory may keep every call's rows in one shared store.
type NewSource func(t *testing.T, rows []audit.Row) reportsource.Source

// tenantSeq makes tenants unique across calls within the test binary.
var tenantSeq atomic.Int64

func tenant(name string) string {
	return fmt.Sprintf("%s-%d", name, tenantSeq.Add(1))
}

// base is a recent whole minute, so that rows are neither too old nor in the future for a store
// that checks, and every boundary is a whole millisecond.
func base() time.Time {
	return time.Now().Add(-90 * time.Minute).Truncate(time.Minute).UTC()
}

// row returns a row with every column filled.
func row(tenant string, at time.Time, i int) audit.Row {
	return audit.Row{
		Time:        at,
		Tenant:      tenant,
		EventID:     fmt.Sprintf("evt-%04d", i),
		Author:      fmt.Sprintf("user%d@example.com", i%5),
		Category:    audit.CategoryAuthentication,
		Summary:     audit.SummaryLogin,
		Description: fmt.Sprintf("user%d@example.com logged in", i%5),
		Outcome:     audit.OutcomeSuccess,
		SourceIP:    "203.0.113.7",
		Target:      fmt.Sprintf("session-%d", i),
		Service:     "lms",
	}
}

// Run runs the conformance suite against sources made by newSource.
func Run(t *testing.T, newSource NewSource) {
	t.Run("TimeOrderAndColumns", func(t *testing.T) { testColumns(t, newSource) })
	t.Run("Bounds", func(t *testing.T) { testBounds(t, newSource) })
	t.Run("TenantIsolation", func(t *testing.T) { testTenantIsolation(t, newSource) })
	t.Run("Duplicates", func(t *testing.T) { testDuplicates(t, newSource) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, newSource) })
	t.Run("LongPeriod", func(t *testing.T) { testLongPeriod(t, newSource) })
	t.Run("DeadLettered", func(t *testing.T) { testDeadLettered(t, newSource) })
	t.Run("StopAndCancel", func(t *testing.T) { testStopAndCancel(t, newSource) })
}

// scan returns the rows of tenant in [from, to), checking their time order and tenant.
func scan(t *testing.T, src reportsource.Source, tenant string, from, to time.Time) []audit.Row {
	t.Helper()
	var out []audit.Row
	require.NoError(t, src.Scan(context.Background(), tenant, from, to, func(r audit.Row) error {
		out = append(out, r)
		return nil
	}))
	for i, r := range out {
		assert.Equal(t, tenant, r.Tenant, "row %d (%s) belongs to the scanned tenant", i, r.EventID)
		assert.False(t, r.Time.Before(from) || !r.Time.Before(to), "row %d (%s) at %s is outside [%s, %s)", i, r.EventID, r.Time, from, to)
		if i > 0 {
			assert.False(t, r.Time.Before(out[i-1].Time), "row %d (%s) is before row %d", i, r.EventID, i-1)
		}
	}
	return out
}

// sorted returns rows by time, then event id: the order a source must follow, with ties in an
// order of the test's choosing. Times are compared as instants and returned in UTC.
func sorted(rows []audit.Row) []audit.Row {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Time = out[i].Time.UTC()
	}
	slices.SortStableFunc(out, func(a, b audit.Row) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
	return out
}

// assertRows checks that got holds exactly want, ties in any order.
func assertRows(t *testing.T, want, got []audit.Row) {
	t.Helper()
	want, got = sorted(want), sorted(got)
	if !assert.Equal(t, len(want), len(got), "row count") {
		return
	}
	for i := range want {
		assert.Equal(t, want[i], got[i], "row %d", i)
	}
}

func count(t *testing.T, src reportsource.Source, tenant string, from, to time.Time) int {
	t.Helper()
	n, err := src.Count(context.Background(), tenant, from, to)
	require.NoError(t, err)
	return n
}

// testColumns stores rows whose columns take every shape a report meets (empty optional
// columns, quotes, separators, non-ASCII, a description that looks like JSON or logfmt) and
// checks that each column comes back as stored.
func testColumns(t *testing.T, newSource NewSource) {
	a := tenant("columns")
	b0 := base()
	var rows []audit.Row
	for i := 0; i < 6; i++ {
		rows = append(rows, row(a, b0.Add(time.Duration(5-i)*time.Second+time.Duration(i)), i))
	}
	rows[1].Author, rows[1].SourceIP, rows[1].Target, rows[1].Category = "", "", "", ""
	rows[1].Outcome = audit.OutcomeFailure
	rows[2].Description = `Zoë "the admin" changed key=value; path=C:\temp` + "\nsecond line\ttab"
	rows[2].Category = "Billing & Payments"
	rows[2].Service = "billing-api"
	rows[2].Author = `o'brien "bob"@example.com`
	rows[3].Description = `{"service_name":"fake","description":"not json"}`
	rows[3].Outcome = audit.OutcomeUnknown
	rows[4].Description = `service_name=lms description=looks-like-logfmt`
	rows[4].SourceIP = "2001:db8::1"
	rows[5].EventID = "h-" + strings.Repeat("0123456789abcdef", 2)
	rows[5].Summary = "Réglages modifiés"
	rows[5].Target = "équipe/Ω"
	src := newSource(t, rows)

	got := scan(t, src, a, b0.Add(-time.Minute), b0.Add(time.Minute))
	assertRows(t, rows, got)
	assert.Equal(t, len(rows), count(t, src, a, b0.Add(-time.Minute), b0.Add(time.Minute)))
}

// testBounds checks [from, to): an event at from is in, one at to is out.
func testBounds(t *testing.T, newSource NewSource) {
	a := tenant("bounds")
	from := base()
	to := from.Add(10 * time.Minute)
	rows := []audit.Row{
		row(a, from.Add(-time.Nanosecond), 0),
		row(a, from, 1),
		row(a, from.Add(5*time.Minute), 2),
		row(a, to.Add(-time.Nanosecond), 3),
		row(a, to, 4),
	}
	src := newSource(t, rows)
	assertRows(t, rows[1:4], scan(t, src, a, from, to))
	assert.Equal(t, 3, count(t, src, a, from, to))
	assert.Empty(t, scan(t, src, a, to, from), "an empty period")
	assert.Zero(t, count(t, src, a, to, from))
	assertRows(t, rows[4:], scan(t, src, a, to, to.Add(time.Minute)))
}

// testTenantIsolation stores two tenants with the same event ids at the same times: neither
// sees the other's rows.
func testTenantIsolation(t *testing.T, newSource NewSource) {
	a, b := tenant("alpha"), tenant("beta")
	b0 := base()
	var rows, wantA, wantB []audit.Row
	for i := 0; i < 10; i++ {
		ra := row(a, b0.Add(time.Duration(i)*time.Second), i)
		rb := row(b, b0.Add(time.Duration(i)*time.Second), i)
		rb.Author = "someone-else@example.com"
		rows = append(rows, ra, rb)
		wantA, wantB = append(wantA, ra), append(wantB, rb)
	}
	src := newSource(t, rows)
	from, to := b0.Add(-time.Minute), b0.Add(time.Minute)
	assertRows(t, wantA, scan(t, src, a, from, to))
	assertRows(t, wantB, scan(t, src, b, from, to))
	assert.Equal(t, 10, count(t, src, a, from, to))
	assert.Empty(t, scan(t, src, tenant("nobody"), from, to))
	assert.Zero(t, count(t, src, tenant("nobody"), from, to))
}

// testDuplicates stores an event twice: it is yielded once. Count may count it twice (it is an
// upper bound) but never less than once.
func testDuplicates(t *testing.T, newSource NewSource) {
	a := tenant("dups")
	b0 := base()
	rows := []audit.Row{row(a, b0, 0), row(a, b0.Add(time.Second), 1), row(a, b0.Add(2*time.Second), 2)}
	rows = append(rows, rows[1], rows[1])
	src := newSource(t, rows)
	from, to := b0.Add(-time.Minute), b0.Add(time.Minute)
	assertRows(t, rows[:3], scan(t, src, a, from, to))
	n := count(t, src, a, from, to)
	assert.GreaterOrEqual(t, n, 3)
	assert.LessOrEqual(t, n, len(rows))
}

// testPaging stores many more rows than a page, in groups that share a timestamp: groups of
// three (page boundaries fall inside them), one of exactly a page, and two of more than a
// page, one of them with ids that share long prefixes.
func testPaging(t *testing.T, newSource NewSource) {
	a := tenant("paging")
	b0 := base()
	var rows []audit.Row
	i := 0
	add := func(at time.Time, n int, id func(int) string) {
		for k := 0; k < n; k++ {
			r := row(a, at, i)
			if id != nil {
				r.EventID = id(k)
			}
			rows = append(rows, r)
			i++
		}
	}
	for g := 0; g < 12; g++ {
		add(b0.Add(time.Duration(g)*time.Millisecond), 3, nil)
	}
	add(b0.Add(20*time.Millisecond), PageSize, nil)
	add(b0.Add(21*time.Millisecond), 3*PageSize+2, nil)
	add(b0.Add(22*time.Millisecond+time.Nanosecond), 1, nil)
	add(b0.Add(23*time.Millisecond), 2*PageSize+1, func(k int) string {
		return fmt.Sprintf("tenant-wide/shared-prefix/%c%03d", 'a'+rune(k%3), k)
	})
	add(b0.Add(24*time.Millisecond), 2, nil)
	src := newSource(t, rows)
	from, to := b0, b0.Add(time.Second)
	assertRows(t, rows, scan(t, src, a, from, to))
	assert.Equal(t, len(rows), count(t, src, a, from, to))
	// A period that starts inside a group.
	assertRows(t, rows[36:], scan(t, src, a, b0.Add(20*time.Millisecond), to))
}

// testLongPeriod reads a period longer than Loki's default max_query_length (721h).
func testLongPeriod(t *testing.T, newSource NewSource) {
	a := tenant("long")
	b0 := base()
	rows := []audit.Row{row(a, b0, 0), row(a, b0.Add(time.Minute), 1)}
	src := newSource(t, rows)
	from, to := b0.Add(-722*time.Hour), b0.Add(time.Hour)
	assertRows(t, rows, scan(t, src, a, from, to))
	assert.Equal(t, 2, count(t, src, a, from, to))
}

// testDeadLettered: events that were all delivered leave nothing dead-lettered.
func testDeadLettered(t *testing.T, newSource NewSource) {
	a := tenant("delivered")
	b0 := base()
	src := newSource(t, []audit.Row{row(a, b0, 0)})
	n, err := src.DeadLettered(context.Background(), a, b0.Add(-time.Hour), b0.Add(time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.GreaterOrEqual(t, src.SettleDelay(), time.Duration(0))
	assert.GreaterOrEqual(t, src.Retention(), time.Duration(0))
}

// testStopAndCancel: fn's error stops Scan and is returned; a cancelled context fails.
func testStopAndCancel(t *testing.T, newSource NewSource) {
	a := tenant("stop")
	b0 := base()
	var rows []audit.Row
	for i := 0; i < 3*PageSize; i++ {
		rows = append(rows, row(a, b0.Add(time.Duration(i)*time.Millisecond), i))
	}
	src := newSource(t, rows)
	from, to := b0, b0.Add(time.Minute)
	stop := errors.New("stop here")
	calls := 0
	err := src.Scan(context.Background(), a, from, to, func(audit.Row) error {
		calls++
		if calls == PageSize+1 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, PageSize+1, calls)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Error(t, src.Scan(ctx, a, from, to, func(audit.Row) error { return nil }))
	_, err = src.Count(ctx, a, from, to)
	assert.Error(t, err)
}
