package spool

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func TestMain(m *testing.M) {
	if os.Getenv("SPOOL_CRASH_CHILD") != "" {
		crashChild()
		return
	}
	goleak.VerifyTestMain(m)
}

func openTest(t testing.TB, opts Options) *Spool {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "spool.db"), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ev(tenant, id string, at time.Time) audit.Row {
	return audit.Row{Time: at, Tenant: tenant, EventID: id, Author: "alice@example.com", Category: "Authentication",
		Summary: "Login", Description: "Alice logged in", Outcome: "success", SourceIP: "192.0.2.1", Target: "app " + id}
}

func collect(t *testing.T, s *Spool, tenant string, from, to time.Time) []audit.Row {
	t.Helper()
	var out []audit.Row
	require.NoError(t, s.Scan(context.Background(), tenant, from, to, func(e audit.Row) error {
		out = append(out, e)
		return nil
	}))
	return out
}

func TestAppendScanRoundTripAndOrder(t *testing.T) {
	s := openTest(t, Options{ScanChunk: 3}) // small chunks exercise resumption across transactions
	base := time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC)
	var in []audit.Row
	// Out of order, across three UTC days, with equal timestamps.
	for i := 9; i >= 0; i-- {
		in = append(in, ev("acme", "e"+strconv.Itoa(i), base.Add(time.Duration(i)*4*time.Hour)))
	}
	in = append(in, ev("acme", "z-same-time", base))
	res, err := s.Append(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 11}, res)

	got := collect(t, s, "acme", base, base.Add(48*time.Hour))
	require.Len(t, got, 11)
	ids := make([]string, len(got))
	for i, e := range got {
		ids[i] = e.EventID
	}
	assert.Equal(t, []string{"e0", "z-same-time", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"}, ids)
	assert.Equal(t, in[len(in)-1], got[1], "every field round-trips")
	assert.True(t, got[0].Time.Equal(base))

	// Half-open window: from inclusive, to exclusive.
	got = collect(t, s, "acme", base.Add(4*time.Hour), base.Add(12*time.Hour))
	require.Len(t, got, 2)
	assert.Equal(t, "e1", got[0].EventID)
	assert.Equal(t, "e2", got[1].EventID)
}

func TestScanIsolatesTenants(t *testing.T) {
	s := openTest(t, Options{})
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	_, err := s.Append(context.Background(), []audit.Row{ev("a", "1", at), ev("b", "2", at), ev("a", "3", at)})
	require.NoError(t, err)
	got := collect(t, s, "a", at, at.Add(time.Hour))
	require.Len(t, got, 2)
	for _, e := range got {
		assert.Equal(t, "a", e.Tenant)
	}
	assert.Empty(t, collect(t, s, "nobody", at, at.Add(time.Hour)))
}

func TestDeduplicatesByEventID(t *testing.T) {
	s := openTest(t, Options{})
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	res, err := s.Append(context.Background(), []audit.Row{ev("a", "1", at), ev("a", "1", at)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 1, Duplicates: 1}, res)
	// Re-delivery with a different timestamp is still the same event.
	res, err = s.Append(context.Background(), []audit.Row{ev("a", "1", at.Add(time.Hour)), ev("b", "1", at)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 1, Duplicates: 1}, res, "ids are per tenant")
	assert.Len(t, collect(t, s, "a", at, at.Add(2*time.Hour)), 1)
}

func TestAppendRejectsInvalidEvents(t *testing.T) {
	s := openTest(t, Options{})
	at := time.Now()
	_, err := s.Append(context.Background(), []audit.Row{ev("", "1", at)})
	assert.ErrorIs(t, err, ErrNoTenant)
	_, err = s.Append(context.Background(), []audit.Row{ev("a", "", at)})
	assert.ErrorIs(t, err, ErrNoEventID)
	_, err = s.Append(context.Background(), []audit.Row{ev("a", string(make([]byte, MaxEventIDLength+1)), at)})
	assert.ErrorIs(t, err, ErrEventIDLong)
}

func TestConcurrentAppendsShareCommits(t *testing.T) {
	s := openTest(t, Options{})
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				// Half the ids collide across workers.
				_, err := s.Append(context.Background(), []audit.Row{ev("t", fmt.Sprintf("w%d-%d", w, i), at), ev("t", fmt.Sprintf("shared-%d", i), at)})
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	n, err := s.Count(context.Background(), "t", at, at.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 8*20+20, n)
}

func TestExpireRemovesDaysAndTheirDedupEntries(t *testing.T) {
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	s := openTest(t, Options{Retention: 7 * 24 * time.Hour, Now: func() time.Time { return now }})
	old := time.Date(2026, 2, 2, 23, 59, 0, 0, time.UTC) // day ended Feb 3 00:00, before Feb 3 12:00
	kept := time.Date(2026, 2, 3, 0, 1, 0, 0, time.UTC)  // day ends Feb 4, inside retention
	_, err := s.Append(context.Background(), []audit.Row{ev("a", "old", old), ev("a", "kept", kept), ev("b", "old", old)})
	require.NoError(t, err)

	res, err := s.Expire()
	require.NoError(t, err)
	assert.Equal(t, ExpireResult{Days: 2, Events: 2}, res)
	assert.Empty(t, collect(t, s, "a", old.Add(-time.Hour), old.Add(time.Minute)))
	assert.Len(t, collect(t, s, "a", kept, kept.Add(time.Minute)), 1)

	// The dedup entry went with the data: the id can be stored again.
	r, err := s.Append(context.Background(), []audit.Row{ev("a", "old", old), ev("a", "kept", kept)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 1, Duplicates: 1}, r)
}

func TestMetaNamespace(t *testing.T) {
	s := openTest(t, Options{})
	v, err := s.Get("ledger", "missing")
	require.NoError(t, err)
	assert.Nil(t, v)
	require.NoError(t, s.Put("ledger", "r/a/1", []byte("x")))
	require.NoError(t, s.Put("ledger", "r/a/2", []byte("y")))
	require.NoError(t, s.Put("ledger", "s/a/1", []byte("z")))
	var keys []string
	require.NoError(t, s.ForEach("ledger", "r/", func(k string, _ []byte) error { keys = append(keys, k); return nil }))
	assert.Equal(t, []string{"r/a/1", "r/a/2"}, keys)
	require.NoError(t, s.Delete("ledger", "r/a/1"))
	v, err = s.Get("ledger", "r/a/1")
	require.NoError(t, err)
	assert.Nil(t, v)
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	_, err = s.Append(context.Background(), []audit.Row{ev("a", "1", at)})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = s.Append(context.Background(), []audit.Row{ev("a", "2", at)})
	assert.ErrorIs(t, err, ErrClosed)

	s, err = Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	res, err := s.Append(context.Background(), []audit.Row{ev("a", "1", at)})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Duplicates)
}

// crashChild appends acknowledged batches and prints each acknowledged id; the parent
// kills it with SIGKILL mid-stream.
func crashChild() {
	s, err := Open(os.Getenv("SPOOL_CRASH_CHILD"), Options{})
	if err != nil {
		fmt.Println("open:", err)
		return
	}
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	for i := 0; ; i++ {
		batch := make([]audit.Row, 50)
		for j := range batch {
			batch[j] = ev("a", fmt.Sprintf("%d-%d", i, j), at)
		}
		if _, err := s.Append(context.Background(), batch); err != nil {
			fmt.Println("append:", err)
			return
		}
		fmt.Printf("ack %d\n", i)
	}
}

// TestSurvivesKill9 kills a writer with SIGKILL and checks that every acknowledged batch is
// in the reopened spool.
func TestSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SPOOL_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	acked := -1
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 512)
	for acked < 20 {
		n, err := out.Read(tmp)
		require.NoError(t, err)
		buf = append(buf, tmp[:n]...)
		for {
			i := indexByte(buf, '\n')
			if i < 0 {
				break
			}
			var k int
			if _, err := fmt.Sscanf(string(buf[:i]), "ack %d", &k); err == nil {
				acked = k
			}
			buf = buf[i+1:]
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	s, err := Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	n, err := s.Count(context.Background(), "a", at, at.Add(time.Second))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, (acked+1)*50, "every acknowledged batch survived")
	assert.Zero(t, n%50, "batches are atomic")
	batch := make([]audit.Row, 50)
	for j := range batch {
		batch[j] = ev("a", fmt.Sprintf("%d-%d", acked, j), at)
	}
	res, err := s.Append(context.Background(), batch)
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Duplicates: 50}, res, "acknowledged ids are known after the crash")
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// TestDecodesVersion1Values: values written before Service existed still read back.
func TestDecodesVersion1Values(t *testing.T) {
	e := audit.Row{Author: "alice", Category: "Users", Summary: "User created", Description: "d", Outcome: "success", SourceIP: "192.0.2.1", Target: "bob", Service: "lms"}
	v2 := encodeValue(nil, &e)
	// Version 1 is the same encoding without the trailing service field.
	v1 := append([]byte{1}, v2[1:len(v2)-1-len(e.Service)]...)
	key := append(make([]byte, 8), "id-1"...)
	got, err := decodeEvent("acme", key, v1)
	if err != nil {
		t.Fatal(err)
	}
	want := e
	want.Service, want.Tenant, want.EventID, want.Time = "", "acme", "id-1", got.Time
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	got, err = decodeEvent("acme", key, v2)
	if err != nil || got.Service != "lms" {
		t.Fatalf("version 2: %+v, %v", got, err)
	}
}

// TestAppendInterleavedTenantsAndDays: one batch that switches tenant and day back and
// forth still partitions every event correctly and dedupes within each tenant.
func TestAppendInterleavedTenantsAndDays(t *testing.T) {
	s := openTest(t, Options{})
	d1 := time.Date(2026, 1, 5, 23, 0, 0, 0, time.UTC)
	d2 := d1.Add(2 * time.Hour)
	res, err := s.Append(context.Background(), []audit.Row{
		ev("a", "1", d1), ev("b", "1", d1), ev("a", "2", d2), ev("a", "3", d1),
		ev("b", "2", d2), ev("a", "1", d2), ev("b", "1", d2), ev("a", "4", d2),
	})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 6, Duplicates: 2}, res)
	ids := func(tenant string, from time.Time) []string {
		var out []string
		for _, e := range collect(t, s, tenant, from, from.Add(time.Hour)) {
			assert.Equal(t, tenant, e.Tenant)
			out = append(out, e.EventID)
		}
		return out
	}
	assert.Equal(t, []string{"1", "3"}, ids("a", d1))
	assert.Equal(t, []string{"2", "4"}, ids("a", d2))
	assert.Equal(t, []string{"1"}, ids("b", d1))
	assert.Equal(t, []string{"2"}, ids("b", d2))
}

func TestUnixDayMatchesUTCDate(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 23, 59, 59, 999999999, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 5, 1, 0, 0, 0, time.FixedZone("east", 3*3600)), // Jan 4 in UTC
	} {
		// Truncate rounds down from the zero time, which is midnight UTC.
		want := at.Truncate(24*time.Hour).Unix() / 86400
		assert.Equal(t, want, unixDay(at), at)
	}
}

func TestValueLenMatchesEncoding(t *testing.T) {
	e := ev("a", "1", time.Now())
	e.Description = string(make([]byte, 300)) // a two-byte length
	e.Service = "lms"
	assert.Len(t, encodeValue(nil, &e), valueLen(&e))
}
