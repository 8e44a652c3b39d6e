package reportrender

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// xmlLegal reports whether XML 1.0 can carry s unchanged (encoding/xml replaces the rest
// with U+FFFD).
func xmlLegal(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return utf8.ValidString(s)
}

// FuzzCellEscaping renders one fuzzed cell in both formats and reads it back: no cell may
// start with a trigger, no CSV cell may hold one after a separator, XLSX may hold no
// formula, and the text must come back as SafeCSVCell (CSV) or SafeCell (XLSX) made it.
func FuzzCellEscaping(f *testing.F) {
	for _, s := range injectionPayloads {
		f.Add(s)
	}
	for _, p := range embeddedPayloads {
		f.Add(p.in)
	}
	f.Add("_x0041_ literal escape")
	f.Add("a\r\nb\rc")
	f.Fuzz(func(t *testing.T, s string) {
		row := audit.Row{Time: time.Unix(0, 0), Author: s, Description: s}

		var csvBuf bytes.Buffer
		cw := NewCSV(&csvBuf, time.UTC, WithBOM(false))
		if err := cw.WriteRow(row); err != nil {
			t.Fatal(err)
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
		raw := csvBuf.Bytes()
		records, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil || len(records) != 2 {
			t.Fatalf("csv read back: %v (%d records)", err, len(records))
		}
		if wantCSV := SafeCSVCell(s); records[1][1] != wantCSV {
			t.Fatalf("csv cell %q, want %q", records[1][1], wantCSV)
		}
		assertNoLeadingTrigger(t, records[1][1])
		assertNoSegmentTrigger(t, records[1][1])
		assertAllQuoted(t, raw)
		// A reader that splits the file on any separator, ignoring quotes, sees no formula.
		assertNoSegmentTrigger(t, string(raw))

		var xBuf bytes.Buffer
		xw, err := NewXLSX(&xBuf, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if err := xw.WriteRow(row); err != nil {
			t.Fatal(err)
		}
		if err := xw.Close(); err != nil {
			t.Fatal(err)
		}
		assertNoFormulaXML(t, xBuf.Bytes())
		book, err := excelize.OpenReader(&xBuf)
		if err != nil {
			t.Fatal(err)
		}
		defer book.Close()
		got, err := book.GetCellValue(SheetName, "B2")
		if err != nil {
			t.Fatal(err)
		}
		assertNoLeadingTrigger(t, got)
		if want := truncateCell(SafeCell(s)); xmlLegal(s) && got != want {
			t.Fatalf("xlsx cell %q, want %q", got, want)
		}
	})
}
