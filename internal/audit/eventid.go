package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// HashEventID returns a deterministic id for an event that carries none of its own: the first
// 128 bits of a SHA-256 over a canonical encoding of the source, the timestamp and the raw
// event (map keys sorted). A re-delivered event gets the same id, so downstream deduplication
// works for every source. The "h-" prefix tells hashed ids from source ids.
//
// The encoding is stored in every hashed id: it must never change.
func HashEventID(source string, timestampUnixNano int64, raw pcommon.Value) string {
	bp := getHashBuf()
	buf := appendString(*bp, source)
	buf = strconv.AppendInt(buf, timestampUnixNano, 10)
	buf = appendCanonical(buf, raw)
	return finishID(bp, buf)
}

// HashEventIDMap is HashEventID for a raw event held as a map, without wrapping it in a
// Value (which would copy it).
func HashEventIDMap(source string, timestampUnixNano int64, raw pcommon.Map) string {
	bp := getHashBuf()
	buf := appendString(*bp, source)
	buf = strconv.AppendInt(buf, timestampUnixNano, 10)
	buf = appendMap(buf, raw, false, 0)
	return finishID(bp, buf)
}

// hashBufs holds encoding buffers: one event id per record is hashed on the hot path.
var hashBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

// maxPooledHashBuf keeps the buffer of an unusually large event out of the pool.
const maxPooledHashBuf = 64 << 10

func getHashBuf() *[]byte {
	bp := hashBufs.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

// finishID hashes buf, returns bp (which buf grew from) to the pool and formats the id.
func finishID(bp *[]byte, buf []byte) string {
	sum := sha256.Sum256(buf)
	if cap(buf) <= maxPooledHashBuf {
		*bp = buf[:0]
		hashBufs.Put(bp)
	}
	var id [2 + 2*16]byte
	id[0], id[1] = 'h', '-'
	hex.Encode(id[2:], sum[:16])
	return string(id[:])
}

func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// appendCanonical writes a type-tagged, length-prefixed encoding, so that different values
// can never encode to the same bytes.
func appendCanonical(b []byte, v pcommon.Value) []byte {
	return appendValue(b, v, 0)
}

// appendValue is appendCanonical for a value nested depth maps and slices deep.
func appendValue(b []byte, v pcommon.Value, depth int) []byte {
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
		raw := v.Bytes().AsRaw()
		b = strconv.AppendInt(append(b, 'y'), int64(len(raw)), 10)
		return append(append(b, ':'), raw...)
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		b = strconv.AppendInt(append(b, '['), int64(s.Len()), 10)
		for i := 0; i < s.Len(); i++ {
			b = appendValue(b, s.At(i), depth+1)
		}
		return append(b, ']')
	case pcommon.ValueTypeMap:
		return appendMap(b, v.Map(), false, depth)
	default:
		return append(b, 'n')
	}
}

// mapEntry is one key and value of a map being encoded.
type mapEntry struct {
	key string
	val pcommon.Value
}

const (
	// smallMap is how many entries are sorted in an array on the stack; larger maps allocate.
	smallMap = 32
	// stackMapDepth bounds the nesting at which maps use that array, so that a deeply nested
	// hostile event does not grow the stack by a kilobyte per level.
	stackMapDepth = 8
)

// appendMap encodes m with its keys in byte order: "{", the number of keys, then each key
// and its value, then "}". skipAudit leaves out keys under "audit.". A key held twice
// encodes its first value both times, as a lookup by key would read it.
func appendMap(b []byte, m pcommon.Map, skipAudit bool, depth int) []byte {
	if m.Len() <= smallMap && depth < stackMapDepth {
		return appendSmallMap(b, m, skipAudit, depth)
	}
	return appendEntries(b, mapEntries(make([]mapEntry, 0, m.Len()), m, skipAudit), depth)
}

func appendSmallMap(b []byte, m pcommon.Map, skipAudit bool, depth int) []byte {
	var arr [smallMap]mapEntry
	return appendEntries(b, mapEntries(arr[:0], m, skipAudit), depth)
}

// mapEntries appends m's entries to entries, sorted by key.
func mapEntries(entries []mapEntry, m pcommon.Map, skipAudit bool) []mapEntry {
	m.Range(func(k string, v pcommon.Value) bool {
		if !skipAudit || !strings.HasPrefix(k, "audit.") {
			entries = append(entries, mapEntry{k, v})
		}
		return true
	})
	// Stable, so that the first of duplicate keys stays first.
	slices.SortStableFunc(entries, func(x, y mapEntry) int { return cmp.Compare(x.key, y.key) })
	return entries
}

func appendEntries(b []byte, entries []mapEntry, depth int) []byte {
	b = strconv.AppendInt(append(b, '{'), int64(len(entries)), 10)
	first := 0
	for i, e := range entries {
		if i == 0 || e.key != entries[i-1].key {
			first = i
		}
		b = appendValue(appendString(b, e.key), entries[first].val, depth+1)
	}
	return append(b, '}')
}
