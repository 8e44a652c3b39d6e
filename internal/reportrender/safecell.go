package reportrender

import (
	"strings"
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

// SafeCSVCell is what a CSV reader gets back for cell s: SafeCell(s) with every line break
// made an LF and invalid UTF-8 replaced by U+FFFD, and a quote (') inserted after a
// separator that a spreadsheet might split the cell on (comma, semicolon, tab, LF) when the
// text after it, past whitespace, invisible characters and double quotes, starts with a
// trigger: "x;=cmd|' /C calc'!A0" becomes "x;'=cmd|' /C calc'!A0".
//
// The CSV writer quotes every field, so a reader that honours RFC 4180 never splits a cell.
// The inner quotes are for the readers that do not: Excel in a locale whose list separator
// is ";" with a file it takes for text, import wizards with the text qualifier off, and
// line-based tools, each of which would otherwise start a new cell with the trigger. The
// same rule applies at the very start, where a double quote before a trigger ("\"=1") is
// quoted too. Only quotes are ever inserted.
func SafeCSVCell(s string) string {
	return quoteSegments(csvText(SafeCell(s)))
}

// isSegmentSeparator reports the bytes after which a reader that ignores CSV quoting may
// start a new cell. CR does not occur: csvText has made every line break an LF.
func isSegmentSeparator(c byte) bool {
	return c == ',' || c == ';' || c == '\t' || c == '\n'
}

// quoteSegments inserts a quote at the start of s and after each separator where
// segmentNeedsQuote holds. It returns s itself when nothing is inserted.
func quoteSegments(s string) string {
	var b strings.Builder
	last := 0
	insert := func(at int) {
		if b.Len() == 0 {
			b.Grow(len(s) + 8)
		}
		b.WriteString(s[last:at])
		b.WriteByte('\'')
		last = at
	}
	if segmentNeedsQuote(s) {
		insert(0)
	}
	// Separators are ASCII, so a byte scan never stops inside a multi-byte character.
	for i := 0; i < len(s); i++ {
		if isSegmentSeparator(s[i]) && segmentNeedsQuote(s[i+1:]) {
			insert(i + 1)
		}
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// segmentNeedsQuote reports whether a segment starts, past fillers and double quotes, with
// a trigger. Another separator ends the segment: its own segment is checked on its own,
// and scanning stops there so that the whole cell is scanned once.
func segmentNeedsQuote(s string) bool {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && isSegmentSeparator(byte(r)):
			return false
		case isTrigger(r):
			return true
		case r == '"' || isLeadingFiller(r):
		default:
			return false
		}
	}
	return false
}
