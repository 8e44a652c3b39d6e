package reportrender

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Columns are the report's header cells, in the order of the admin page users know.
var Columns = []string{"Date", "Author", "Event Category", "Event Summary", "Description", "Outcome", "Source IP", "Target", "Event ID", "Tenant"}

// TimeLayout formats the Date column: RFC 3339 (an ISO 8601 profile) to the second, with the
// report time zone's numeric offset even when it is +00:00, so that a reader never mistakes
// winter time in Dublin or London for "Z" (UTC).
const TimeLayout = "2006-01-02T15:04:05-07:00"

// Formats accepted by New.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// Writer renders rows to a report file as they come.
type Writer interface {
	// WriteRow appends one row.
	WriteRow(audit.Row) error
	// Close flushes and finishes the file; it does not close the underlying io.Writer.
	// Call it after a WriteRow error too: it releases the XLSX writer's temporary files.
	// Calling it again is a no-op.
	Close() error
}

// ErrClosed is returned by WriteRow after Close.
var ErrClosed = errors.New("report writer is closed")

// Option tunes a writer. Options that do not apply to a format are ignored.
type Option func(*options)

type options struct {
	bom    bool
	tmpDir string
}

func buildOptions(opts []Option) options {
	o := options{bom: true}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithBOM sets whether a CSV starts with a UTF-8 byte order mark (default true: without it,
// Excel opens a UTF-8 CSV in the legacy code page and garbles non-ASCII names).
func WithBOM(on bool) Option { return func(o *options) { o.bom = on } }

// WithTempDir sets where the XLSX writer spills sheet data (default os.TempDir()). It needs
// about as much free space as the uncompressed sheet XML (roughly 0.3 KiB per row).
func WithTempDir(dir string) Option { return func(o *options) { o.tmpDir = dir } }

// New returns a writer for format "csv" or "xlsx".
func New(format string, w io.Writer, loc *time.Location, opts ...Option) (Writer, error) {
	switch format {
	case FormatCSV:
		return NewCSV(w, loc, opts...), nil
	case FormatXLSX:
		return NewXLSX(w, loc, opts...)
	default:
		return nil, fmt.Errorf("unknown report format %q: want %q or %q", format, FormatCSV, FormatXLSX)
	}
}

// ContentType returns the MIME type of a report format, for attachments and downloads.
func ContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		return "application/octet-stream"
	}
}

// rowCells fills dst with the row's cells in Columns order, each text cell passed through cell
// (SafeCell, or the CSV writer's variant of it), so that both formats share one column list.
func rowCells(r *audit.Row, dst []string, loc *time.Location, cell func(string) string) {
	dst[0] = formatTime(r.Time, loc)
	dst[1] = cell(r.Author)
	dst[2] = cell(r.Category)
	dst[3] = cell(r.Summary)
	dst[4] = cell(r.Description)
	dst[5] = cell(r.Outcome)
	dst[6] = cell(r.SourceIP)
	dst[7] = cell(r.Target)
	dst[8] = cell(r.EventID)
	dst[9] = cell(r.Tenant)
}

// formatTime never yields a trigger: RFC 3339 starts with a digit. A year before 0 would
// start with '-', so it goes through SafeCell like any other cell.
func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return SafeCell(t.In(loc).Format(TimeLayout))
}

func locOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
