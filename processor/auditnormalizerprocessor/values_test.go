package auditnormalizerprocessor

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestValueIntMatchesParseInt(t *testing.T) {
	var values []pcommon.Value
	for _, s := range []string{"", "0", "403", "-1", "+7", "+-1", "--1", "1_000", "0x1f", " 1", "1 ", "١٢", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "12a", "Success", "-", "+"} {
		values = append(values, pcommon.NewValueStr(s))
	}
	for _, d := range []float64{0, 403, -2, 1.5, 1e20, 1 << 53, 1<<53 - 1, math.NaN(), math.Inf(-1)} {
		values = append(values, pcommon.NewValueDouble(d))
	}
	values = append(values, pcommon.NewValueInt(math.MinInt64), pcommon.NewValueBool(true), pcommon.NewValueEmpty(), pcommon.NewValueMap())
	for _, v := range values {
		want, err := strconv.ParseInt(valueString(v), 10, 64)
		got, ok := valueInt(v)
		assert.Equal(t, want, got, "%s %q", v.Type(), v.AsString())
		assert.Equal(t, err == nil, ok, "%s %q", v.Type(), v.AsString())
		assert.Equal(t, valueString(v) != "", hasString(v), "%s %q", v.Type(), v.AsString())
	}
}

func TestIsOutcomeWord(t *testing.T) {
	for _, s := range []string{"", "CHALLENGE", "Start", "in_progress", "InProgress", "unknown", "UNKNOWN\u212a", "\u212aNOWN", "ſtart", "success", "Accepted", strings.Repeat("a", 40), "İ"} {
		assert.Equal(t, outcomeWords[strings.ToLower(s)], isOutcomeWord(s), "%q", s)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { isOutcomeWord("CHALLENGE") }))
	word := pcommon.NewValueStr("Success")
	assert.Zero(t, testing.AllocsPerRun(100, func() { valueInt(word) }))
}
