package reportrender

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
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
// start with a trigger, XLSX may hold no formula, and the text must come back as
// SafeCell made it.
func FuzzCellEscaping(f *testing.F) {
	for _, s := range injectionPayloads {
		f.Add(s)
	}
	f.Add("_x0041_ literal escape")
	f.Add("a\r\nb\rc")
	f.Fuzz(func(t *testing.T, s string) {
		row := Row{Time: time.Unix(0, 0), Author: s, Description: s}

		var csvBuf bytes.Buffer
		cw := NewCSV(&csvBuf, time.UTC, WithBOM(false))
		if err := cw.WriteRow(row); err != nil {
			t.Fatal(err)
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(&csvBuf).ReadAll()
		if err != nil || len(records) != 2 {
			t.Fatalf("csv read back: %v (%d records)", err, len(records))
		}
		wantCSV := strings.ToValidUTF8(strings.ReplaceAll(strings.ReplaceAll(SafeCell(s), "\r\n", "\n"), "\r", "\n"), "\uFFFD")
		if records[1][1] != wantCSV {
			t.Fatalf("csv cell %q, want %q", records[1][1], wantCSV)
		}
		assertNoLeadingTrigger(t, records[1][1])

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
