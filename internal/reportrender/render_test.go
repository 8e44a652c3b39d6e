package reportrender

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

func dublin(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Dublin")
	require.NoError(t, err)
	return loc
}

// testRows mixes ordinary events with every injection payload in every text column.
func testRows() []Row {
	base := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // Dublin switches to IST at 01:00 UTC
	rows := []Row{
		{Time: base, Author: "alice@example.com", Category: "Authentication", Summary: "Login", Description: "Alice logged in, \"twice\"\nfrom the VPN", Outcome: "success", SourceIP: "10.0.0.1", Target: "alice", EventID: "e-1", Tenant: "acme"},
		{Time: base.Add(time.Hour), Author: "Zoë Ñúñez", Category: "Users", Summary: "User created", Description: "日本語 and emoji 🎉; CRLF\r\ninside", Outcome: "failure", SourceIP: "2001:db8::1", Target: "bob", EventID: "e-2", Tenant: "acme"},
	}
	for i, p := range injectionPayloads {
		rows = append(rows, Row{
			Time: base.Add(time.Duration(i) * time.Minute), Author: p, Category: p, Summary: p, Description: p,
			Outcome: p, SourceIP: p, Target: p, EventID: fmt.Sprintf("inj-%d", i), Tenant: p,
		})
	}
	return rows
}

// expectedCells is what a reader must get back for a row: neutralised, and for CSV with LF
// line breaks. XLSX keeps the text, except characters XML 1.0 cannot hold, which become U+FFFD.
func expectedCells(r Row, loc *time.Location, csvLineBreaks bool) []string {
	cells := make([]string, len(Columns))
	r.cells(cells, loc, SafeCell)
	for i, c := range cells {
		if csvLineBreaks {
			cells[i] = strings.ReplaceAll(strings.ReplaceAll(c, "\r\n", "\n"), "\r", "\n")
		} else {
			cells[i] = strings.Map(func(r rune) rune {
				if !xmlLegal(string(r)) {
					return '\uFFFD'
				}
				return r
			}, c)
		}
	}
	return cells
}

func render(t testing.TB, format string, rows []Row, loc *time.Location, opts ...Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(format, &buf, loc, opts...)
	require.NoError(t, err)
	for _, r := range rows {
		require.NoError(t, w.WriteRow(r))
	}
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "second Close is a no-op")
	assert.ErrorIs(t, w.WriteRow(rows[0]), ErrClosed)
	return buf.Bytes()
}

func TestCSVRoundTrip(t *testing.T) {
	loc := dublin(t)
	rows := testRows()
	out := render(t, FormatCSV, rows, loc)

	require.True(t, bytes.HasPrefix(out, []byte(utf8BOM)), "BOM by default")
	assert.True(t, utf8.Valid(out))
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte(utf8BOM))))
	records, err := r.ReadAll()
	require.NoError(t, err)
	require.Len(t, records, len(rows)+1)
	assert.Equal(t, Columns, records[0])
	for i, row := range rows {
		assert.Equal(t, expectedCells(row, loc, true), records[i+1], "row %d", i)
		for _, cell := range records[i+1] {
			assertNoLeadingTrigger(t, cell)
		}
	}
	// Dates carry the zone's offset across the DST change.
	assert.Equal(t, "2026-03-29T00:30:00+00:00", records[1][0])
	assert.Equal(t, "2026-03-29T02:30:00+01:00", records[2][0])
	// RFC 4180 records end in CRLF.
	assert.Contains(t, string(out), "Tenant\r\n")
}

func TestCSVWithoutBOMAndEmpty(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSV(&buf, nil, WithBOM(false))
	require.NoError(t, w.Close())
	assert.Equal(t, strings.Join(Columns, ",")+"\r\n", buf.String(), "an empty report still has its header")
}

func TestCSVInvalidUTF8(t *testing.T) {
	out := render(t, FormatCSV, []Row{{Author: "bad\xffbyte"}}, time.UTC, WithBOM(false))
	assert.True(t, utf8.Valid(out))
	assert.Contains(t, string(out), "bad\uFFFDbyte")
}

func TestXLSXRoundTrip(t *testing.T) {
	loc := dublin(t)
	rows := testRows()
	out := render(t, FormatXLSX, rows, loc)

	assertNoFormulaXML(t, out)
	f, err := excelize.OpenReader(bytes.NewReader(out))
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{SheetName}, f.GetSheetList())
	got, err := f.GetRows(SheetName)
	require.NoError(t, err)
	require.Len(t, got, len(rows)+1)
	assert.Equal(t, Columns, got[0])
	for i, row := range rows {
		assert.Equal(t, expectedCells(row, loc, false), padRow(got[i+1]), "row %d", i)
	}
}

func padRow(r []string) []string {
	for len(r) < len(Columns) {
		r = append(r, "")
	}
	return r
}

// assertNoFormulaXML unzips the workbook and checks every sheet: no <f> element, every cell
// an inline string, and no cell text starting with a trigger.
func assertNoFormulaXML(t *testing.T, xlsx []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	require.NoError(t, err)
	sheets := 0
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		sheets++
		rc, err := zf.Open()
		require.NoError(t, err)
		dec := xml.NewDecoder(rc)
		var inCell, inText bool
		var text strings.Builder
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			switch el := tok.(type) {
			case xml.StartElement:
				switch el.Name.Local {
				case "f":
					t.Fatalf("%s has a formula element", zf.Name)
				case "c":
					inCell = true
					typ := ""
					for _, a := range el.Attr {
						if a.Name.Local == "t" {
							typ = a.Value
						}
					}
					assert.Equal(t, "inlineStr", typ, "%s: cell type", zf.Name)
				case "t":
					inText = inCell
					text.Reset()
				}
			case xml.CharData:
				if inText {
					text.Write(el)
				}
			case xml.EndElement:
				switch el.Name.Local {
				case "t":
					assertNoLeadingTrigger(t, text.String())
					inText = false
				case "c":
					inCell = false
				}
			}
		}
		require.NoError(t, rc.Close())
	}
	assert.Positive(t, sheets)
}

func TestXLSXRollover(t *testing.T) {
	old := maxSheetRows
	maxSheetRows = 4 // header + 3 rows per sheet
	t.Cleanup(func() { maxSheetRows = old })
	assert.Equal(t, 1048576, MaxSheetRows)

	var rows []Row
	for i := range 8 {
		rows = append(rows, Row{Time: time.Unix(int64(i), 0), EventID: fmt.Sprintf("e-%d", i), Author: "=evil"})
	}
	out := render(t, FormatXLSX, rows, time.UTC)
	assertNoFormulaXML(t, out)
	f, err := excelize.OpenReader(bytes.NewReader(out))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{SheetName, SheetName + " (2)", SheetName + " (3)"}, f.GetSheetList())
	var ids []string
	for _, sheet := range f.GetSheetList() {
		got, err := f.GetRows(sheet)
		require.NoError(t, err)
		require.LessOrEqual(t, len(got), 4)
		assert.Equal(t, Columns, got[0], "each sheet has a header")
		for _, r := range got[1:] {
			ids = append(ids, r[8])
		}
	}
	assert.Equal(t, []string{"e-0", "e-1", "e-2", "e-3", "e-4", "e-5", "e-6", "e-7"}, ids)
}

func TestXLSXRolloverOnSize(t *testing.T) {
	old := maxSheetTextBytes
	maxSheetTextBytes = 100
	t.Cleanup(func() { maxSheetTextBytes = old })
	rows := []Row{{Description: strings.Repeat("x", 80)}, {Description: strings.Repeat("y", 80)}}
	out := render(t, FormatXLSX, rows, time.UTC)
	f, err := excelize.OpenReader(bytes.NewReader(out))
	require.NoError(t, err)
	defer f.Close()
	assert.Len(t, f.GetSheetList(), 2)
}

func TestXLSXTruncation(t *testing.T) {
	long := "=" + strings.Repeat("a", MaxCellChars)  // a trigger too, to check the prefix survives
	astral := strings.Repeat("🎉", MaxCellChars/2+10) // two UTF-16 units per rune
	exact := strings.Repeat("é", MaxCellChars)       // 2 bytes, one unit each: fits exactly
	out := render(t, FormatXLSX, []Row{{Description: long, Target: astral, Author: exact}}, time.UTC)
	f, err := excelize.OpenReader(bytes.NewReader(out))
	require.NoError(t, err)
	defer f.Close()
	got, err := f.GetRows(SheetName)
	require.NoError(t, err)
	desc, target, author := got[1][4], got[1][7], got[1][1]

	assert.True(t, strings.HasPrefix(desc, "'=aaa"))
	assert.True(t, strings.HasSuffix(desc, TruncationMarker))
	assert.Equal(t, MaxCellChars, utf16Len(desc))
	assert.True(t, strings.HasSuffix(target, TruncationMarker))
	assert.LessOrEqual(t, utf16Len(target), MaxCellChars)
	assert.True(t, utf8.ValidString(target))
	assert.Equal(t, exact, author)
}

func TestUnknownFormat(t *testing.T) {
	_, err := New("pdf", io.Discard, time.UTC)
	assert.ErrorContains(t, err, `"pdf"`)
}

func TestCompressed(t *testing.T) {
	payload := render(t, FormatCSV, testRows(), time.UTC)
	for _, kind := range []string{CompressionNone, CompressionGzip, CompressionZip} {
		t.Run("kind="+kind, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewCompressed(kind, &buf, "report.csv")
			require.NoError(t, err)
			_, err = w.Write(payload)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			require.NoError(t, w.Close())

			var got []byte
			switch kind {
			case CompressionGzip:
				zr, err := gzip.NewReader(&buf)
				require.NoError(t, err)
				assert.Equal(t, "report.csv", zr.Name)
				got, err = io.ReadAll(zr)
				require.NoError(t, err)
			case CompressionZip:
				zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
				require.NoError(t, err)
				require.Len(t, zr.File, 1)
				assert.Equal(t, "report.csv", zr.File[0].Name)
				rc, err := zr.File[0].Open()
				require.NoError(t, err)
				got, err = io.ReadAll(rc)
				require.NoError(t, err)
			default:
				got = buf.Bytes()
			}
			assert.Equal(t, payload, got)
		})
	}
	assert.Equal(t, "r.csv.zip", CompressedName("r.csv", CompressionZip))
	assert.Equal(t, "r.csv.gz", CompressedName("r.csv", CompressionGzip))
	_, err := NewCompressed("brotli", io.Discard, "r.csv")
	assert.Error(t, err)
	for _, bad := range []string{"", "../x.csv", "a/b.csv", "x\r\n.csv"} {
		_, err := NewCompressed(CompressionZip, io.Discard, bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestSplitFormat(t *testing.T) {
	for in, want := range map[string][2]string{
		"csv": {"csv", ""}, "xlsx": {"xlsx", ""}, "csv.gz": {"csv", "gzip"}, "xlsx.zip": {"xlsx", "zip"},
	} {
		format, compression, err := SplitFormat(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, [2]string{format, compression}, in)
	}
	for _, bad := range []string{"", "pdf", "csv.bz2", "csv.gz.gz", ".gz"} {
		_, _, err := SplitFormat(bad)
		assert.Error(t, err, bad)
	}
}
