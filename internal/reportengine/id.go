package reportengine

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// IDLength is the length of an id from NewID.
const IDLength = 32

// NewID returns a random id of 32 lower-case hex digits: report run ids, export ids and
// error ids (which use a prefix). Ids name directories and files, so IsID guards every id
// that comes back in a request.
func NewID() string {
	var b [IDLength / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// IsID reports whether s is an id NewID could have returned.
func IsID(s string) bool {
	if len(s) != IDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// SafeName keeps the characters of s that are safe in every file system and mail client
// (letters, digits, '-', '_' and '.') and replaces the others with '_': a tenant id in a
// file name.
func SafeName(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return '_'
	}, s)
}
