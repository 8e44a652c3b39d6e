package reportrender

import (
	"bufio"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

const utf8BOM = "\uFEFF"

type csvWriter struct {
	buf    *bufio.Writer
	loc    *time.Location
	bom    bool
	row    []string
	start  bool
	closed bool
}

// NewCSV returns an RFC 4180 CSV writer (every field quoted, CRLF line ends, a header row)
// that holds one row in memory at a time. The UTF-8 BOM is on by default; see WithBOM.
func NewCSV(w io.Writer, loc *time.Location, opts ...Option) Writer {
	o := buildOptions(opts)
	return &csvWriter{buf: bufio.NewWriterSize(w, 64<<10), loc: locOrUTC(loc), bom: o.bom, row: make([]string, len(Columns))}
}

func (c *csvWriter) begin() error {
	c.start = true
	if c.bom {
		if _, err := c.buf.WriteString(utf8BOM); err != nil {
			return err
		}
	}
	return c.writeRecord(Columns)
}

func (c *csvWriter) WriteRow(r audit.Row) error {
	if c.closed {
		return ErrClosed
	}
	if !c.start {
		if err := c.begin(); err != nil {
			return err
		}
	}
	rowCells(&r, c.row, c.loc, csvCell)
	return c.writeRecord(c.row)
}

// writeRecord quotes every field, not only those holding a comma, quote or line break as
// encoding/csv does: a spreadsheet whose list separator is ";" (or a reader that splits on
// tabs) then sees one cell per field whatever the field holds. Fields come from csvCell:
// line breaks are LF, written as CRLF like encoding/csv with UseCRLF; a reader gets LF back.
func (c *csvWriter) writeRecord(fields []string) error {
	for i, f := range fields {
		if i > 0 {
			_ = c.buf.WriteByte(',')
		}
		_ = c.buf.WriteByte('"')
		for {
			j := strings.IndexAny(f, "\"\n")
			if j < 0 {
				break
			}
			_, _ = c.buf.WriteString(f[:j])
			if f[j] == '"' {
				_, _ = c.buf.WriteString(`""`)
			} else {
				_, _ = c.buf.WriteString("\r\n")
			}
			f = f[j+1:]
		}
		_, _ = c.buf.WriteString(f)
		_ = c.buf.WriteByte('"')
	}
	// bufio.Writer errors are sticky: the last write reports any earlier one.
	_, err := c.buf.WriteString("\r\n")
	return err
}

func (c *csvWriter) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if !c.start {
		if err := c.begin(); err != nil {
			return err
		}
	}
	return c.buf.Flush()
}

// csvCell is SafeCSVCell with one scan for the usual plain ASCII cell.
func csvCell(s string) string {
	if asciiWithoutCR(s) && (len(s) == 0 || !suspectFirstByte[s[0]] && s[0] != '"') && plainSegments(s) {
		return s
	}
	return SafeCSVCell(s)
}

// plainSegments reports that no separator in s is followed by a byte that may start a
// trigger (or the fillers and double quotes before one), so that quoteSegments has nothing
// to do.
func plainSegments(s string) bool {
	for {
		i := strings.IndexAny(s, ",;\t\n")
		if i < 0 {
			return true
		}
		if i+1 < len(s) && (suspectFirstByte[s[i+1]] || s[i+1] == '"') {
			return false
		}
		s = s[i+1:]
	}
}

// csvText keeps the file valid UTF-8 and its line breaks unambiguous: writeRecord writes LF
// inside a field as CRLF, and a reader turns CRLF back into LF but may keep or drop a lone
// CR, so every line break is made an LF first, and a reader gets LF back.
func csvText(s string) string {
	if asciiWithoutCR(s) {
		return s
	}
	return csvTextSlow(s)
}

// asciiWithoutCR checks eight bytes at a time (the compiler merges the byte loads) for a
// byte with the high bit set or equal to CR.
func asciiWithoutCR(s string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
		crs   = 0x0d0d0d0d0d0d0d0d
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		x := w ^ crs
		if w&highs != 0 || (x-ones)&^x&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '\r' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func csvTextSlow(s string) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}
