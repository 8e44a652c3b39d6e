package auditgen

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

func records(ld plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			for k := 0; k < sls.At(j).LogRecords().Len(); k++ {
				out = append(out, sls.At(j).LogRecords().At(k))
			}
		}
	}
	return out
}

func TestBatchIsDeterministicWithUniqueIDs(t *testing.T) {
	clock := func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }
	for _, scenario := range Scenarios {
		t.Run(scenario, func(t *testing.T) {
			a, err := New(scenario, 3, 7)
			require.NoError(t, err)
			b, err := New(scenario, 3, 7)
			require.NoError(t, err)
			a.SetClock(clock)
			b.SetClock(clock)
			la, sentA := a.Batch(500)
			lb, sentB := b.Batch(500)
			assert.Equal(t, sentA, sentB, "same seed, same events")
			assert.Equal(t, la.LogRecordCount(), 500)
			assert.Equal(t, lb.LogRecordCount(), 500)
			ids := map[string]bool{}
			for _, s := range sentA {
				assert.False(t, ids[s.EventID], "duplicate id %s", s.EventID)
				ids[s.EventID] = true
			}
			for _, lr := range records(la) {
				assert.NotZero(t, lr.Timestamp())
			}
		})
	}
}

func TestBruteForceIsMostlyFailedLoginsFromOneIP(t *testing.T) {
	g, err := NewNamed(ScenarioBruteForce, []string{"demo"}, 1)
	require.NoError(t, err)
	ld, sent := g.Batch(200)
	failures := 0
	for _, lr := range records(ld) {
		ip, _ := lr.Attributes().Get("client.address")
		assert.Equal(t, "203.0.113.66", ip.Str())
		if o, _ := lr.Attributes().Get("event.outcome"); o.Str() == "failure" {
			failures++
		}
	}
	assert.GreaterOrEqual(t, failures, 190)
	for _, s := range sent {
		assert.Equal(t, "demo", s.Tenant)
	}
}

func TestInvalidArguments(t *testing.T) {
	_, err := New("nope", 1, 1)
	assert.ErrorContains(t, err, "scenario")
	_, err = New(ScenarioNormal, 0, 1)
	assert.ErrorContains(t, err, "tenants")
	_, err = NewNamed(ScenarioNormal, nil, 1)
	assert.ErrorContains(t, err, "tenants")
}
