package auditlokiexporter

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
)

// deadLetter appends lokipush.DeadLetterRecord JSON lines to a file and rotates it by size.
// Each write is synced, so a line in the file survives a crash once the push that produced it
// returned.
type deadLetter struct {
	mu      sync.Mutex
	cfg     DeadLetterConfig
	f       *os.File
	size    int64
	maxSize int64
}

func openDeadLetter(cfg DeadLetterConfig) (*deadLetter, error) {
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, err
	}
	d := &deadLetter{cfg: cfg, maxSize: int64(cfg.MaxSizeMiB) << 20}
	if err := d.open(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *deadLetter) open() error {
	f, err := os.OpenFile(d.cfg.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return err
	}
	d.f, d.size = f, st.Size()
	return nil
}

// Write appends one line per entry; errs[i] is the error text of entries[i].
func (d *deadLetter) Write(entries []*entry, errs []string) error {
	var buf strings.Builder
	w := bufio.NewWriter(&buf)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i, en := range entries {
		pe := en.pushEntry()
		rec := lokipush.NewDeadLetterRecord(en.tenant, en.reason, errs[i], &pe)
		if err := enc.Encode(&rec); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return os.ErrClosed
	}
	if d.size > 0 && d.size+int64(buf.Len()) > d.maxSize {
		if err := d.rotate(); err != nil {
			return err
		}
	}
	n, err := d.f.WriteString(buf.String())
	d.size += int64(n)
	if err != nil {
		return err
	}
	return d.f.Sync()
}

// rotate renames the current file to <path>.<UTC time> and prunes the oldest backups beyond
// max_backups.
func (d *deadLetter) rotate() error {
	if err := d.f.Close(); err != nil {
		return err
	}
	d.f = nil
	backup := fmt.Sprintf("%s.%s", d.cfg.Path, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(d.cfg.Path, backup); err != nil {
		return err
	}
	if d.cfg.MaxBackups > 0 {
		matches, _ := filepath.Glob(d.cfg.Path + ".*")
		sort.Strings(matches)
		for len(matches) > d.cfg.MaxBackups {
			_ = os.Remove(matches[0])
			matches = matches[1:]
		}
	}
	return d.open()
}

// Close is safe twice.
func (d *deadLetter) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}
