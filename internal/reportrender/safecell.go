package reportrender

import (
	"unicode"
	"unicode/utf8"
)

// SafeCell neutralises formula injection (OWASP "CSV Injection", ASVS 5.0 1.2.10): when the
// text could be read as a formula by a spreadsheet, a single quote is prefixed and nothing
// else changes, so the original text is always SafeCell(s)[1:] for a prefixed cell.
//
// A cell is prefixed when its first character is a trigger, or when it starts with
// whitespace or invisible characters that are followed by a trigger:
//   - triggers: = + - @, tab, CR, LF and NUL;
//   - their full-width forms ＝ ＋ － ＠ and small forms ﹦ ﹢ ﹣ ﹫, which some spreadsheet
//     input methods fold to ASCII;
//   - skipped before a trigger: any Unicode space (space, NBSP, U+3000 ...) and the
//     zero-width characters U+200B, U+2060 and U+FEFF.
//
// Negative numbers ("-2") are prefixed too: the rule does not try to tell a number from a
// formula, because "-2+3" is both.
func SafeCell(s string) string {
	// Fast path: the usual cell is empty or starts with a safe ASCII character.
	if len(s) > 0 && suspectFirstByte[s[0]] {
		return safeCellSlow(s)
	}
	return s
}

func safeCellSlow(s string) string {
	if needsQuote(s) {
		return "'" + s
	}
	return s
}

func needsQuote(s string) bool {
	for _, r := range s {
		if isTrigger(r) {
			return true
		}
		if !isLeadingFiller(r) {
			return false
		}
	}
	return false
}

// suspectFirstByte marks the first bytes that need a closer look: ASCII triggers, ASCII
// spaces that may precede one, and every non-ASCII lead byte.
var suspectFirstByte = func() (t [256]bool) {
	for _, c := range "=+-@\t\r\n\x00 \v\f" {
		t[c] = true
	}
	t[0x1c], t[0x1d], t[0x1e], t[0x1f] = true, true, true, true // unicode.IsSpace separators
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true
	}
	return t
}()

func isTrigger(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', '\x00',
		'\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', // full-width ＝ ＋ － ＠
		'\uFE66', '\uFE62', '\uFE63', '\uFE6B': // small forms ﹦ ﹢ ﹣ ﹫
		return true
	}
	return false
}

func isLeadingFiller(r rune) bool {
	switch r {
	case '\u200B', '\u2060', '\uFEFF':
		return true
	}
	return unicode.IsSpace(r)
}
