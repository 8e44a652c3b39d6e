package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// hashSamples are values of every type, with maps small and large (past any fixed key
// buffer), nested, and keys that sort differently by byte and by length.
func hashSamples() []pcommon.Value {
	var out []pcommon.Value
	for _, raw := range []any{
		nil, "", "alice", int64(-7), 1.5, math.Inf(1), true, false,
		[]any{}, []any{"a", int64(1), map[string]any{"k": "v"}},
		map[string]any{},
		map[string]any{"b": "2", "a": "1", "ab": int64(3), "B": nil, "a.b": []any{true}},
		map[string]any{"outer": map[string]any{"z": 1.25, "y": map[string]any{"x": "deep"}}},
	} {
		v := pcommon.NewValueEmpty()
		if err := v.FromRaw(raw); err != nil {
			panic(err)
		}
		out = append(out, v)
	}
	big := pcommon.NewValueMap()
	for i := 0; i < 70; i++ {
		big.Map().PutStr(fmt.Sprintf("key%02d-%s", 70-i, strings.Repeat("x", i%5)), strconv.Itoa(i))
	}
	big.Map().PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2, 255})
	out = append(out, big)
	long := pcommon.NewValueStr(strings.Repeat("long value ", 300))
	out = append(out, long)
	// Nested past stackMapDepth.
	deep := pcommon.NewValueMap()
	m := deep.Map()
	for i := 0; i < 3*stackMapDepth; i++ {
		m.PutInt("n", int64(i))
		m.PutEmptySlice("s").AppendEmpty().SetStr("x")
		m = m.PutEmptyMap("m" + strconv.Itoa(i))
	}
	return append(out, deep)
}

func sampleAttrs() pcommon.Map {
	m := pcommon.NewMap()
	m.PutStr("user.id", "u1")
	m.PutStr(AttrTenant, "acme")
	m.PutInt("http.response.status_code", 403)
	m.PutEmptyMap("nested").PutStr("b", "c")
	for i := 0; i < 40; i++ {
		m.PutBool("flag."+strconv.Itoa(i), i%2 == 0)
	}
	return m
}

func mapValue(m pcommon.Map) pcommon.Value {
	v := pcommon.NewValueMap()
	m.CopyTo(v.Map())
	return v
}

// referenceCanonical is the canonical encoding written plainly. Event ids are stored and
// deduplicated on: the encoding must never change.
func referenceCanonical(b []byte, v pcommon.Value) []byte {
	str := func(b []byte, s string) []byte {
		return append(append(strconv.AppendInt(b, int64(len(s)), 10), ':'), s...)
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return str(append(b, 's'), v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(append(b, 'i'), v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return strconv.AppendUint(append(b, 'd'), math.Float64bits(v.Double()), 16)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(append(b, 'b'), v.Bool())
	case pcommon.ValueTypeBytes:
		return str(append(b, 'y'), string(v.Bytes().AsRaw()))
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		b = strconv.AppendInt(append(b, '['), int64(s.Len()), 10)
		for i := 0; i < s.Len(); i++ {
			b = referenceCanonical(b, s.At(i))
		}
		return append(b, ']')
	case pcommon.ValueTypeMap:
		var keys []string
		for k := range v.Map().All() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = strconv.AppendInt(append(b, '{'), int64(len(keys)), 10)
		for _, k := range keys {
			e, _ := v.Map().Get(k)
			b = referenceCanonical(str(b, k), e)
		}
		return append(b, '}')
	default:
		return append(b, 'n')
	}
}

func referenceID(b []byte) string {
	sum := sha256.Sum256(b)
	return "h-" + hex.EncodeToString(sum[:16])
}

func TestHashEventIDEncoding(t *testing.T) {
	str := func(b []byte, s string) []byte {
		return append(append(strconv.AppendInt(b, int64(len(s)), 10), ':'), s...)
	}
	for i, v := range hashSamples() {
		ts := int64(i) * 1000
		enc := referenceCanonical(strconv.AppendInt(str(nil, SourceOkta), ts, 10), v)
		assert.Equal(t, referenceID(enc), HashEventID(SourceOkta, ts, v), "sample %d", i)
		if v.Type() == pcommon.ValueTypeMap {
			assert.Equal(t, HashEventID(SourceOkta, ts, v), HashEventIDMap(SourceOkta, ts, v.Map()), "sample %d", i)
		}

		// A record hashes its attributes as a map without the audit.* keys.
		attrs := sampleAttrs()
		plain := pcommon.NewValueMap()
		attrs.CopyTo(plain.Map())
		plain.Map().RemoveIf(func(k string, _ pcommon.Value) bool { return strings.HasPrefix(k, "audit.") })
		rec := str(strconv.AppendInt(str(nil, SourceOTel), ts, 10), "user.login")
		rec = referenceCanonical(referenceCanonical(rec, v), plain)
		assert.Equal(t, referenceID(rec), HashRecordEventID(SourceOTel, ts, "user.login", v, attrs), "sample %d", i)
	}
}

// TestHashEventIDPinned pins ids computed by the first release of the encoding.
func TestHashEventIDPinned(t *testing.T) {
	samples := hashSamples()
	for _, c := range []struct {
		sample     int
		id, record string
	}{
		{0, "h-69912d1adbbc6e8a6eb37aebda9fc5aa", "h-3e7c7abdf3805bf466b8ac3eb3ee380b"},
		{1, "h-f498eb372d6a4e9c2983f59422e9e1a8", "h-216f5b7fe79beca3e9837fad79fc306d"},
		{2, "h-cb3fa3197508f2b4fdc7cd13f5ec8e52", "h-f7a3642d2b12889d3e9e264df20737b1"},
		{3, "h-d979afafddb64547536a16872516ed06", "h-01cd23b04111170707be51a07acce7b7"},
		{4, "h-c64a05da84e68db8f19c35357a722a4e", "h-e2dc9359d621b8a707fab5b8ae674708"},
		{5, "h-b31758d5d87ba36a6a51903150fbf24a", "h-8a57baba9e68dd02331f82c741502da3"},
		{6, "h-7f451adf4f86a28d708cf7b44ec90db0", "h-2941c6d75ae2874edf6420b49a7a84ea"},
		{7, "h-ad2647936cb5f4977bc256a5494b24d8", "h-72b43feb0afbfd9ef718585e424f8935"},
		{8, "h-4374428904b8d71a2dfec721f4ca7aa2", "h-be27d7fe882caf1bf6346e43ea8c507a"},
		{9, "h-fc3cb96714ac5b88349e7aa1161bca79", "h-dc4692832b11ad0149442d0d3922f76c"},
		{10, "h-5eee7944569a3a556eb1ddd9051b9b0a", "h-9583e375fb5d73c48ef93a5a73aeb569"},
		{11, "h-f9897aa622b157fd19d5a6bd66de9965", "h-0b8347fbc29b0bcedd872b3cf97420b6"},
		{12, "h-f3097a84fbb0280d4c3955654381f305", "h-1dc4cded9dceb38fa1e382957e90cf72"},
		{13, "h-ae0f7e74620cc2a7c69f4673fec5b7c8", "h-f98f053e00737325787c6c977e6c5871"},
		{14, "h-16387103934b2f669ab91f06257df3ce", "h-e279b7a6616d84a30eac01dbf8edca34"},
	} {
		v := samples[c.sample]
		assert.Equal(t, c.id, HashEventID(SourceOkta, int64(c.sample)*1000, v), "sample %d", c.sample)
		assert.Equal(t, c.record, HashRecordEventID(SourceOTel, int64(c.sample), "ev", v, sampleAttrs()), "sample %d", c.sample)
	}
}

func TestHashEventIDAllocs(t *testing.T) {
	v := hashSamples()[12]
	// Maps up to smallMap keys are encoded without allocating.
	attrs := pcommon.NewMap()
	for i := 0; i < smallMap; i++ {
		attrs.PutInt("attr."+strconv.Itoa(i), int64(i))
	}
	body := pcommon.NewValueStr("User signed in")
	HashEventID(SourceOkta, 1, v)
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { HashEventID(SourceOkta, 1, v) }), 1.0)
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { HashEventIDMap(SourceOkta, 1, v.Map()) }), 1.0)
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { HashRecordEventID(SourceOTel, 1, "user.login", body, attrs) }), 1.0)
}
