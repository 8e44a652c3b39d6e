package auditnormalizerprocessor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// FuzzNormalize feeds arbitrary payloads as string bodies, map bodies, attributes and
// records, pinned to each profile or auto-detected. No input may panic, every record comes
// out with the model's attributes (an envelope as one record per event, at most
// max_events_per_record), and normalising twice equals once.
//
//	go test ./processor/auditnormalizerprocessor -run '^$' -fuzz FuzzNormalize -fuzztime 20s -fuzzminimizetime 5s
func FuzzNormalize(f *testing.F) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.json"))
	require.NoError(f, err)
	envelopes, err := filepath.Glob(filepath.Join("testdata", "envelope", "*"))
	require.NoError(f, err)
	inputs = append(inputs, envelopes...)
	for i, path := range inputs {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data, uint8(i), "")
	}
	f.Add([]byte(`{"eventType":"user.session.start","actor":{},"uuid":1e999}`), uint8(1), "okta")
	f.Add([]byte(`{"auditID":"x","verb":"get","stageTimestamp":"9999-99-99"}`), uint8(1), "")
	f.Add([]byte(`{"Records":[{"eventName":"ConsoleLogin"}]}`), uint8(0), "cloudtrail")
	f.Add([]byte("\u202e\x00plain"), uint8(3), "otel")
	f.Add([]byte(`2026-11-30 10:00:00,123 WARN [org.keycloak.events] (t-1) type=LOGIN_ERROR, realmId=acme, userId=null, consent='a, b', username="x`), uint8(0), "")
	f.Add([]byte(`{"records":[{"category":"kube-audit","properties":{"log":"{\"auditID\":\"a\",\"verb\":\"get\"}"}}]}`), uint8(0), "")
	f.Add([]byte(`{"message":{"data":"eyJpbnNlcnRJZCI6MX0=","messageId":"1"},"subscription":"s"}`), uint8(1), "gcp")

	cfg := mappingConfig()
	cfg.Generic.EventName = "type"
	cfg.MaxEventsPerRecord = 8
	// One processor for all runs: building one per input makes minimisation crawl.
	sink := new(consumertest.LogsSink)
	p := newTestProcessor(f, cfg, sink)
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, source string) {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		lr := lrs.AppendEmpty()
		var raw map[string]any
		isObject := json.Unmarshal(data, &raw) == nil && raw != nil
		switch mode % 4 {
		case 0:
			lr.Body().SetStr(string(data))
		case 1:
			if !isObject || lr.Body().SetEmptyMap().FromRaw(raw) != nil {
				lr.Body().SetEmptyBytes().FromRaw(data)
			}
		case 2:
			if isObject {
				_ = lr.Attributes().FromRaw(raw)
			}
		case 3:
			lr.SetEventName(string(data))
			lr.Attributes().PutStr("user.email", string(data))
			lr.Attributes().PutStr("tenant.id", string(data))
		}
		if source != "" {
			lr.Attributes().PutStr(audit.AttrSource, source)
		}
		lrs.AppendEmpty().SetEventName("user.login")

		sink.Reset()
		require.NoError(t, p.ConsumeLogs(context.Background(), ld))
		require.Len(t, sink.AllLogs(), 1)
		once := sink.AllLogs()[0]
		// The fuzzed record, or its events, then the semconv record.
		require.GreaterOrEqual(t, once.LogRecordCount(), 2)
		require.LessOrEqual(t, once.LogRecordCount(), cfg.MaxEventsPerRecord+1)
		out := once.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := 0; i < out.Len(); i++ {
			attrs := out.At(i).Attributes()
			for _, k := range []string{audit.AttrCategory, audit.AttrSummary, audit.AttrOutcome, audit.AttrTenant, audit.AttrEventID, audit.AttrDescription} {
				v, ok := attrs.Get(k)
				require.True(t, ok, k)
				require.NotEmpty(t, v.Str(), k)
			}
			tenant, _ := attrs.Get(audit.AttrTenant)
			require.NoError(t, audit.ValidateTenant(tenant.Str()))
		}

		again := plog.NewLogs()
		once.CopyTo(again)
		sink.Reset()
		require.NoError(t, p.ConsumeLogs(context.Background(), again))
		assert.NoError(t, plogtest.CompareLogs(once, sink.AllLogs()[0]))
	})
}
