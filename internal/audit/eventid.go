package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"sort"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// HashEventID returns a deterministic id for an event that carries none of its own: the first
// 128 bits of a SHA-256 over a canonical encoding of the source, the timestamp and the raw
// event (map keys sorted). A re-delivered event gets the same id, so downstream deduplication
// works for every source. The "h-" prefix tells hashed ids from source ids.
func HashEventID(source string, timestampUnixNano int64, raw pcommon.Value) string {
	h := sha256.New()
	var buf []byte
	buf = appendString(buf, source)
	buf = strconv.AppendInt(buf, timestampUnixNano, 10)
	buf = appendCanonical(buf, raw)
	h.Write(buf)
	var sum [sha256.Size]byte
	return "h-" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}

func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// appendCanonical writes a type-tagged, length-prefixed encoding, so that different values
// can never encode to the same bytes.
func appendCanonical(b []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendString(append(b, 's'), v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(append(b, 'i'), v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return strconv.AppendUint(append(b, 'd'), math.Float64bits(v.Double()), 16)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(append(b, 'b'), v.Bool())
	case pcommon.ValueTypeBytes:
		return appendString(append(b, 'y'), string(v.Bytes().AsRaw()))
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		b = strconv.AppendInt(append(b, '['), int64(s.Len()), 10)
		for i := 0; i < s.Len(); i++ {
			b = appendCanonical(b, s.At(i))
		}
		return append(b, ']')
	case pcommon.ValueTypeMap:
		m := v.Map()
		keys := make([]string, 0, m.Len())
		m.Range(func(k string, _ pcommon.Value) bool {
			keys = append(keys, k)
			return true
		})
		sort.Strings(keys)
		b = strconv.AppendInt(append(b, '{'), int64(len(keys)), 10)
		for _, k := range keys {
			val, _ := m.Get(k)
			b = appendCanonical(appendString(b, k), val)
		}
		return append(b, '}')
	default:
		return append(b, 'n')
	}
}
