package reportrender

import (
	"archive/zip"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// XLSX limits.
const (
	// MaxSheetRows is Excel's row limit per sheet, header row included.
	MaxSheetRows = excelize.TotalRows
	// MaxCellChars is Excel's cell limit, in UTF-16 code units.
	MaxCellChars = excelize.TotalCellChars
	// TruncationMarker ends a cell cut to MaxCellChars.
	TruncationMarker = "…[truncated]"
	// SheetName names the first sheet; later ones are "Audit log (2)", "Audit log (3)" ...
	SheetName = "Audit log"
)

// Package variables so that tests can exercise rollover without writing a million rows.
var (
	maxSheetRows = MaxSheetRows
	// maxSheetTextBytes starts a new sheet before its XML can reach 4 GiB, the size past which
	// a zip entry needs a ZIP64 local header that Excel checks strictly: escaping grows text at
	// most 7 times (a control character becomes "_x0001_").
	maxSheetTextBytes int64 = 512 << 20
)

var columnWidths = []float64{26, 28, 20, 24, 60, 10, 16, 28, 36, 16}

type xlsxWriter struct {
	out       io.Writer
	file      *excelize.File
	stream    *excelize.StreamWriter
	loc       *time.Location
	headStyle int
	sheets    int
	sheetRow  int // rows written to the current sheet, header included
	textBytes int64
	cells     []string
	values    []any
	cellRef   []byte
	closed    bool
}

// NewXLSX returns an XLSX writer. Rows go through excelize's StreamWriter, which spills
// sheet XML to a temporary file past 16 MiB; on Close the workbook is zipped straight into
// w rather than into a buffer, so memory stays bounded whatever the row count. Every cell is
// an inline string (t="inlineStr"), never a formula.
func NewXLSX(w io.Writer, loc *time.Location, opts ...Option) (Writer, error) {
	o := buildOptions(opts)
	f := excelize.NewFile(excelize.Options{TmpDir: o.tmpDir})
	x := &xlsxWriter{
		out:    w,
		file:   f,
		loc:    locOrUTC(loc),
		cells:  make([]string, len(Columns)),
		values: make([]any, len(Columns)),
	}
	style, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("xlsx header style: %w", err)
	}
	x.headStyle = style
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("xlsx sheet: %w", err)
	}
	if err := x.startSheet(SheetName); err != nil {
		_ = f.Close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) startSheet(name string) error {
	x.sheets++
	sw, err := x.file.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("xlsx sheet %q: %w", name, err)
	}
	for i, width := range columnWidths {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("xlsx column width: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx panes: %w", err)
	}
	x.stream, x.sheetRow, x.textBytes = sw, 0, 0
	return x.setRow(headerValues, excelize.RowOpts{StyleID: x.headStyle})
}

var headerValues = func() []any {
	v := make([]any, len(Columns))
	for i, c := range Columns {
		v[i] = c
	}
	return v
}()

func (x *xlsxWriter) setRow(values []any, opts ...excelize.RowOpts) error {
	x.sheetRow++
	x.cellRef = strconv.AppendInt(append(x.cellRef[:0], 'A'), int64(x.sheetRow), 10)
	if err := x.stream.SetRow(string(x.cellRef), values, opts...); err != nil {
		return fmt.Errorf("xlsx row: %w", err)
	}
	return nil
}

func (x *xlsxWriter) WriteRow(r audit.Row) error {
	if x.closed {
		return ErrClosed
	}
	rowCells(&r, x.cells, x.loc, SafeCell)
	var rowBytes int64
	for i, s := range x.cells {
		s = truncateCell(s)
		rowBytes += int64(len(s))
		x.values[i] = s
	}
	if x.sheetRow >= maxSheetRows || (x.sheetRow > 1 && x.textBytes+rowBytes > maxSheetTextBytes) {
		if err := x.stream.Flush(); err != nil {
			return fmt.Errorf("xlsx flush sheet: %w", err)
		}
		name := SheetName + " (" + strconv.Itoa(x.sheets+1) + ")"
		if _, err := x.file.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx sheet %q: %w", name, err)
		}
		if err := x.startSheet(name); err != nil {
			return err
		}
	}
	x.textBytes += rowBytes
	return x.setRow(x.values)
}

func (x *xlsxWriter) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	defer func() { _ = x.file.Close() }()
	if err := x.stream.Flush(); err != nil {
		return fmt.Errorf("xlsx flush sheet: %w", err)
	}
	// excelize's Write assembles the zip in a bytes.Buffer (upstream issue 2357); handing it
	// a zip writer on the destination streams each part there instead, and the buffer it
	// passes stays empty.
	var zw *zip.Writer
	x.file.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw = zip.NewWriter(x.out)
		return zw
	})
	if err := x.file.Write(io.Discard); err != nil {
		return fmt.Errorf("xlsx write: %w", err)
	}
	if zw == nil {
		return fmt.Errorf("xlsx write: zip writer was not used")
	}
	return nil
}

// truncateCell cuts a cell to MaxCellChars UTF-16 code units, marker included, on a rune
// boundary. UTF-16 never needs more units than UTF-8 needs bytes, so short cells are not
// counted.
func truncateCell(s string) string {
	if len(s) <= MaxCellChars {
		return s
	}
	const budget = MaxCellChars - 12 // utf16 length of TruncationMarker
	units := 0
	for i, r := range s {
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if units+n > budget {
			if utf16Len(s[i:])+units <= MaxCellChars {
				return s
			}
			return s[:i] + TruncationMarker
		}
		units += n
	}
	return s
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
