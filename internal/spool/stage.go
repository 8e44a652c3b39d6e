package spool

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Staging. An Append writes its events to the tenant's staging bucket, keyed by arrival
// sequence, so that a commit only ever adds to the bucket's last page. Event times arrive
// out of order (a sender batches, a webhook redelivers, clocks differ), and rows keyed by
// time would land all over the recent part of their day, and entries of the id index, keyed
// by random ids, all over the index: a page write per event. Staged events move to the id
// index and to their day buckets in sorted passes (compaction) once a tenant has
// compactAfter of them, before a Scan or Expire, and on Close: a page is then written once
// per compaction for all the events it takes, not once per commit.
//
//	"staging" / <tenant> : sequence(8 bytes, big-endian) -> uvarint(len(key)) varint(UTC day) key row
//
// where key and row are the day bucket's key (time + event id) and value.

// compactAfter is how many staged events make a tenant's compaction due: enough that a
// compaction writes each page of the recent part of a day, and of the id index, once for
// many events, few enough that it takes well under a second, its sort buffer stays a few
// MiB and the staged ids held in memory (see stagedIndex) stay a few MiB.
const compactAfter = 1 << 16

// stagedLen bounds len(encodeStaged(nil, e, key)).
func stagedLen(e *audit.Row) int {
	key := 8 + len(e.EventID)
	return uvarintLen(uint64(key)) + binary.MaxVarintLen64 + key + valueLen(e)
}

func encodeStaged(b []byte, e *audit.Row, key []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = binary.AppendVarint(b, unixDay(e.Time))
	b = append(b, key...)
	return encodeValue(b, e)
}

// stagedRow is one staged event, its slices into the transaction's pages.
type stagedRow struct {
	seq uint64
	day int64
	key []byte // time + event id
	row []byte
}

func decodeStaged(seq, v []byte) (stagedRow, error) {
	n, w := binary.Uvarint(v)
	if w <= 0 || len(seq) != 8 {
		return stagedRow{}, errCorrupt
	}
	v = v[w:]
	day, w := binary.Varint(v)
	if w <= 0 || n < 8 || uint64(len(v)-w) < n {
		return stagedRow{}, errCorrupt
	}
	v = v[w:]
	return stagedRow{seq: binary.BigEndian.Uint64(seq), day: day, key: v[:n], row: v[n:]}, nil
}

// stagedKey returns the key (time + id) of the staged event with sequence seq, or nil.
func stagedKey(staging *bolt.Bucket, seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	v := staging.Get(k[:])
	if v == nil {
		return nil
	}
	r, err := decodeStaged(k[:], v)
	if err != nil {
		return nil
	}
	return r.key
}

// dayName is the name of the bucket of UTC day d.
func dayName(d int64) []byte {
	return []byte(time.Unix(d*86400, 0).UTC().Format(dayLayout))
}

// maxStagedTenants bounds the staged events of all tenants at this many compactAfter, so
// that Close and Open stay quick with many tenants that each stage fewer than compactAfter.
const maxStagedTenants = 4

// compactDue compacts the tenants that reached compactAfter staged events in the last
// commits, then the tenants with the most staged events while all tenants together hold
// more than maxStagedTenants times compactAfter. The caller holds commitMu.
func (s *Spool) compactDue() error {
	var err error
	for _, name := range s.due {
		if t := s.ids.tenants[name]; t != nil {
			t.due = false
			if t.stagedRows >= s.compactAfter {
				err = errors.Join(err, s.compact(name, t))
			}
		}
	}
	clear(s.due)
	s.due = s.due[:0]
	for err == nil && s.ids.staged > maxStagedTenants*s.compactAfter {
		var most string
		for name, t := range s.ids.tenants {
			if most == "" || t.stagedRows > s.ids.tenants[most].stagedRows {
				most = name
			}
		}
		if most == "" || s.ids.tenants[most].stagedRows == 0 {
			break
		}
		err = s.compact(most, s.ids.tenants[most])
	}
	return err
}

// compactAll compacts every tenant with staged events. The caller holds commitMu.
func (s *Spool) compactAll() error {
	var err error
	for name, t := range s.ids.tenants {
		if t.stagedRows > 0 {
			err = errors.Join(err, s.compact(name, t))
		}
	}
	return err
}

// settle compacts tenant, so that its day buckets hold all its events.
func (s *Spool) settle(tenant string) error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	if t := s.ids.tenants[tenant]; t != nil && t.stagedRows > 0 {
		return s.compact(tenant, t)
	}
	return nil
}

// maxCompactNodes bounds the B+tree pages one compaction transaction changes. Each costs
// about 9 KiB of heap until the commit (bbolt's node for it, then its new page), and ids are
// random: a compaction into a large on-disk index may change a page per id. Past the bound
// a compaction goes on in a new transaction, so that it holds at most about 70 MiB.
const maxCompactNodes = 8192

// compact moves the staged events of tenant to the on-disk id index, in id order, then to
// their day buckets, in key order, and empties the tenant's staging bucket. The caller
// holds commitMu.
//
// Each step may take several transactions (see maxCompactNodes). Every one leaves the file
// consistent: index entries of staged events change no outcome, since staged ids are
// duplicates anyway, and rows put into their days again by the compaction after a crash
// are the same keys and values.
func (s *Spool) compact(tenant string, t *tenantIDs) error {
	name := []byte(tenant)
	byID := func(a, b stagedRow) int {
		return cmp.Or(bytes.Compare(a.key[8:], b.key[8:]), cmp.Compare(a.seq, b.seq))
	}
	for done, last := 0, false; !last; {
		next, end := done, false
		err := s.db.Update(func(tx *bolt.Tx) error {
			return s.withStaged(tx, name, byID, func(rows []stagedRow) error {
				if len(rows) == 0 {
					end = true
					return nil
				}
				dedup, err := tx.Bucket(bucketDedup).CreateBucketIfNotExists(name)
				if err != nil {
					return err
				}
				start := nodeCount(tx)
				i := done
				for ; i < len(rows) && (i == done || nodeCount(tx)-start < int64(s.compactNodes)); i++ {
					// The value points into the staging bucket's pages: bbolt copies node
					// values out before it remaps the file, and the pages are freed only by
					// the commit.
					if err := dedup.Put(rows[i].key[8:], rows[i].key[:8]); err != nil {
						return err
					}
				}
				next, end = i, i == len(rows)
				return nil
			})
		})
		if err != nil {
			return fmt.Errorf("spool compact: %w", err)
		}
		done, last = next, end
	}
	byKey := func(a, b stagedRow) int { return cmp.Or(cmp.Compare(a.day, b.day), bytes.Compare(a.key, b.key)) }
	for done, last := 0, false; !last; {
		next, end := done, false
		err := s.db.Update(func(tx *bolt.Tx) error {
			return s.withStaged(tx, name, byKey, func(rows []stagedRow) error {
				days, err := tx.Bucket(bucketEvents).CreateBucketIfNotExists(name)
				if err != nil {
					return err
				}
				start := nodeCount(tx)
				var day *bolt.Bucket
				i := done
				for ; i < len(rows) && (i == done || nodeCount(tx)-start < int64(s.compactNodes)); i++ {
					r := &rows[i]
					if day == nil || r.day != rows[i-1].day {
						if day, err = days.CreateBucketIfNotExists(dayName(r.day)); err != nil {
							return err
						}
						// Most rows go to the end of their day: a split then leaves full
						// pages behind.
						day.FillPercent = 1.0
					}
					if err := day.Put(r.key, r.row); err != nil {
						return err
					}
				}
				next, end = i, i == len(rows)
				if !end {
					return nil
				}
				if err := tx.Bucket(bucketStaging).DeleteBucket(name); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
					return err
				}
				return nil
			})
		})
		if err != nil {
			return fmt.Errorf("spool compact: %w", err)
		}
		done, last = next, end
	}
	s.ids.compacted(t)
	return nil
}

// withStaged calls fn with the staged rows of tenant sorted by order. The rows point into
// the transaction's pages and are valid only during fn.
func (s *Spool) withStaged(tx *bolt.Tx, tenant []byte, order func(a, b stagedRow) int, fn func([]stagedRow) error) error {
	rows := s.rows[:0]
	defer func() {
		clear(rows)
		if cap(rows) <= 4*compactAfter {
			s.rows = rows[:0]
		}
	}()
	if staging := tx.Bucket(bucketStaging).Bucket(tenant); staging != nil {
		c := staging.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := decodeStaged(k, v)
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, order)
	return fn(rows)
}

// nodeCount is how many B+tree nodes tx has loaded to change them.
func nodeCount(tx *bolt.Tx) int64 {
	st := tx.Stats()
	return st.GetNodeCount()
}
