package auditnormalizerprocessor

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length bounds, in bytes, for strings the normaliser writes. Payload fields are data from
// outside: a multi-megabyte "user name" must not become a label value or a report cell.
const (
	maxNameLen        = 256
	maxDescriptionLen = 1024
)

// cleanString bounds s to max bytes (cut on a rune boundary) and replaces each control
// character, bidirectional formatting character, invisible mark and invalid UTF-8 byte with
// U+FFFD. Replacing rather than deleting keeps tokens apart ("alice\n2026-… user=admin" must
// not read "alice2026-… user=admin") and shows that something was there; deleting bidi
// controls alone would still hide a reordering attack ("Trojan Source"). The raw value stays
// in audit.original. Clean printable ASCII within the bound is returned as is, without
// allocating.
func cleanString(s string, max int) string {
	clean := len(s) <= max
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if (r == utf8.RuneError && size <= 1) || unicode.IsControl(r) || isBidiControl(r) {
			r, size = utf8.RuneError, len(string(utf8.RuneError))
		}
		if b.Len()+size > max {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// isBidiControl reports the Unicode bidirectional formatting characters and invisible marks.
func isBidiControl(r rune) bool {
	switch {
	case r == 0x061C, r == 0x200E, r == 0x200F:
		return true
	case r >= 0x202A && r <= 0x202E:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0xFEFF, r >= 0x200B && r <= 0x200D:
		return true
	}
	return false
}
