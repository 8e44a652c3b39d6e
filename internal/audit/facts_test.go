package audit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func normalisedRecord(tenant, id string, ts time.Time) plog.LogRecord {
	lr := plog.NewLogRecord()
	if tenant != "" {
		lr.Attributes().PutStr(AttrTenant, tenant)
	}
	if id != "" {
		lr.Attributes().PutStr(AttrEventID, id)
	}
	if !ts.IsZero() {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	}
	return lr
}

func TestRecordFacts(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 1, time.UTC)
	f, err := RecordFacts(normalisedRecord("acme", "ev-1", at))
	require.NoError(t, err)
	assert.Equal(t, Facts{Tenant: "acme", EventID: "ev-1", Time: at}, Facts{Tenant: f.Tenant, EventID: f.EventID, Time: f.Time.UTC()})

	for name, lr := range map[string]plog.LogRecord{
		"no tenant":       normalisedRecord("", "ev-1", at),
		"invalid tenant":  normalisedRecord("../x", "ev-1", at),
		"no event id":     normalisedRecord("acme", "", at),
		"event id length": normalisedRecord("acme", strings.Repeat("x", MaxEventIDLength+1), at),
		"no timestamp":    normalisedRecord("acme", "ev-1", time.Time{}),
	} {
		_, err := RecordFacts(lr)
		assert.Truef(t, errors.Is(err, ErrNotNormalized), "%s: %v", name, err)
	}
}
