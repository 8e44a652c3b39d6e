package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// MaxEventIDLength bounds event ids, which are bbolt keys (limit 32 KiB).
const MaxEventIDLength = 1024

// Errors returned by Append for events that cannot be stored.
var (
	ErrNoTenant     = errors.New("event has no tenant")
	ErrNoEventID    = errors.New("event has no event id")
	ErrEventIDLong  = errors.New("event id is longer than 1024 bytes")
	ErrClosed       = errors.New("spool is closed")
	errStopScanning = errors.New("stop")
)

var (
	bucketEvents  = []byte("events")
	bucketDedup   = []byte("dedup")
	bucketStaging = []byte("staging")
	bucketMeta    = []byte("meta")
	bucketFormat  = []byte("format")
	keyVersion    = []byte("version")
)

// fileVersion is the layout version in "format"/"version". Version 1 (no version key) had
// no staging bucket, and its "dedup" index held every stored event; version 2's holds
// those not staged.
const fileVersion = 2

const dayLayout = "2006-01-02"

// Options tune a Spool. The zero value is usable.
type Options struct {
	// Retention is how long events are kept, measured from the end of their UTC day. Zero
	// keeps everything.
	Retention time.Duration
	// MaxBatchDelay is how long a commit waits for more Appends to join it before it starts.
	// Zero starts at once: Appends that arrive while a commit runs are held for the next one,
	// which is what groups commits under load without delaying a lone caller.
	MaxBatchDelay time.Duration
	// MaxBatchSize is how many Append calls one commit may hold. Zero means 1000.
	MaxBatchSize int
	// ScanChunk is how many events a Scan reads per read transaction. Zero means 4096.
	ScanChunk int
	// Now is the clock for retention; nil means time.Now.
	Now func() time.Time
}

// Spool is a durable, deduplicating event store. It is safe for concurrent use.
type Spool struct {
	db   *bolt.DB
	opts Options

	queueMu sync.Mutex
	queue   []*appendCall // Appends waiting for a commit
	leading bool          // a caller is committing the queue
	closed  bool
	pending sync.WaitGroup // Appends queued and not yet answered

	// commitMu is held for every write transaction that reads or changes the staged ids or
	// the staging state, and until they match the outcome of its commit.
	commitMu sync.Mutex
	ids      stagedIndex
	spare    []*appendCall // the previous queue's array, for reuse
	tenants  map[string]*tenantTx
	vals     []byte
	// compactAfter and compactNodes are the constants compactAfter and maxCompactNodes;
	// tests lower them.
	compactAfter, compactNodes int
	due                        []string    // tenants that reached compactAfter
	rows                       []stagedRow // compact's sort buffer, kept between compactions
}

// appendCall is one Append waiting for, or done with, its commit.
type appendCall struct {
	events []audit.Row
	res    AppendResult
	err    error
	// ready is signalled once the call is answered, or once it is to lead (lead set).
	ready chan struct{}
	lead  bool
}

// defaultMaxBatchSize matches bbolt's Batch default.
const defaultMaxBatchSize = 1000

// Open opens or creates the spool file at path. The parent directory is created with mode
// 0700, the file with 0600: audit data is sensitive. Open reads the staged events' ids
// into memory (see stagedIndex).
func Open(path string, opts Options) (*Spool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         5 * time.Second, // another process holds the file lock
		FreelistType:    bolt.FreelistMapType,
		NoFreelistSync:  true, // rebuilt on open; halves the pages written per commit
		InitialMmapSize: 64 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", path, err)
	}
	if opts.MaxBatchSize <= 0 {
		opts.MaxBatchSize = defaultMaxBatchSize
	}
	if opts.ScanChunk <= 0 {
		opts.ScanChunk = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Spool{db: db, opts: opts, ids: newStagedIndex(), compactAfter: compactAfter, compactNodes: maxCompactNodes}
	if err = db.Update(initialise); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("initialise spool: %w", err)
	}
	if err = db.View(s.ids.load); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("read spool staged event ids: %w", err)
	}
	return s, nil
}

// initialise creates the buckets and marks a version 1 file as version 2: its buckets are
// version 2's, with nothing staged.
func initialise(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketEvents, bucketDedup, bucketStaging, bucketMeta, bucketFormat} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	format := tx.Bucket(bucketFormat)
	v := format.Get(keyVersion)
	if v != nil {
		n, err := strconv.Atoi(string(v))
		switch {
		case err != nil:
			return fmt.Errorf("unreadable file format version %q", v)
		case n > fileVersion:
			return fmt.Errorf("file format version %d is newer than this build reads (%d)", n, fileVersion)
		}
	}
	if want := strconv.Itoa(fileVersion); string(v) != want {
		return format.Put(keyVersion, []byte(want))
	}
	return nil
}

// Close answers the Appends already waiting, moves staged events to their days, and closes
// the file.
func (s *Spool) Close() error {
	s.queueMu.Lock()
	s.closed = true
	s.queueMu.Unlock()
	s.pending.Wait()
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	err := s.compactAll()
	return errors.Join(err, s.db.Close())
}

// AppendResult counts what an Append did.
type AppendResult struct {
	// Stored events were new.
	Stored int
	// Duplicates had an event id already in the spool (or earlier in the same batch).
	Duplicates int
}

// Append stores events and returns once they are fsynced. Events that are invalid (no
// tenant, no or too long event id) are not stored: the caller validates first with
// Validate. Concurrent calls share one commit.
func (s *Spool) Append(ctx context.Context, events []audit.Row) (AppendResult, error) {
	if len(events) == 0 {
		return AppendResult{}, nil
	}
	for i := range events {
		if err := Validate(&events[i]); err != nil {
			return AppendResult{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return AppendResult{}, err
	}
	// Group commit: a call joins the queue; if no caller is committing, it leads: it commits
	// everything queued by then in one transaction and one fsync, answers those calls, and
	// hands the lead to the first call queued meanwhile.
	c := &appendCall{events: events, ready: make(chan struct{}, 1)}
	s.queueMu.Lock()
	if s.closed {
		s.queueMu.Unlock()
		return AppendResult{}, ErrClosed
	}
	s.queue = append(s.queue, c)
	s.pending.Add(1)
	lead := !s.leading
	s.leading = true
	s.queueMu.Unlock()
	if !lead {
		<-c.ready
		lead = c.lead
	}
	if lead {
		s.lead(c)
	}
	return c.res, c.err
}

// lead commits the queue as the caller of self, then hands the lead on.
func (s *Spool) lead(self *appendCall) {
	if s.opts.MaxBatchDelay > 0 {
		time.Sleep(s.opts.MaxBatchDelay)
	}
	s.commitMu.Lock()
	s.queueMu.Lock()
	calls := s.queue
	s.queue, s.spare = s.spare[:0], nil
	s.queueMu.Unlock()
	s.commitCalls(calls)
	for _, c := range calls {
		if c != self {
			c.ready <- struct{}{}
		}
		s.pending.Done()
	}
	clear(calls)
	s.spare = calls[:0]
	// The callers are answered; the leader pays for moving staged events to their days.
	_ = s.compactDue()
	s.commitMu.Unlock()

	s.queueMu.Lock()
	if len(s.queue) > 0 {
		next := s.queue[0]
		next.lead = true
		next.ready <- struct{}{}
	} else {
		s.leading = false
	}
	s.queueMu.Unlock()
}

// commitCalls commits calls, at most MaxBatchSize per transaction, and sets their results.
// The caller holds commitMu.
func (s *Spool) commitCalls(calls []*appendCall) {
	for rest := calls; len(rest) > 0; {
		group := rest[:min(len(rest), s.opts.MaxBatchSize)]
		rest = rest[len(group):]
		if err := s.commitGroup(group); err != nil && len(group) > 1 {
			// One call may be what failed: commit each alone, so that the others still do.
			for i := range group {
				_ = s.commitGroup(group[i : i+1])
			}
		}
	}
}

// commitGroup runs the calls of group in one transaction and sets their results. On error
// the staged ids are restored to what the file holds.
func (s *Spool) commitGroup(group []*appendCall) error {
	// bbolt keeps references to values (not keys, which Put copies) until the commit: all
	// values of the transaction go into one buffer, sized up front so it never moves.
	size := 0
	for _, c := range group {
		for i := range c.events {
			size += stagedLen(&c.events[i])
		}
	}
	if cap(s.vals) < size {
		s.vals = make([]byte, 0, size)
	}
	vals := s.vals[:0]
	if s.tenants == nil {
		s.tenants = make(map[string]*tenantTx)
	}
	clear(s.tenants)
	s.ids.begin()
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, c := range group {
			c.res, c.err = AppendResult{}, nil
			var err error
			if vals, err = s.appendTx(tx, c.events, vals, &c.res); err != nil {
				return err
			}
		}
		return nil
	})
	if cap(s.vals) > maxKeptValueBuffer {
		s.vals = nil
	}
	if err != nil {
		s.ids.rollback()
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			err = ErrClosed
		} else {
			err = fmt.Errorf("spool commit: %w", err)
		}
		for _, c := range group {
			c.res, c.err = AppendResult{}, err
		}
	}
	return err
}

// maxKeptValueBuffer bounds the value buffer kept between commits.
const maxKeptValueBuffer = 4 << 20

// Validate reports whether an event can be stored.
func Validate(e *audit.Row) error {
	switch {
	case e.Tenant == "":
		return ErrNoTenant
	case e.EventID == "":
		return ErrNoEventID
	case len(e.EventID) > MaxEventIDLength:
		return ErrEventIDLong
	}
	return nil
}

// tenantTx is one tenant's buckets within an append transaction.
type tenantTx struct {
	ids     *tenantIDs
	staging *bolt.Bucket
	// dedup is a cursor on the tenant's on-disk id index, nil when it has none. The append
	// transaction only reads the index: it writes no page of it.
	dedup *bolt.Cursor
}

// appendTx stages events in tx, their values appended to vals, and returns vals.
func (s *Spool) appendTx(tx *bolt.Tx, events []audit.Row, vals []byte, res *AppendResult) ([]byte, error) {
	var (
		t      *tenantTx // the tenant of the previous event
		tenant string
		keyBuf [8 + MaxEventIDLength]byte
		seqBuf [8]byte
		err    error
	)
	for i := range events {
		e := &events[i]
		if t == nil || e.Tenant != tenant {
			if t, err = s.tenantFor(tx, e.Tenant); err != nil {
				return vals, err
			}
			tenant = e.Tenant
		}
		binary.BigEndian.PutUint64(keyBuf[:8], encodeTime(e.Time))
		key := append(keyBuf[:8], e.EventID...)
		dup, p := s.ids.seen(t.ids, t.staging, t.dedup, key[8:])
		if dup {
			res.Duplicates++
			continue
		}
		seq := t.ids.nextSeq
		binary.BigEndian.PutUint64(seqBuf[:], seq)
		n := len(vals)
		vals = encodeStaged(vals, e, key)
		if err = t.staging.Put(seqBuf[:], vals[n:len(vals):len(vals)]); err != nil {
			return vals, err
		}
		s.ids.add(t.ids, key[8:], p, seq)
		if t.ids.stagedRows >= s.compactAfter && !t.ids.due {
			t.ids.due = true
			s.due = append(s.due, tenant)
		}
		res.Stored++
	}
	return vals, nil
}

// tenantFor returns the buckets of tenant, creating its staging bucket on first use.
func (s *Spool) tenantFor(tx *bolt.Tx, tenant string) (*tenantTx, error) {
	if t := s.tenants[tenant]; t != nil {
		return t, nil
	}
	staging, err := tx.Bucket(bucketStaging).CreateBucketIfNotExists([]byte(tenant))
	if err != nil {
		return nil, err
	}
	// Keys are sequence numbers, so rows are only ever appended: full pages stay full.
	staging.FillPercent = 1.0
	t := &tenantTx{ids: s.ids.tenant(tenant), staging: staging}
	if dedup := tx.Bucket(bucketDedup).Bucket([]byte(tenant)); dedup != nil {
		t.dedup = dedup.Cursor()
	}
	s.tenants[tenant] = t
	return t, nil
}

// unixDay is the number of the UTC day holding t (negative before 1970).
func unixDay(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

// encodeTime maps a signed Unix nanosecond time to an unsigned value that sorts the same way.
func encodeTime(t time.Time) uint64 {
	return uint64(t.UnixNano()) ^ (1 << 63)
}

func decodeTime(v uint64) time.Time {
	return time.Unix(0, int64(v^(1<<63))).UTC()
}

// valueVersion 2 added Service; values written as version 1 still decode, with no service.
const valueVersion = 2

func valueFields(e *audit.Row) [8]string {
	return [...]string{e.Author, e.Category, e.Summary, e.Description, e.Outcome, e.SourceIP, e.Target, e.Service}
}

// valueLen is len(encodeValue(nil, e)).
func valueLen(e *audit.Row) int {
	n := 1
	for _, f := range valueFields(e) {
		n += uvarintLen(uint64(len(f))) + len(f)
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

func encodeValue(b []byte, e *audit.Row) []byte {
	b = append(b, valueVersion)
	for _, f := range valueFields(e) {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

var errCorrupt = errors.New("spool: corrupt event value")

func decodeEvent(tenant string, key, val []byte) (audit.Row, error) {
	if len(key) < 8 || len(val) < 1 || val[0] < 1 || val[0] > valueVersion {
		return audit.Row{}, errCorrupt
	}
	e := audit.Row{
		Time:    decodeTime(binary.BigEndian.Uint64(key[:8])),
		Tenant:  tenant,
		EventID: string(key[8:]),
	}
	fields := []*string{&e.Author, &e.Category, &e.Summary, &e.Description, &e.Outcome, &e.SourceIP, &e.Target, &e.Service}
	if val[0] == 1 {
		fields = fields[:7]
	}
	rest := val[1:]
	for _, f := range fields {
		n, w := binary.Uvarint(rest)
		if w <= 0 || uint64(len(rest)-w) < n {
			return audit.Row{}, errCorrupt
		}
		*f = string(rest[w : w+int(n)])
		rest = rest[w+int(n):]
	}
	return e, nil
}

// Scan calls fn for every event of tenant with from <= Time < to, in time order (ties in
// event id order). It reads in chunks, each in its own short read transaction, so that
// memory stays bounded and a long render never holds a transaction that would stall
// writers when the file grows. fn returning an error stops the scan with that error. The
// tenant's staged events are moved to their days first (one write transaction).
func (s *Spool) Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error {
	if !from.Before(to) {
		return nil
	}
	if err := s.settle(tenant); err != nil {
		return err
	}
	var start [8]byte
	binary.BigEndian.PutUint64(start[:], encodeTime(from))
	endTS := encodeTime(to)
	cursorKey := start[:]
	inclusive := true
	firstDay := from.UTC().Format(dayLayout)
	lastDay := to.Add(-1).UTC().Format(dayLayout)
	day := firstDay
	chunk := make([]audit.Row, 0, s.opts.ScanChunk)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk = chunk[:0]
		var nextDay string
		var lastKey []byte
		err := s.db.View(func(tx *bolt.Tx) error {
			tb := tx.Bucket(bucketEvents).Bucket([]byte(tenant))
			if tb == nil {
				return nil
			}
			// Day buckets sort by name; visit those between firstDay and lastDay.
			dc := tb.Cursor()
			dk, _ := dc.Seek([]byte(day))
			for ; dk != nil && string(dk) <= lastDay; dk, _ = dc.Next() {
				db := tb.Bucket(dk)
				if db == nil {
					continue
				}
				if string(dk) != day { // moved to a new day: start at its beginning
					day, cursorKey, inclusive = string(dk), nil, true
				}
				c := db.Cursor()
				var k, v []byte
				if cursorKey == nil {
					k, v = c.First()
				} else {
					k, v = c.Seek(cursorKey)
					if !inclusive && k != nil && bytes.Equal(k, cursorKey) {
						k, v = c.Next()
					}
				}
				for ; k != nil; k, v = c.Next() {
					if binary.BigEndian.Uint64(k[:8]) >= endTS {
						return nil
					}
					ev, err := decodeEvent(tenant, k, v)
					if err != nil {
						return err
					}
					chunk = append(chunk, ev)
					if len(chunk) == cap(chunk) {
						lastKey = bytes.Clone(k)
						nextDay = day
						return nil
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("spool scan: %w", err)
		}
		for _, ev := range chunk {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if lastKey == nil {
			return nil
		}
		day, cursorKey, inclusive = nextDay, lastKey, false
	}
}

// Count returns how many events of tenant fall in [from, to).
func (s *Spool) Count(ctx context.Context, tenant string, from, to time.Time) (int, error) {
	n := 0
	err := s.Scan(ctx, tenant, from, to, func(audit.Row) error { n++; return nil })
	return n, err
}

// ExpireResult counts what Expire removed.
type ExpireResult struct {
	Days   int
	Events int
}

// Expire removes the day buckets that ended more than Retention ago, with their entries in
// the id index, in one transaction: the index and the data go together or not at all.
// Staged events are moved to their days first, to expire with them.
func (s *Spool) Expire() (ExpireResult, error) {
	var res ExpireResult
	if s.opts.Retention <= 0 {
		return res, nil
	}
	// A day bucket is expired when its whole UTC day is older than the retention.
	cutoff := s.opts.Now().Add(-s.opts.Retention).UTC().Truncate(24*time.Hour).AddDate(0, 0, -1).Format(dayLayout)
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if err := s.compactAll(); err != nil {
		return ExpireResult{}, fmt.Errorf("spool expire: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		res = ExpireResult{}
		eventsRoot, dedupRoot := tx.Bucket(bucketEvents), tx.Bucket(bucketDedup)
		var tenants [][]byte
		if err := eventsRoot.ForEachBucket(func(k []byte) error {
			tenants = append(tenants, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		for _, tenant := range tenants {
			tb, dedup := eventsRoot.Bucket(tenant), dedupRoot.Bucket(tenant)
			var days [][]byte
			c := tb.Cursor()
			for k, _ := c.First(); k != nil && string(k) <= cutoff; k, _ = c.Next() {
				days = append(days, bytes.Clone(k))
			}
			for _, d := range days {
				db := tb.Bucket(d)
				if db != nil && dedup != nil {
					if err := db.ForEach(func(k, _ []byte) error {
						res.Events++
						return dedup.Delete(k[8:])
					}); err != nil {
						return err
					}
				}
				if err := tb.DeleteBucket(d); err != nil {
					return err
				}
				res.Days++
			}
		}
		return nil
	})
	if err != nil {
		return ExpireResult{}, fmt.Errorf("spool expire: %w", err)
	}
	return res, nil
}

// Get returns a copy of the value stored under key in a metadata namespace, or nil.
func (s *Spool) Get(namespace, key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta).Bucket([]byte(namespace)); b != nil {
			out = bytes.Clone(b.Get([]byte(key)))
		}
		return nil
	})
	return out, err
}

// Put stores a metadata value durably (one fsynced transaction).
func (s *Spool) Put(namespace, key string, value []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketMeta).CreateBucketIfNotExists([]byte(namespace))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), value)
	})
}

// Delete removes a metadata key.
func (s *Spool) Delete(namespace, key string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta).Bucket([]byte(namespace)); b != nil {
			return b.Delete([]byte(key))
		}
		return nil
	})
}

// ForEach calls fn for every key of a metadata namespace whose key starts with prefix, in
// key order. The value is only valid during the call.
func (s *Spool) ForEach(namespace, prefix string, fn func(key string, value []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta).Bucket([]byte(namespace))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if err := fn(string(k), v); err != nil {
				if errors.Is(err, errStopScanning) {
					return nil
				}
				return err
			}
		}
		return nil
	})
}
