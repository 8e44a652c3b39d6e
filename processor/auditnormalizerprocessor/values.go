package auditnormalizerprocessor

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// str returns m[key] as a string: strings as they are, integers and integral doubles in
// decimal (JSON numbers arrive as doubles), booleans as true/false. Maps, slices and absent
// keys give "".
func str(m pcommon.Map, key string) string {
	v, ok := m.Get(key)
	if !ok {
		return ""
	}
	return valueString(v)
}

func valueString(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10)
	case pcommon.ValueTypeDouble:
		d := v.Double()
		if d == math.Trunc(d) && math.Abs(d) < 1<<53 {
			return strconv.FormatInt(int64(d), 10)
		}
		return strconv.FormatFloat(d, 'g', -1, 64)
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.Bool())
	default:
		return ""
	}
}

// sub returns the map under key, if there is one.
func sub(m pcommon.Map, key string) (pcommon.Map, bool) {
	v, ok := m.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeMap {
		return pcommon.Map{}, false
	}
	return v.Map(), true
}

// subStr returns m[k1][k2] as a string.
func subStr(m pcommon.Map, k1, k2 string) string {
	if s, ok := sub(m, k1); ok {
		return str(s, k2)
	}
	return ""
}

func has(m pcommon.Map, key string) bool {
	_, ok := m.Get(key)
	return ok
}

// fieldPath is a compiled dotted path into a raw event.
type fieldPath struct {
	full     string
	segments []string
}

func compilePath(p string) fieldPath {
	if p == "" {
		return fieldPath{}
	}
	return fieldPath{full: p, segments: strings.Split(p, ".")}
}

// get walks the path through nested maps; when that fails, a key spelled with the dots
// ("user.email") is tried as one key.
func (p fieldPath) get(m pcommon.Map) (pcommon.Value, bool) {
	if p.full == "" {
		return pcommon.Value{}, false
	}
	cur := m
	for i, seg := range p.segments {
		v, ok := cur.Get(seg)
		if !ok {
			break
		}
		if i == len(p.segments)-1 {
			return v, true
		}
		if v.Type() != pcommon.ValueTypeMap {
			break
		}
		cur = v.Map()
	}
	if len(p.segments) > 1 {
		return m.Get(p.full)
	}
	return pcommon.Value{}, false
}

func (p fieldPath) str(m pcommon.Map) string {
	if v, ok := p.get(m); ok {
		return valueString(v)
	}
	return ""
}

// parseJSONObject parses a JSON object string into a map. Anything else is not an event.
func parseJSONObject(s string) (pcommon.Map, bool) {
	t := strings.TrimLeft(s, " \t\r\n")
	if t == "" || t[0] != '{' {
		return pcommon.Map{}, false
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(t), &raw); err != nil {
		return pcommon.Map{}, false
	}
	m := pcommon.NewMap()
	if err := m.FromRaw(raw); err != nil {
		return pcommon.Map{}, false
	}
	return m, true
}

// parseTime reads an event time: RFC 3339 strings, and numbers (or digit strings) in the
// given unit. It returns Unix nanoseconds.
func parseTime(v pcommon.Value, format string) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		if s == "" {
			return 0, false
		}
		if format != TimeFormatRFC3339 && s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:T") {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return 0, false
			}
			return unixToNanos(float64(n), format)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, false
		}
		return t.UnixNano(), true
	case pcommon.ValueTypeInt:
		return unixToNanos(float64(v.Int()), format)
	case pcommon.ValueTypeDouble:
		return unixToNanos(v.Double(), format)
	default:
		return 0, false
	}
}

func unixToNanos(n float64, format string) (int64, bool) {
	var scale float64
	switch format {
	case TimeFormatUnixS:
		scale = 1e9
	case TimeFormatUnixNs:
		scale = 1
	default:
		scale = 1e6
	}
	ns := n * scale
	if math.IsNaN(ns) || ns < 0 || ns > math.MaxInt64/2 {
		return 0, false
	}
	return int64(ns), true
}

var minPlausibleTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// plausible reports whether an event time can be real: not before 2000 (a seconds value read
// as milliseconds lands in 1970) and not more than a day ahead of now.
func plausible(ns int64, now time.Time) bool {
	return ns >= minPlausibleTime && ns <= now.Add(24*time.Hour).UnixNano()
}
