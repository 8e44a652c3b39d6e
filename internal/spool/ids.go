package spool

import (
	"bytes"
	"hash/maphash"

	bolt "go.etcd.io/bbolt"
)

// stagedIndex holds, for each tenant, the ids of its staged events: those in the staging
// bucket and not yet in the on-disk id index ("dedup" / <tenant>). Append tests an id here
// first, then in the on-disk index (a read through the file's mapping, which writes
// nothing); the on-disk index is written only by compaction, in id order. The staging
// bucket is the durable record of these ids; Open rebuilds the map from it.
//
// The map holds only staged events, at most maxStagedTenants * compactAfter of them (plus
// the commits in progress when compaction falls due), so its size does not depend on how
// many events are retained.
//
// A staged id is held by a 64-bit fingerprint (seeded per process) and its staging
// sequence; a fingerprint match is confirmed by reading that staged row, so a fingerprint
// shared by two ids never makes a new event a duplicate: the second id is then held in
// full.
//
// The index is read and changed only under Spool.commitMu.
type stagedIndex struct {
	seed    maphash.Seed
	tenants map[string]*tenantIDs
	staged  int // staged rows of all tenants
	// undo lists the entries added by the transaction in progress, to take them out again
	// if it does not commit.
	undo []undoEntry
}

// tenantIDs is one tenant's staged ids and staging state. Every staged id is in exactly
// one of staged and exact.
type tenantIDs struct {
	staged map[uint64]uint64   // fingerprint -> staging sequence of the row
	exact  map[string]struct{} // staged ids whose fingerprint another staged id holds

	stagedRows int    // rows in the staging bucket
	nextSeq    uint64 // the staging sequence of the next event
	due        bool   // listed in Spool.due
}

type undoEntry struct {
	t     *tenantIDs
	hash  uint64
	id    string
	exact bool
}

func newStagedIndex() stagedIndex {
	return stagedIndex{seed: maphash.MakeSeed(), tenants: make(map[string]*tenantIDs)}
}

// tenant returns the staged ids of tenant, creating an empty set on first use.
func (x *stagedIndex) tenant(name string) *tenantIDs {
	t := x.tenants[name]
	if t == nil {
		t = &tenantIDs{staged: make(map[uint64]uint64), exact: make(map[string]struct{})}
		x.tenants[name] = t
	}
	return t
}

// load adds the ids of every staged event.
func (x *stagedIndex) load(tx *bolt.Tx) error {
	staging := tx.Bucket(bucketStaging)
	return staging.ForEachBucket(func(tenant []byte) error {
		t := x.tenant(string(tenant))
		c := staging.Bucket(tenant).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := decodeStaged(k, v)
			if err != nil {
				return err
			}
			h := maphash.Bytes(x.seed, r.key[8:])
			if _, taken := t.staged[h]; !taken {
				t.staged[h] = r.seq
			} else {
				t.exact[string(r.key[8:])] = struct{}{}
			}
			t.stagedRows++
			x.staged++
			t.nextSeq = max(t.nextSeq, r.seq+1)
		}
		return nil
	})
}

// probe is what seen learned about an id, for add.
type probe struct {
	hash  uint64
	taken bool // another staged id holds the fingerprint
}

// seen reports whether id is stored for tenant t, staged (in tx or before) or in the
// on-disk index. staging is the tenant's staging bucket; dedup is a cursor on its on-disk
// index, nil when it has none.
func (x *stagedIndex) seen(t *tenantIDs, staging *bolt.Bucket, dedup *bolt.Cursor, id []byte) (bool, probe) {
	if len(t.exact) > 0 {
		if _, ok := t.exact[string(id)]; ok {
			return true, probe{}
		}
	}
	p := probe{hash: maphash.Bytes(x.seed, id)}
	if seq, ok := t.staged[p.hash]; ok {
		if k := stagedKey(staging, seq); k != nil && bytes.Equal(k[8:], id) {
			return true, p
		}
		p.taken = true
	}
	// A cursor kept for the transaction: Get allocates a cursor and its stack per call.
	if dedup != nil {
		if k, _ := dedup.Seek(id); k != nil && bytes.Equal(k, id) {
			return true, p
		}
	}
	return false, p
}

// add records id, probed by seen, as staged under seq by the transaction in progress.
func (x *stagedIndex) add(t *tenantIDs, id []byte, p probe, seq uint64) {
	t.stagedRows++
	x.staged++
	t.nextSeq = seq + 1
	if !p.taken {
		t.staged[p.hash] = seq
		x.undo = append(x.undo, undoEntry{t: t, hash: p.hash})
		return
	}
	s := string(id)
	t.exact[s] = struct{}{}
	x.undo = append(x.undo, undoEntry{t: t, id: s, exact: true})
}

// begin starts a transaction's list of additions.
func (x *stagedIndex) begin() {
	clear(x.undo)
	x.undo = x.undo[:0]
}

// rollback takes out the additions of a transaction that did not commit.
func (x *stagedIndex) rollback() {
	for _, u := range x.undo {
		if u.exact {
			delete(u.t.exact, u.id)
		} else {
			delete(u.t.staged, u.hash)
		}
		u.t.stagedRows--
		x.staged--
	}
	x.begin()
}

// compacted empties t once its staged events are in their days and the on-disk index.
func (x *stagedIndex) compacted(t *tenantIDs) {
	// New maps rather than clear: a cleared map keeps its size, for a tenant that may never
	// stage as many events again.
	t.staged = make(map[uint64]uint64)
	t.exact = make(map[string]struct{})
	x.staged -= t.stagedRows
	t.stagedRows = 0
}
