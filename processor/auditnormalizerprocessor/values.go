package auditnormalizerprocessor

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// str returns m[key] as a string: strings as they are, integers and integral doubles in
// decimal, booleans as true/false. Maps, slices, nulls and absent keys give "".
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

// hasString reports whether valueString(v) is not "", without formatting a number.
func hasString(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str() != ""
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		return true
	default:
		return false
	}
}

// valueInt is strconv.ParseInt(valueString(v), 10, 64) without formatting a number, and
// without the error's allocation for a value that is no number. Like ParseInt, it returns
// the clamped value with false when the number is out of range.
func valueInt(v pcommon.Value) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), true
	case pcommon.ValueTypeDouble:
		if d := v.Double(); d == math.Trunc(d) && math.Abs(d) < 1<<53 {
			return int64(d), true
		}
		return 0, false
	case pcommon.ValueTypeStr:
		return parseInt(v.Str())
	default:
		return 0, false
	}
}

// parseInt is strconv.ParseInt(s, 10, 64) that tells a decimal integer by its digits first:
// ParseInt allocates an error for every word it is handed.
func parseInt(s string) (int64, bool) {
	digits := s
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// strNotNull is str, with the literal "null" that text formats write for a missing value
// read as "".
func strNotNull(m pcommon.Map, key string) string {
	if s := str(m, key); s != "null" {
		return s
	}
	return ""
}

// emptyMap stands in for an absent object; it is only ever read.
var emptyMap = pcommon.NewMap()

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

// firstItem returns the first element of the slice under key when it is a map.
func firstItem(m pcommon.Map, key string) (pcommon.Map, bool) {
	v, ok := m.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeSlice || v.Slice().Len() == 0 {
		return pcommon.Map{}, false
	}
	if first := v.Slice().At(0); first.Type() == pcommon.ValueTypeMap {
		return first.Map(), true
	}
	return pcommon.Map{}, false
}

func has(m pcommon.Map, key string) bool {
	_, ok := m.Get(key)
	return ok
}

// hasValue reports whether key holds something other than null or "".
func hasValue(m pcommon.Map, key string) bool {
	v, ok := m.Get(key)
	return ok && stated(v)
}

// stated reports whether v holds something: not null, not "".
func stated(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return false
	case pcommon.ValueTypeStr:
		return v.Str() != ""
	default:
		return true
	}
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
// Integer numbers become Int values, so that epoch milliseconds and ids keep every digit; a
// float64 holds only 53 bits.
func parseJSONObject(s string) (pcommon.Map, bool) {
	t := strings.TrimLeft(s, " \t\r\n")
	if t == "" || t[0] != '{' {
		return pcommon.Map{}, false
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return pcommon.Map{}, false
	}
	// Trailing text after the object is tolerated only when it is blank.
	if strings.TrimSpace(t[dec.InputOffset():]) != "" {
		return pcommon.Map{}, false
	}
	m := pcommon.NewMap()
	m.EnsureCapacity(len(raw))
	for k, v := range raw {
		putJSON(m.PutEmpty(k), v)
	}
	return m, true
}

// putJSON stores a value decoded with UseNumber.
func putJSON(dst pcommon.Value, v any) {
	switch t := v.(type) {
	case nil:
	case string:
		dst.SetStr(t)
	case bool:
		dst.SetBool(t)
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			dst.SetInt(i)
		} else if f, err := strconv.ParseFloat(string(t), 64); err == nil {
			dst.SetDouble(f)
		} else {
			// Out of float64 range: keep the digits rather than lose the value.
			dst.SetStr(string(t))
		}
	case map[string]any:
		m := dst.SetEmptyMap()
		m.EnsureCapacity(len(t))
		for k, e := range t {
			putJSON(m.PutEmpty(k), e)
		}
	case []any:
		s := dst.SetEmptySlice()
		s.EnsureCapacity(len(t))
		for _, e := range t {
			putJSON(s.AppendEmpty(), e)
		}
	}
}

// Plausible epoch values per unit for times between 2000 and 2100. The ranges do not
// overlap, so the unit of a number is read from its magnitude: a seconds value where
// milliseconds are expected (or the other way round) is still read right.
const (
	maxEpochSeconds = 1e11 // year 5138 in seconds, 1973 in milliseconds
	maxEpochMillis  = 1e14
	maxEpochMicros  = 1e17
)

// parseTime reads an event time: RFC 3339 (and a few near variants) strings, and epoch
// numbers or digit strings in seconds, milliseconds, microseconds or nanoseconds, told apart
// by magnitude. Integers stay integers: no float64 is involved, so the last digit of an epoch
// in milliseconds survives. It returns Unix nanoseconds.
func parseTime(v pcommon.Value) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return parseTimeString(strings.TrimSpace(v.Str()))
	case pcommon.ValueTypeInt:
		return epochToNanos(v.Int(), 0)
	case pcommon.ValueTypeDouble:
		d := v.Double()
		if math.IsNaN(d) || math.IsInf(d, 0) || d <= 0 || d >= math.MaxInt64 {
			return 0, false
		}
		whole := math.Floor(d)
		// The fraction is rounded to microseconds of the unit: a double carries no more.
		return epochToNanos(int64(whole), int64(math.Round((d-whole)*1e6)))
	default:
		return 0, false
	}
}

// epochToNanos converts an epoch of unknown unit, plus a fraction of that unit in
// millionths, to nanoseconds.
func epochToNanos(n, fracMicro int64) (int64, bool) {
	var scale int64
	switch {
	case n <= 0:
		return 0, false
	case n < maxEpochSeconds:
		scale = 1e9
	case n < maxEpochMillis:
		scale = 1e6
	case n < maxEpochMicros:
		scale = 1e3
	default:
		return n, true
	}
	if n > math.MaxInt64/scale {
		return 0, false
	}
	return n*scale + fracMicro*scale/1e6, true
}

// timeLayouts are the layouts tried after RFC 3339; times without a zone are UTC.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	time.RFC1123Z,
	time.RFC1123,
}

func parseTimeString(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if n, frac, ok := parseDecimal(s); ok {
		return epochToNanos(n, frac)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixNano(), true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

// parseDecimal reads "1605719148837" or "1605719148.837": the integer part and the fraction
// in millionths, exactly.
func parseDecimal(s string) (n, fracMicro int64, ok bool) {
	intPart, fracPart, hasFrac := strings.Cut(s, ".")
	if intPart == "" || len(intPart) > 19 {
		return 0, 0, false
	}
	for i := 0; i < len(intPart); i++ {
		if intPart[i] < '0' || intPart[i] > '9' {
			return 0, 0, false
		}
	}
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if hasFrac {
		var scale int64 = 1e5
		for i := 0; i < len(fracPart); i++ {
			c := fracPart[i]
			if c < '0' || c > '9' {
				return 0, 0, false
			}
			fracMicro += int64(c-'0') * scale
			scale /= 10
		}
	}
	return n, fracMicro, true
}

var minPlausibleTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// plausible reports whether an event time can be real: not before 2000 and not more than a
// day ahead of now.
func plausible(ns int64, now time.Time) bool {
	return ns >= minPlausibleTime && ns <= now.Add(24*time.Hour).UnixNano()
}

// outcomeWords are spellings that state an outcome is not known yet (Okta CHALLENGE, Azure
// Start and Accept): they read as unknown without being unreadable.
var outcomeWords = map[string]bool{
	"unknown": true, "skipped": true, "challenge": true, "start": true, "started": true,
	"accept": true, "accepted": true, "pending": true, "in_progress": true, "inprogress": true,
	"running": true, "active": true, "none": true,
}

// readOutcome reads an outcome of any type: a spelling ("SUCCESS", "denied"), a boolean, an
// HTTP status, or an object holding one of these under result, outcome, status, value or
// code. readable is false when the value is there but none of these.
func readOutcome(v pcommon.Value) (outcome string, readable bool) {
	return readOutcomeDepth(v, 0)
}

func readOutcomeDepth(v pcommon.Value, depth int) (string, bool) {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return "", true
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return audit.OutcomeSuccess, true
		}
		return audit.OutcomeFailure, true
	case pcommon.ValueTypeInt:
		return statusOutcome(v.Int())
	case pcommon.ValueTypeDouble:
		if d := v.Double(); d == math.Trunc(d) && math.Abs(d) < 1e6 {
			return statusOutcome(int64(d))
		}
		return audit.OutcomeUnknown, false
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(v.Str())
		if s == "" {
			return "", true
		}
		if o := audit.NormalizeOutcome(s); o != audit.OutcomeUnknown {
			return o, true
		}
		if isOutcomeWord(s) {
			return audit.OutcomeUnknown, true
		}
		if n, ok := parseInt(s); ok {
			return statusOutcome(n)
		}
		return audit.OutcomeUnknown, false
	case pcommon.ValueTypeMap:
		if depth < 2 {
			for _, k := range outcomeKeys {
				if e, ok := v.Map().Get(k); ok {
					return readOutcomeDepth(e, depth+1)
				}
			}
		}
	}
	return audit.OutcomeUnknown, false
}

// isOutcomeWord reports whether s is one of outcomeWords in any case. ASCII is lowered in a
// buffer on the stack, so that a word in capitals does not allocate.
func isOutcomeWord(s string) bool {
	var buf [16]byte
	if len(s) > len(buf) {
		return outcomeWords[strings.ToLower(s)]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return outcomeWords[strings.ToLower(s)]
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return outcomeWords[string(buf[:len(s)])]
}

var outcomeKeys = []string{"result", "outcome", "status", "value", "code"}

// statusOutcome reads a number as an HTTP status: below 400 success, else failure. Other
// numbers carry no agreed meaning.
func statusOutcome(n int64) (string, bool) {
	switch {
	case n >= 100 && n < 400:
		return audit.OutcomeSuccess, true
	case n >= 400 && n < 600:
		return audit.OutcomeFailure, true
	default:
		return audit.OutcomeUnknown, false
	}
}

// ipOnly returns the IP address s holds, or "": CloudTrail puts service names such as
// cloudtrail.amazonaws.com in sourceIPAddress, and a payload may carry anything. An address
// with a port ("203.0.113.9:443", "[2001:db8::1]:443") or a forwarded-for list gives its first
// address. IPv6 zones are refused: a zone is free text. The result is a substring of s.
func ipOnly(s string) string {
	if s == "" {
		return ""
	}
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if !addressChars(s) {
		// A name, or an address with a zone: netip would allocate an error to say so.
		return ""
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return ""
		}
		return s
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		host := s[:strings.LastIndexByte(s, ':')]
		return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return ""
}

// addressChars reports whether s holds only the characters of an IP address, with or
// without a port: hex digits, dots, colons and brackets.
func addressChars(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '.', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
