package reportrender

import (
	"bufio"
	"encoding/csv"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

const utf8BOM = "\uFEFF"

type csvWriter struct {
	buf    *bufio.Writer
	csv    *csv.Writer
	loc    *time.Location
	bom    bool
	row    []string
	start  bool
	closed bool
}

// NewCSV returns an RFC 4180 CSV writer (encoding/csv, CRLF line ends, a header row) that
// holds one row in memory at a time. The UTF-8 BOM is on by default; see WithBOM.
func NewCSV(w io.Writer, loc *time.Location, opts ...Option) Writer {
	o := buildOptions(opts)
	buf := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(buf)
	cw.UseCRLF = true
	return &csvWriter{buf: buf, csv: cw, loc: locOrUTC(loc), bom: o.bom, row: make([]string, len(Columns))}
}

func (c *csvWriter) begin() error {
	c.start = true
	if c.bom {
		if _, err := c.buf.WriteString(utf8BOM); err != nil {
			return err
		}
	}
	return c.csv.Write(Columns)
}

func (c *csvWriter) WriteRow(r Row) error {
	if c.closed {
		return ErrClosed
	}
	if !c.start {
		if err := c.begin(); err != nil {
			return err
		}
	}
	r.cells(c.row, c.loc, csvCell)
	return c.csv.Write(c.row)
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
	c.csv.Flush()
	if err := c.csv.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}

// csvCell is csvText(SafeCell(s)) with one scan for the usual plain ASCII cell.
func csvCell(s string) string {
	if asciiWithoutCR(s) && (len(s) == 0 || !suspectFirstByte[s[0]]) {
		return s
	}
	return csvText(SafeCell(s))
}

// csvText keeps the file valid UTF-8 and its line breaks unambiguous: with UseCRLF,
// encoding/csv writes LF inside a field as CRLF and drops a lone CR, so every line break is
// made an LF first, and a reader gets LF back.
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
