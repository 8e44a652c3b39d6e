package inflight

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

func otlpBody(t *testing.T, resources, scopes, records int) []byte {
	t.Helper()
	ld := plog.NewLogs()
	for range resources {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", "lms")
		for range scopes {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName("s")
			for range records {
				lr := sl.LogRecords().AppendEmpty()
				lr.Body().SetStr("x")
				lr.Attributes().PutStr("user.email", "alice@example.com")
			}
		}
	}
	b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	return b
}

func TestCountOTLPItems(t *testing.T) {
	n, err := CountOTLPItems(otlpBody(t, 3, 2, 5), 1000)
	require.NoError(t, err)
	assert.Equal(t, 30, n)

	n, err = CountOTLPItems(otlpBody(t, 1, 1, 50), 10)
	require.NoError(t, err)
	assert.Equal(t, 11, n, "counting stops past the limit")

	// Empty records are two bytes each on the wire: the cheapest way to make a decoder allocate.
	ld := plog.NewLogs()
	records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range 1000 {
		records.AppendEmpty()
	}
	b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	n, err = CountOTLPItems(b, 100000)
	require.NoError(t, err)
	assert.Equal(t, 1000, n)

	_, err = CountOTLPItems([]byte{0x0a, 0xff}, 10)
	assert.Error(t, err)
}

func TestCountJSONNodes(t *testing.T) {
	assert.Equal(t, 3, CountJSONNodes([]byte(`[{"a":"{[{["},{}]`), 100))
	assert.Equal(t, 2, CountJSONNodes([]byte(`{"a":"\"{","b":[]}`), 100))
	tiny := "[" + strings.Repeat("{},", 1000) + "{}]"
	assert.Equal(t, 11, CountJSONNodes([]byte(tiny), 10))
	assert.Equal(t, 1002, CountJSONNodes([]byte(tiny), 5000))
}
