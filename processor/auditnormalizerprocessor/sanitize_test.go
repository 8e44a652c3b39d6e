package auditnormalizerprocessor

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// referenceClean is cleanString written plainly: every string that is not printable ASCII
// within the bound is rewritten rune by rune and trimmed.
func referenceClean(s string, max int) string {
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

func TestCleanStringMatchesReference(t *testing.T) {
	parts := []string{
		"a", "alice@example.com", " ", "\t", "\n", "\x7f", "\x80", "\xff", "~", "\x1f", "José",
		"\u00a0", "\u2028", "\u202e", "\ufeff", "\ufffd", "日本", "\u0085", "0123456789abcdef",
	}
	var inputs []string
	for _, a := range parts {
		for _, b := range parts {
			for _, c := range parts {
				inputs = append(inputs, a+b+c, " "+a+strings.Repeat("x", 7)+b+c+" ", strings.Repeat(a, 9)+b)
			}
		}
	}
	for _, s := range inputs {
		for _, max := range []int{4, 16, 256} {
			assert.Equal(t, referenceClean(s, max), cleanString(s, max), "%q max %d", s, max)
		}
	}
}

func TestPrintableASCIIPrefix(t *testing.T) {
	for _, s := range []string{"", "abc", strings.Repeat("x", 64), strings.Repeat("~", 17) + "\x7f", "abcdefg\x00h", " !\"#$%&'()*+,-./0123456789", "abcdefgh\x1fabcdefgh", "abcdefghabcdefgh\u00e9"} {
		want := len(s)
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] >= 0x7f {
				want = i
				break
			}
		}
		assert.Equal(t, want, printableASCIIPrefix(s), "%q", s)
	}
}
