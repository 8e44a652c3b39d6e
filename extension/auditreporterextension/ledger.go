package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

// Ledger namespaces, one bbolt bucket each.
const (
	nsRuns      = "runs"       // runKey -> runRecord
	nsFirstSeen = "first_seen" // report name -> RFC 3339 time the report was first configured
	nsFiles     = "files"      // run id -> fileIndex, what the download server may serve
)

var ledgerNamespaces = []string{nsRuns, nsFirstSeen, nsFiles}

// ledger is the extension's own bbolt file (<directory>/ledger.db): the run ledger, when
// each report was first configured, and the index of the files the download server may
// serve. It lives beside the rendered files rather than in the spool, because the source
// may be on another machine or not be a spool at all. With a source that keeps a
// distributed ledger (reportsource Deliveries) it is a cache of what was delivered.
type ledger struct{ db *bolt.DB }

func openLedger(path string) (*ledger, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, ns := range ledgerNamespaces {
			if _, err := tx.CreateBucketIfNotExists([]byte(ns)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	return &ledger{db: db}, nil
}

func (l *ledger) Close() error { return l.db.Close() }

// Get returns a copy of the value of key, or nil.
func (l *ledger) Get(ns, key string) ([]byte, error) {
	var out []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket([]byte(ns)).Get([]byte(key)))
		return nil
	})
	return out, err
}

// Put stores a value durably (one fsynced transaction).
func (l *ledger) Put(ns, key string, value []byte) error {
	return l.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(ns)).Put([]byte(key), value)
	})
}

// Delete removes a key.
func (l *ledger) Delete(ns, key string) error {
	return l.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(ns)).Delete([]byte(key))
	})
}

// ForEach calls fn for every key of ns that starts with prefix, in key order. value is only
// valid during the call.
func (l *ledger) ForEach(ns, prefix string, fn func(key string, value []byte) error) error {
	return l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(ns)).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if err := fn(string(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// importFrom copies into an empty ledger the namespaces that the audit_report exporter kept
// in the spool before the report engine moved to this extension, so that an upgrade neither
// resends the periods already delivered nor restarts the manifest chains. It returns how
// many entries it copied; a ledger that holds anything is left alone.
func (l *ledger) importFrom(sp *spool.Spool) (int, error) {
	empty := true
	err := l.db.View(func(tx *bolt.Tx) error {
		for _, ns := range ledgerNamespaces {
			if k, _ := tx.Bucket([]byte(ns)).Cursor().First(); k != nil {
				empty = false
			}
		}
		return nil
	})
	if err != nil || !empty {
		return 0, err
	}
	type entry struct {
		ns, key string
		value   []byte
	}
	var entries []entry
	for _, ns := range ledgerNamespaces {
		err := sp.ForEach(ns, "", func(key string, value []byte) error {
			entries = append(entries, entry{ns, key, bytes.Clone(value)})
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("read the ledger kept in the spool: %w", err)
		}
	}
	if len(entries) == 0 {
		return 0, nil
	}
	err = l.db.Update(func(tx *bolt.Tx) error {
		for _, e := range entries {
			if err := tx.Bucket([]byte(e.ns)).Put([]byte(e.key), e.value); err != nil {
				return err
			}
		}
		return nil
	})
	return len(entries), err
}
