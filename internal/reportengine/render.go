package reportengine

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
)

// Scanner reads the events of one tenant over [from, to) in time order: a
// reportsource.Source.
type Scanner interface {
	Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error
}

// Input is what a render reads: a tenant's events over [From, To) from Source, those Match
// keeps.
type Input struct {
	Source   Scanner
	Tenant   string
	From, To time.Time
	// Location is the zone of the Date column; nil is UTC.
	Location *time.Location
	// Match keeps the rows it matches; nil keeps every row.
	Match *Matcher
	// TempDir is where the XLSX writer spills sheet data; empty is os.TempDir().
	TempDir string
	// Scanned, when set, is called with the time of every row read, kept or not: progress.
	Scanned func(time.Time)
	// Row, when set, is called with every kept row before it is written; an error ends the
	// render with that error (a row limit, a tally).
	Row func(*audit.Row) error
}

// Output is one file of a render.
type Output struct {
	// Path is where the file ends up. It is written as Path+".part" and renamed once complete
	// and fsynced, so that a file under its final name is always whole.
	Path string
	// Name is the file's name as delivered, compression suffix included; without that
	// suffix it names the entry inside a zip or gzip.
	Name string
	// Format is reportrender.FormatCSV or FormatXLSX.
	Format string
	// Compression is reportrender.CompressionNone, CompressionZip or CompressionGzip.
	Compression string
}

// FullFormat is the format with its compression, as manifests record it: "csv", "csv.gz",
// "xlsx.zip".
func (o *Output) FullFormat() string { return reportrender.CompressedName(o.Format, o.Compression) }

// ContentType is the file's MIME type.
func (o *Output) ContentType() string {
	return reportrender.CompressedContentType(o.Compression, reportrender.ContentType(o.Format))
}

// Rendered is a finished file.
type Rendered struct {
	Output
	Size int64
	// SHA256 is the hex SHA-256 of the file as written.
	SHA256 string
}

// Result is what a render wrote.
type Result struct {
	Files []Rendered
	// Rows is how many rows each file holds; First and Last are the times of the first and
	// last of them (zero without rows).
	Rows        int64
	First, Last time.Time
}

// Render streams the input's rows into every output at once, in one scan. On error no
// output is left under its final name.
func Render(ctx context.Context, in Input, outputs ...Output) (Result, error) {
	var res Result
	writers := make([]*fileWriter, 0, len(outputs))
	defer func() {
		for _, w := range writers {
			w.abort()
		}
	}()
	for _, o := range outputs {
		w, err := openFile(o, in)
		if err != nil {
			return Result{}, err
		}
		writers = append(writers, w)
	}
	err := in.Source.Scan(ctx, in.Tenant, in.From, in.To, func(r audit.Row) error {
		if in.Scanned != nil {
			in.Scanned(r.Time)
		}
		if !in.Match.Match(&r) {
			return nil
		}
		if res.Rows%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if in.Row != nil {
			if err := in.Row(&r); err != nil {
				return err
			}
		}
		if res.First.IsZero() || r.Time.Before(res.First) {
			res.First = r.Time
		}
		if r.Time.After(res.Last) {
			res.Last = r.Time
		}
		for _, w := range writers {
			if err := w.rows.WriteRow(r); err != nil {
				return err
			}
		}
		res.Rows++
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return Result{}, err
	}
	for _, w := range writers {
		f, err := w.finish()
		if err != nil {
			for _, done := range res.Files {
				_ = os.Remove(done.Path)
			}
			return Result{}, err
		}
		res.Files = append(res.Files, f)
	}
	writers = nil
	return res, nil
}

// fileWriter is one output: rows -> compressor -> buffer -> hash and count -> .part file.
type fileWriter struct {
	out  Output
	part string
	file *os.File
	sum  *countingWriter
	buf  *bufio.Writer
	comp io.WriteCloser
	rows reportrender.Writer
}

type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

func openFile(o Output, in Input) (*fileWriter, error) {
	inner := o.Name
	if o.Compression != reportrender.CompressionNone {
		inner = strings.TrimSuffix(o.Name, reportrender.CompressedName("", o.Compression))
	}
	part := o.Path + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", o.Name, err)
	}
	w := &fileWriter{out: o, part: part, file: f}
	w.sum = &countingWriter{w: f, h: sha256.New()}
	w.buf = bufio.NewWriterSize(w.sum, 256<<10)
	if w.comp, err = reportrender.NewCompressed(o.Compression, w.buf, inner); err != nil {
		w.abort()
		return nil, err
	}
	var opts []reportrender.Option
	if in.TempDir != "" {
		opts = append(opts, reportrender.WithTempDir(in.TempDir))
	}
	if w.rows, err = reportrender.New(o.Format, w.comp, in.Location, opts...); err != nil {
		w.abort()
		return nil, err
	}
	return w, nil
}

// finish closes every layer, fsyncs and renames the file into place.
func (w *fileWriter) finish() (Rendered, error) {
	err := w.rows.Close()
	if err == nil {
		err = w.comp.Close()
	}
	if err == nil {
		err = w.buf.Flush()
	}
	if err == nil {
		err = w.file.Sync()
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	w.file = nil
	if err == nil {
		err = os.Rename(w.part, w.out.Path)
	}
	if err != nil {
		_ = os.Remove(w.part)
		return Rendered{}, fmt.Errorf("finish %s: %w", w.out.Name, err)
	}
	return Rendered{Output: w.out, Size: w.sum.n, SHA256: hex.EncodeToString(w.sum.h.Sum(nil))}, nil
}

// abort releases the writer of a failed render and removes its partial file.
func (w *fileWriter) abort() {
	if w.rows != nil {
		_ = w.rows.Close()
	}
	if w.file != nil {
		_ = w.file.Close()
		w.file = nil
		_ = os.Remove(w.part)
	}
}
