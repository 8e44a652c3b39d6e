package manifest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
)

// DefaultCheckpointInterval is how many rows lie between two row checkpoints.
const DefaultCheckpointInterval = 1000

// maxCheckpoints bounds the checkpoints of a manifest; CheckpointInterval widens the
// interval of a large file to stay within it.
const maxCheckpoints = 256

// CheckpointInterval returns the checkpoint interval for a file of rows rows: the default,
// or wider so that the manifest holds at most 256 checkpoints.
func CheckpointInterval(rows int64) int64 {
	return max(DefaultCheckpointInterval, (rows+maxCheckpoints-1)/maxCheckpoints)
}

// RowHasher computes the rows digest and its checkpoints as rows go by.
type RowHasher struct {
	h           hash.Hash
	n, interval int64
	checkpoints []string
	line        []byte
}

// NewRowHasher returns a RowHasher with a checkpoint every interval rows
// (DefaultCheckpointInterval when <= 0).
func NewRowHasher(interval int64) *RowHasher {
	if interval <= 0 {
		interval = DefaultCheckpointInterval
	}
	return &RowHasher{h: sha256.New(), interval: interval}
}

// Add hashes one row's cells.
func (r *RowHasher) Add(cells []string) {
	r.line = r.line[:0]
	r.line = append(r.line, '[')
	var b bytes.Buffer
	for i, c := range cells {
		if i > 0 {
			r.line = append(r.line, ',')
		}
		b.Reset()
		writeString(&b, c)
		r.line = append(r.line, b.Bytes()...)
	}
	r.line = append(r.line, ']', '\n')
	r.h.Write(r.line)
	r.n++
	if r.n%r.interval == 0 {
		r.checkpoints = append(r.checkpoints, hex.EncodeToString(r.h.Sum(nil)))
	}
}

// Rows returns how many rows were added.
func (r *RowHasher) Rows() int64 { return r.n }

// Fill sets the rows digest fields of m.
func (r *RowHasher) Fill(m *Manifest) {
	m.RowsDigest = hex.EncodeToString(r.h.Sum(nil))
	m.RowCheckpointInterval = r.interval
	m.RowCheckpoints = append([]string(nil), r.checkpoints...)
}

// IsCSV reports whether name is a CSV file the rows digest applies to: .csv, .csv.gz or
// .csv.zip.
func IsCSV(name string) bool {
	return strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".csv.gz") || strings.HasSuffix(name, ".csv.zip")
}

// HashCSVFile reads the CSV file at path (decompressing .gz and .zip) and returns its rows
// digest.
func HashCSVFile(path string, interval int64) (*RowHasher, error) {
	return HashCSVFileAs(path, path, interval)
}

// HashCSVFileAs is HashCSVFile for a file stored under another name than the one that
// tells its compression (name ends in .gz or .zip).
func HashCSVFileAs(path, name string, interval int64) (*RowHasher, error) {
	rh := NewRowHasher(interval)
	err := scanCSVFile(path, name, func(cells []string) error {
		rh.Add(cells)
		return nil
	})
	return rh, err
}

func scanCSVFile(path, name string, fn func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 64<<10)
	switch {
	case strings.HasSuffix(name, ".gz"):
		gz, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		defer gz.Close()
		r = gz
	case strings.HasSuffix(name, ".zip"):
		st, err := f.Stat()
		if err != nil {
			return err
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return err
		}
		if len(zr.File) != 1 {
			return fmt.Errorf("zip holds %d files, want 1", len(zr.File))
		}
		rc, err := zr.File[0].Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		r = rc
	}
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if header {
			header = false
			continue
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// CheckRows recomputes the rows digest of the CSV file at path and compares it with m.
// On a mismatch the error names the block of rows holding the first altered row.
func (m *Manifest) CheckRows(path string) error {
	if m.RowsDigest == "" {
		return nil
	}
	rh, err := HashCSVFile(path, m.RowCheckpointInterval)
	if err != nil {
		return fmt.Errorf("%w: read rows: %w", ErrRowsMismatch, err)
	}
	for i, want := range m.RowCheckpoints {
		if i >= len(rh.checkpoints) || rh.checkpoints[i] != want {
			return fmt.Errorf("%w: the first altered row is among data rows %d to %d", ErrRowsMismatch, int64(i)*rh.interval+1, int64(i+1)*rh.interval)
		}
	}
	if hex.EncodeToString(rh.h.Sum(nil)) != m.RowsDigest || rh.n != m.Rows || len(rh.checkpoints) != len(m.RowCheckpoints) {
		first := int64(len(m.RowCheckpoints))*rh.interval + 1
		count := ""
		if rh.n != m.Rows {
			count = fmt.Sprintf("%d rows, manifest says %d; ", rh.n, m.Rows)
		}
		return fmt.Errorf("%w: %sthe first altered row is among data rows %d to %d", ErrRowsMismatch, count, first, max(rh.n, m.Rows, first))
	}
	return nil
}
