package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	bucketEvents = []byte("events")
	bucketDedup  = []byte("dedup")
	bucketMeta   = []byte("meta")
)

const dayLayout = "2006-01-02"

// Options tune a Spool. The zero value is usable.
type Options struct {
	// Retention is how long events are kept, measured from the end of their UTC day. Zero
	// keeps everything.
	Retention time.Duration
	// MaxBatchDelay is how long a commit waits for concurrent Appends to join it. Zero means
	// bbolt's default (10ms).
	MaxBatchDelay time.Duration
	// MaxBatchSize is how many Append calls one commit may hold. Zero means bbolt's default.
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
}

// Open opens or creates the spool file at path. The parent directory is created with mode
// 0700, the file with 0600: audit data is sensitive.
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
	if opts.MaxBatchDelay > 0 {
		db.MaxBatchDelay = opts.MaxBatchDelay
	}
	if opts.MaxBatchSize > 0 {
		db.MaxBatchSize = opts.MaxBatchSize
	}
	if opts.ScanChunk <= 0 {
		opts.ScanChunk = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEvents, bucketDedup, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("initialise spool: %w", err)
	}
	return &Spool{db: db, opts: opts}, nil
}

// Close closes the file. Pending Appends finish first.
func (s *Spool) Close() error {
	return s.db.Close()
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
	var res AppendResult
	if len(events) == 0 {
		return res, nil
	}
	for i := range events {
		if err := Validate(&events[i]); err != nil {
			return res, err
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	// Batch may run fn more than once (when another caller's fn fails), so fn starts from
	// zero every time.
	err := s.db.Batch(func(tx *bolt.Tx) error {
		res = AppendResult{}
		return appendTx(tx, events, &res)
	})
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return AppendResult{}, ErrClosed
	}
	if err != nil {
		return AppendResult{}, fmt.Errorf("spool commit: %w", err)
	}
	return res, nil
}

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
	name        string
	days, dedup *bolt.Bucket
	// seen is a cursor reused for every dedup lookup: bbolt's Get allocates a cursor and its
	// stack per call, Seek on a kept cursor does not.
	seen   *bolt.Cursor
	day    *bolt.Bucket // the bucket of UTC day dayNum, nil before the first event
	dayNum int64
}

func appendTx(tx *bolt.Tx, events []audit.Row, res *AppendResult) error {
	eventsRoot, dedupRoot := tx.Bucket(bucketEvents), tx.Bucket(bucketDedup)
	// bbolt keeps references to values (not keys, which Put copies) until the commit: all
	// values of this call go into one buffer, sized up front so it never moves.
	size := 0
	for i := range events {
		size += valueLen(&events[i]) + 8
	}
	vals := make([]byte, 0, size)
	var (
		t       *tenantTx // the tenant of the previous event
		tenants map[string]*tenantTx
		keyBuf  []byte
		err     error
	)
	for i := range events {
		e := &events[i]
		if t == nil || e.Tenant != t.name {
			if t, err = tenantFor(&tenants, eventsRoot, dedupRoot, e.Tenant); err != nil {
				return err
			}
		}
		// keyBuf is timestamp + id: the id part doubles as the dedup key.
		keyBuf = binary.BigEndian.AppendUint64(keyBuf[:0], encodeTime(e.Time))
		keyBuf = append(keyBuf, e.EventID...)
		id := keyBuf[8:]
		if k, _ := t.seen.Seek(id); k != nil && bytes.Equal(k, id) {
			res.Duplicates++
			continue
		}
		if dn := unixDay(e.Time); t.day == nil || dn != t.dayNum {
			day, err := t.days.CreateBucketIfNotExists([]byte(e.Time.UTC().Format(dayLayout)))
			if err != nil {
				return err
			}
			// Events mostly arrive in time order, i.e. appended at the end of the day: a
			// split then leaves full pages behind, so fewer pages are written per commit.
			day.FillPercent = 1.0
			t.day, t.dayNum = day, dn
		}
		n := len(vals)
		vals = encodeValue(vals, e)
		if err = t.day.Put(keyBuf, vals[n:len(vals):len(vals)]); err != nil {
			return err
		}
		vals = append(vals, keyBuf[:8]...)
		if err = t.dedup.Put(id, vals[len(vals)-8:len(vals):len(vals)]); err != nil {
			return err
		}
		res.Stored++
	}
	return nil
}

// tenantFor returns the buckets of tenant, creating them on first use.
func tenantFor(tenants *map[string]*tenantTx, eventsRoot, dedupRoot *bolt.Bucket, tenant string) (*tenantTx, error) {
	if t := (*tenants)[tenant]; t != nil {
		return t, nil
	}
	days, err := eventsRoot.CreateBucketIfNotExists([]byte(tenant))
	if err != nil {
		return nil, err
	}
	dedup, err := dedupRoot.CreateBucketIfNotExists([]byte(tenant))
	if err != nil {
		return nil, err
	}
	t := &tenantTx{name: tenant, days: days, dedup: dedup, seen: dedup.Cursor()}
	if *tenants == nil {
		*tenants = make(map[string]*tenantTx, 1)
	}
	(*tenants)[tenant] = t
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
// writers when the file grows. fn returning an error stops the scan with that error.
func (s *Spool) Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error {
	if !from.Before(to) {
		return nil
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

// Expire removes the day buckets that ended more than Retention ago, with their dedup
// entries, in one transaction: the index and the data go together or not at all.
func (s *Spool) Expire() (ExpireResult, error) {
	var res ExpireResult
	if s.opts.Retention <= 0 {
		return res, nil
	}
	// A day bucket is expired when its whole UTC day is older than the retention.
	cutoff := s.opts.Now().Add(-s.opts.Retention).UTC().Truncate(24*time.Hour).AddDate(0, 0, -1).Format(dayLayout)
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
