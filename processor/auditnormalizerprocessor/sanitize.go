package auditnormalizerprocessor

import (
	"encoding/binary"
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
	if len(s) > max {
		return rewriteClean(s, max)
	}
	i := printableASCIIPrefix(s)
	if i == len(s) {
		return s
	}
	// Valid UTF-8 with nothing to replace: the rewrite would copy it unchanged, then trim it.
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unicode.IsControl(r) || isBidiControl(r) {
			return rewriteClean(s, max)
		}
		i += size
	}
	return strings.TrimSpace(s)
}

// printableASCIIPrefix returns the length of the longest prefix of s that is printable ASCII
// (0x20 to 0x7e), testing eight bytes at a time.
func printableASCIIPrefix(s string) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		// A byte is outside 0x20..0x7e when its high bit is set, when it is below 0x20 (the
		// subtraction borrows into its high bit) or when it is 0x7f (adding 1 carries into it).
		// Bytes are checked on their own: w has no high bit set where it matters.
		if (w|(w-0x20*ones)|(w+ones))&highs != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return i
		}
	}
	return i
}

// rewriteClean is cleanString's slow path: it copies s rune by rune, replacing what must go
// and cutting at max bytes.
func rewriteClean(s string, max int) string {
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
