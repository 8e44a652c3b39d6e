package spool

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// TestFingerprintCollisionIsNotADuplicate: an id whose fingerprint another staged id holds
// is stored, held in full, deduplicated while staged and after compaction, and expired with
// its day.
func TestFingerprintCollisionIsNotADuplicate(t *testing.T) {
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	s := openTest(t, Options{Retention: 7 * 24 * time.Hour, Now: func() time.Time { return now }})
	old := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	_, err := s.Append(context.Background(), []audit.Row{ev("a", "first", old)})
	require.NoError(t, err)
	ids := s.ids.tenants["a"]
	// Give "second" the fingerprint of the staged "first", as a 64-bit collision would.
	first, second := maphash.String(s.ids.seed, "first"), maphash.String(s.ids.seed, "second")
	ids.staged[second] = ids.staged[first]
	res, err := s.Append(context.Background(), []audit.Row{ev("a", "second", old.Add(time.Minute))})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 1}, res, "a shared fingerprint is confirmed against the staged row")
	assert.Contains(t, ids.exact, "second")
	delete(ids.staged, second)
	res, err = s.Append(context.Background(), []audit.Row{ev("a", "second", old), ev("a", "first", old)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Duplicates: 2}, res, "staged ids held in full or by fingerprint")

	require.NoError(t, s.settle("a"))
	assert.Empty(t, ids.staged)
	assert.Empty(t, ids.exact)
	res, err = s.Append(context.Background(), []audit.Row{ev("a", "second", old), ev("a", "first", old)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Duplicates: 2}, res, "compacted ids are in the on-disk index")

	exp, err := s.Expire()
	require.NoError(t, err)
	assert.Equal(t, ExpireResult{Days: 1, Events: 2}, exp)
	assert.Zero(t, dedupEntries(t, s, "a"))
	res, err = s.Append(context.Background(), []audit.Row{ev("a", "second", old), ev("a", "first", old)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 2}, res, "expired ids can be stored again")
}

// lastTxID is the id of the last committed write transaction.
func lastTxID(t *testing.T, s *Spool) int {
	t.Helper()
	var id int
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }))
	return id
}

// dedupEntries counts the on-disk id index of tenant.
func dedupEntries(t *testing.T, s *Spool, tenant string) int {
	t.Helper()
	n := 0
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketDedup).Bucket([]byte(tenant)); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	}))
	return n
}

// TestFailedCommitLeavesNoIDs: ids added by a transaction that does not commit are not
// duplicates afterwards, and the other calls of its group still commit.
func TestFailedCommitLeavesNoIDs(t *testing.T) {
	s := openTest(t, Options{})
	// A plain key where tenant "bad"'s staging bucket would go makes its creation fail.
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketStaging).Put([]byte("bad"), []byte("x")) }))
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	calls := []*appendCall{{events: []audit.Row{ev("a", "1", at)}}, {events: []audit.Row{ev("a", "2", at), ev("bad", "3", at)}}}
	s.commitMu.Lock()
	s.commitCalls(calls)
	s.commitMu.Unlock()
	require.NoError(t, calls[0].err)
	assert.Equal(t, AppendResult{Stored: 1}, calls[0].res)
	require.ErrorIs(t, calls[1].err, bolt.ErrIncompatibleValue)
	assert.Equal(t, AppendResult{}, calls[1].res)
	assert.Equal(t, 1, s.ids.tenants["a"].stagedRows)

	res, err := s.Append(context.Background(), []audit.Row{ev("a", "2", at), ev("a", "1", at)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 1, Duplicates: 1}, res, "only the committed id is known")
}

// TestTimesOutsideNanosecondRange: an event whose time has no Unix-nanosecond key for its
// day is still deduplicated, before and after reopening.
func TestTimesOutsideNanosecondRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	far := []audit.Row{ev("a", "late", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)), ev("a", "early", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC))}
	res, err := s.Append(context.Background(), far)
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 2}, res)
	res, err = s.Append(context.Background(), far)
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Duplicates: 2}, res)
	require.NoError(t, s.Close())

	s, err = Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	res, err = s.Append(context.Background(), far)
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Duplicates: 2}, res)
}

// TestOpensVersion1File: a version 1 file opens as version 2, keeps its on-disk id index
// and deduplicates against it.
func TestOpensVersion1File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		day, err := createPath(tx, "events", "acme", at.Format(dayLayout))
		if err != nil {
			return err
		}
		dedup, err := createPath(tx, "dedup", "acme")
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte("meta")); err != nil {
			return err
		}
		for i := range 3 {
			e := ev("acme", "v1-"+strconv.Itoa(i), at.Add(time.Duration(i)*time.Second))
			key := binary.BigEndian.AppendUint64(nil, encodeTime(e.Time))
			if err := day.Put(append(key, e.EventID...), encodeValue(nil, &e)); err != nil {
				return err
			}
			if err := dedup.Put([]byte(e.EventID), key); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())

	s, err := Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		assert.Equal(t, "2", string(tx.Bucket(bucketFormat).Get(keyVersion)))
		assert.NotNil(t, tx.Bucket(bucketStaging))
		return nil
	}))
	assert.Equal(t, 3, dedupEntries(t, s, "acme"), "the on-disk index is kept")
	res, err := s.Append(context.Background(), []audit.Row{ev("acme", "v1-1", at), ev("acme", "new", at)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 1, Duplicates: 1}, res)
	got := collect(t, s, "acme", at, at.Add(time.Minute))
	require.Len(t, got, 4)
	assert.Equal(t, "v1-2", got[3].EventID)
	assert.Equal(t, ev("acme", "v1-2", at.Add(2*time.Second)).Target, got[3].Target, "version 1 rows read back")
	assert.Equal(t, 4, dedupEntries(t, s, "acme"))
}

func TestRefusesNewerFileVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketFormat).Put(keyVersion, []byte("3")) }))
	require.NoError(t, s.Close())
	_, err = Open(path, Options{})
	assert.ErrorContains(t, err, "newer than this build")
}

func createPath(tx *bolt.Tx, names ...string) (*bolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists([]byte(names[0]))
	for _, n := range names[1:] {
		if err != nil {
			return nil, err
		}
		b, err = b.CreateBucketIfNotExists([]byte(n))
	}
	return b, err
}

// TestCompactionKeepsOrderAndDuplicates: events staged out of order over several days and
// several compactions read back in time order, once each, and stay duplicates whether
// staged or compacted.
func TestCompactionKeepsOrderAndDuplicates(t *testing.T) {
	s := openTest(t, Options{ScanChunk: 7})
	s.compactAfter = 50
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const n = 500
	var all []audit.Row
	for i := range n {
		// Spread over three days, out of order, with equal times every tenth event.
		at := base.Add(time.Duration((i*7919)%n) * 8 * time.Minute)
		if i%10 == 0 {
			at = base.Add(36 * time.Hour)
		}
		all = append(all, ev("a", "id-"+strconv.Itoa(i), at))
	}
	for i := 0; i < n; i += 30 {
		res, err := s.Append(context.Background(), all[i:min(i+30, n)])
		require.NoError(t, err)
		require.Equal(t, min(30, n-i), res.Stored)
		// Every batch re-sends one event of the previous batch.
		if i > 0 {
			res, err = s.Append(context.Background(), []audit.Row{all[i-1]})
			require.NoError(t, err)
			require.Equal(t, AppendResult{Duplicates: 1}, res)
		}
	}
	assert.Less(t, s.ids.tenants["a"].stagedRows, 50+30, "compacted on the way")
	got := collect(t, s, "a", base, base.Add(72*time.Hour))
	require.Equal(t, n, len(got))
	assert.Zero(t, s.ids.tenants["a"].stagedRows)
	assert.True(t, slices.IsSortedFunc(got, func(x, y audit.Row) int {
		return cmp.Or(x.Time.Compare(y.Time), strings.Compare(x.EventID, y.EventID))
	}))
	seen := map[string]bool{}
	for _, e := range got {
		assert.False(t, seen[e.EventID], e.EventID)
		seen[e.EventID] = true
	}
	res, err := s.Append(context.Background(), all)
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Duplicates: n}, res)
	assert.Equal(t, n, dedupEntries(t, s, "a"))
}

// TestStagedEventsSurviveReopen: events still staged when the process stops are read back
// and deduplicated by the next Open.
func TestStagedEventsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	_, err = s.Append(context.Background(), []audit.Row{ev("a", "1", at), ev("a", "2", at.Add(time.Second))})
	require.NoError(t, err)
	// Close without compacting, as a killed process would leave the file.
	s.ids.tenants = map[string]*tenantIDs{}
	require.NoError(t, s.Close())

	s, err = Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, 2, s.ids.tenants["a"].stagedRows)
	res, err := s.Append(context.Background(), []audit.Row{ev("a", "2", at), ev("a", "3", at)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 1, Duplicates: 1}, res)
	assert.Equal(t, uint64(3), s.ids.tenants["a"].nextSeq)
	n, err := s.Count(context.Background(), "a", at, at.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 3, n)
}

// TestStagedEventsOfAllTenantsAreBounded: many tenants that each stage fewer events than
// a compaction needs are compacted, largest first, once together they stage too many.
func TestStagedEventsOfAllTenantsAreBounded(t *testing.T) {
	s := openTest(t, Options{})
	s.compactAfter = 10
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	for tenant := range 20 {
		var batch []audit.Row
		for i := range 9 - tenant%3 {
			batch = append(batch, ev("t"+strconv.Itoa(tenant), strconv.Itoa(i), at))
		}
		_, err := s.Append(context.Background(), batch)
		require.NoError(t, err)
		assert.LessOrEqual(t, s.ids.staged, maxStagedTenants*s.compactAfter)
	}
	total := 0
	for name, ids := range s.ids.tenants {
		assert.Less(t, ids.stagedRows, 10, name)
		total += ids.stagedRows
	}
	assert.Equal(t, s.ids.staged, total)
	for tenant := range 20 {
		n, err := s.Count(context.Background(), "t"+strconv.Itoa(tenant), at, at.Add(time.Second))
		require.NoError(t, err)
		assert.Equal(t, 9-tenant%3, n)
	}
	assert.Zero(t, s.ids.staged)
}

// TestCompactionInBoundedTransactions: a compaction that changes more pages than one
// transaction may hold goes on in further transactions, with the same outcome.
func TestCompactionInBoundedTransactions(t *testing.T) {
	s := openTest(t, Options{})
	s.compactNodes = 2
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const n = 3000
	var all []audit.Row
	for i := range n {
		all = append(all, ev("a", fmt.Sprintf("%08x", uint32(i)*2654435761), base.Add(time.Duration((i*7919)%n)*time.Minute)))
	}
	_, err := s.Append(context.Background(), all)
	require.NoError(t, err)
	before := lastTxID(t, s)
	require.NoError(t, s.settle("a"))
	assert.Greater(t, lastTxID(t, s)-before, 4, "several transactions")
	assert.Equal(t, n, dedupEntries(t, s, "a"))
	n2, err := s.Count(context.Background(), "a", base, base.Add(time.Duration(n)*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, n, n2)
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		assert.Nil(t, tx.Bucket(bucketStaging).Bucket([]byte("a")), "staging emptied")
		return nil
	}))
	res, err := s.Append(context.Background(), all)
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Duplicates: n}, res)
}

// TestIndexedButStillStagedAfterCrash: a compaction stopped between writing the on-disk
// index and moving the rows (a crash) leaves events that are duplicates and read back once.
func TestIndexedButStillStagedAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	_, err = s.Append(context.Background(), []audit.Row{ev("a", "1", at), ev("a", "2", at.Add(time.Second))})
	require.NoError(t, err)
	// The index part of a compaction, then a stop without the rest.
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		d, err := tx.Bucket(bucketDedup).CreateBucketIfNotExists([]byte("a"))
		if err != nil {
			return err
		}
		for _, id := range []string{"1", "2"} {
			if err := d.Put([]byte(id), binary.BigEndian.AppendUint64(nil, encodeTime(at))); err != nil {
				return err
			}
		}
		return nil
	}))
	s.ids.tenants = map[string]*tenantIDs{}
	require.NoError(t, s.Close())

	s, err = Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	res, err := s.Append(context.Background(), []audit.Row{ev("a", "1", at), ev("a", "2", at), ev("a", "3", at)})
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Stored: 1, Duplicates: 2}, res)
	got := collect(t, s, "a", at, at.Add(time.Minute))
	require.Len(t, got, 3)
	assert.Equal(t, 3, dedupEntries(t, s, "a"))
}

// TestMemoryHoldsOnlyStagedIDs: the ids held in memory are those of staged events, bounded
// by the staging cap, however many events the spool retains; the rest are found on disk.
func TestMemoryHoldsOnlyStagedIDs(t *testing.T) {
	n := 300_000
	if testing.Short() {
		n = 30_000
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	s, err := Open(path, Options{})
	require.NoError(t, err)
	s.compactAfter = 4096
	const batch = 2000
	bound := maxStagedTenants*s.compactAfter + batch
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := func(i int) string { return fmt.Sprintf("h-%016x", uint64(i)*0x9E3779B97F4A7C15) }
	rows := make([]audit.Row, 0, batch)
	for i := 0; i < n; i += batch {
		rows = rows[:0]
		for j := i; j < min(i+batch, n); j++ {
			// Three tenants, 60 days.
			rows = append(rows, ev("t"+strconv.Itoa(j%3), id(j), base.Add(time.Duration(j)*(60*24*time.Hour)/time.Duration(n))))
		}
		res, err := s.Append(context.Background(), rows)
		require.NoError(t, err)
		require.Equal(t, len(rows), res.Stored)
		held := 0
		for _, ids := range s.ids.tenants {
			require.Equal(t, ids.stagedRows, len(ids.staged)+len(ids.exact))
			held += ids.stagedRows
		}
		require.Equal(t, s.ids.staged, held)
		require.LessOrEqual(t, held, bound, "after %d events", i+len(rows))
	}
	require.NoError(t, s.Close())

	s, err = Open(path, Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.Zero(t, s.ids.staged, "nothing staged after Close")
	for _, tenant := range []string{"t0", "t1", "t2"} {
		assert.Equal(t, n/3, dedupEntries(t, s, tenant))
	}
	// Every id is a duplicate, found on disk; the memory still holds none of them.
	rows = rows[:0]
	for j := 0; j < n; j += 97 {
		rows = append(rows, ev("t"+strconv.Itoa(j%3), id(j), base))
	}
	res, err := s.Append(context.Background(), rows)
	require.NoError(t, err)
	assert.Equal(t, AppendResult{Duplicates: len(rows)}, res)
	assert.Zero(t, s.ids.staged)
}
