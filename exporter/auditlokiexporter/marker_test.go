package auditlokiexporter

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// refuseEventsAcceptMarkers answers 400 (too new) to event pushes and 204 to marker pushes.
func refuseEventsAcceptMarkers(w http.ResponseWriter, r *http.Request, _ int) {
	req := decodePushBody(r)
	if isMarkerRequest(&req) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Error(w, "entry for stream '{a=\"b\"}' has timestamp too new: 2030-01-01T00:00:00Z", http.StatusBadRequest)
}

func markerCounter(h *harness, result string) func() int64 {
	return func() int64 {
		return h.counter("otelcol_audit_loki_dead_letter_markers", attribute.String("marker_result", result))
	}
}

func TestDeadLetterMarkers(t *testing.T) {
	h := newHarness(t, refuseEventsAcceptMarkers)
	evs := events(3, "acme")
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(evs...)))
	require.Len(t, h.deadLetters(), 3)

	sent := markerCounter(h, markerSent)
	require.Eventually(t, func() bool { return sent() == 3 }, 10*time.Second, 10*time.Millisecond)
	h.rec.mu.Lock()
	require.Len(t, h.rec.markers, 1, "one request per tenant")
	req := h.rec.markers[0]
	h.rec.mu.Unlock()
	require.Len(t, req.Streams, 1)
	assert.Equal(t, `{category="Audit log", outcome="failure", service_name="otelcol-audit"}`, req.Streams[0].Labels)
	byTarget := map[string]map[string]string{}
	for _, e := range req.Streams[0].Entries {
		md := metaMap(e.StructuredMetadata)
		byTarget[md["target"]] = md
		assert.WithinDuration(t, time.Now(), e.Timestamp, time.Minute, "a marker is timed when it is written")
		assert.Contains(t, e.Line, md["target"])
	}
	for _, ev := range evs {
		md := byTarget[ev.id]
		require.NotNil(t, md, "marker of %s", ev.id)
		assert.Equal(t, selfaudit.SummaryEventDeadLettered, md["summary"])
		assert.Equal(t, "acme", md["tenant"])
		assert.Equal(t, audit.AuthorSystem, md["author"])
		assert.Equal(t, lokipush.ReasonTooFarInFuture, md[selfaudit.LokiMetaReason])
		assert.Equal(t, ev.ts.UTC().Format(time.RFC3339Nano), md[selfaudit.LokiMetaEventTime])
		dl := selfaudit.DeadLetter{Tenant: "acme", EventID: ev.id, EventTime: ev.ts, Reason: lokipush.ReasonTooFarInFuture}
		assert.Equal(t, dl.MarkerID(), md["event_id"], "the marker id does not depend on when it was written")
	}
	assert.Zero(t, markerCounter(h, markerFailed)())
	assert.Len(t, h.deadLetters(), 3, "markers are never dead-lettered themselves")
}

func TestDeadLetterMarkerSkippedWithoutValidTenant(t *testing.T) {
	h := newHarness(t, refuseEventsAcceptMarkers)
	evs := events(2, "acme")
	evs[1].tenant = "bad/tenant" // refused before sending as not_normalized
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(evs...)))
	require.Eventually(t, func() bool { return markerCounter(h, markerSent)() == 1 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, int64(1), markerCounter(h, markerSkipped)())
}

func TestDeadLetterMarkerFailureIsCounted(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, "forbidden", http.StatusForbidden)
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(2, "acme")...)))
	require.Eventually(t, func() bool { return markerCounter(h, markerFailed)() == 2 }, 10*time.Second, 10*time.Millisecond)
	assert.Len(t, h.deadLetters(), 2)
	assert.Zero(t, markerCounter(h, markerSent)())
}

func TestDeadLetterMarkerRetriesServerErrors(t *testing.T) {
	saved := markerBackoff
	markerBackoff = []time.Duration{time.Millisecond, time.Millisecond}
	defer func() { markerBackoff = saved }()
	var markerCalls atomic.Int64
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int) {
		req := decodePushBody(r)
		if !isMarkerRequest(&req) {
			http.Error(w, "line too long", http.StatusBadRequest)
			return
		}
		if markerCalls.Add(1) == 1 {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(1, "acme")...)))
	require.Eventually(t, func() bool { return markerCounter(h, markerSent)() == 1 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, int64(2), markerCalls.Load())
	entries := h.rec.markerEntries()
	require.Len(t, entries, 2)
	assert.Equal(t, entries[0], entries[1], "a retried marker is the same entry")
}

func TestDeadLetterMarkersOff(t *testing.T) {
	h := newHarness(t, refuseEventsAcceptMarkers, func(c *Config) { c.DeadLetter.Markers = false })
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(2, "acme")...)))
	require.NoError(t, h.exp.Shutdown(context.Background()))
	assert.Empty(t, h.rec.markerEntries())
	assert.Zero(t, markerCounter(h, markerSent)()+markerCounter(h, markerFailed)())
}

// A marker push that hangs does not hold Shutdown beyond its context.
func TestShutdownAbandonsHangingMarkers(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		req := decodePushBody(r)
		if !isMarkerRequest(&req) {
			http.Error(w, "line too long", http.StatusBadRequest)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, func(c *Config) { c.ClientConfig.Timeout = time.Minute })
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(1, "acme")...)))
	require.Eventually(t, func() bool { return len(h.rec.markerEntries()) == 1 }, 10*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.NoError(t, h.exp.Shutdown(ctx))
	assert.Equal(t, int64(1), markerCounter(h, markerFailed)())
}

func TestMarkerSeriesArePreCreated(t *testing.T) {
	h := newHarness(t, ok)
	m, err := h.tel.GetMetric("otelcol_audit_loki_dead_letter_markers")
	require.NoError(t, err)
	assert.Len(t, m.Data.(metricdata.Sum[int64]).DataPoints, 3)
}
