package auditlokiexporter

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// event describes one normalised audit record for tests.
type event struct {
	id, tenant, author, category, summary, outcome, ip, description string
	ts                                                              time.Time
}

func testEvent(i int, tenant string) event {
	return event{
		id:          fmt.Sprintf("evt-%04d", i),
		tenant:      tenant,
		author:      fmt.Sprintf("user%d@example.com", i%7),
		category:    audit.CategoryAuthentication,
		summary:     audit.SummaryLogin,
		outcome:     audit.OutcomeSuccess,
		ip:          "203.0.113.7",
		description: fmt.Sprintf("user%d@example.com logged in", i%7),
		ts:          time.Now().Add(-time.Minute).Truncate(time.Millisecond).Add(time.Duration(i) * time.Microsecond),
	}
}

// makeLogs builds one resource (service.name=lms) with the given events.
func makeLogs(events ...event) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "lms")
	sl := rl.ScopeLogs().AppendEmpty()
	for _, ev := range events {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.ts))
		lr.Body().SetStr(ev.description)
		a := lr.Attributes()
		put := func(k, v string) {
			if v != "" {
				a.PutStr(k, v)
			}
		}
		put(audit.AttrEventID, ev.id)
		put(audit.AttrTenant, ev.tenant)
		put(audit.AttrAuthor, ev.author)
		put(audit.AttrCategory, ev.category)
		put(audit.AttrSummary, ev.summary)
		put(audit.AttrOutcome, ev.outcome)
		put(audit.AttrClientAddress, ev.ip)
		put(audit.AttrDescription, ev.description)
		put(audit.AttrSource, audit.SourceOkta)
		put(audit.AttrAction, "user.session.start")
	}
	return ld
}

// decodePush decodes a snappy protobuf push body.
func decodePush(t testing.TB, r *http.Request) push.PushRequest {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	raw, err := snappy.Decode(nil, body)
	require.NoError(t, err)
	var req push.PushRequest
	require.NoError(t, req.Unmarshal(raw))
	return req
}

// decodePushBody decodes a snappy protobuf push body; an undecodable body gives an empty
// request.
func decodePushBody(r *http.Request) push.PushRequest {
	var req push.PushRequest
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return req
	}
	if raw, err := snappy.Decode(nil, body); err == nil {
		_ = req.Unmarshal(raw)
	}
	return req
}

// recorder keeps what a fake Loki received. Dead-letter marker pushes, which the exporter
// sends in the background, are kept apart in markers.
type recorder struct {
	mu       sync.Mutex
	bodies   [][]byte
	tenants  []string
	requests []push.PushRequest
	markers  []push.PushRequest
}

func (rec *recorder) add(tenant string, body []byte) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	raw, err := snappy.Decode(nil, body)
	var req push.PushRequest
	if err == nil {
		_ = req.Unmarshal(raw)
	}
	if isMarkerRequest(&req) {
		rec.markers = append(rec.markers, req)
		return
	}
	rec.bodies = append(rec.bodies, body)
	rec.tenants = append(rec.tenants, tenant)
	rec.requests = append(rec.requests, req)
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.bodies)
}

// fmtSscanf reads the number of an "evt-0007" id.
func fmtSscanf(id string, n *int) (int, error) { return fmt.Sscanf(id, "evt-%d", n) }

// isMarkerRequest reports whether req carries dead-letter markers.
func isMarkerRequest(req *push.PushRequest) bool {
	for _, s := range req.Streams {
		if strings.Contains(s.Labels, `service_name="`+selfaudit.SourceName+`"`) {
			for _, e := range s.Entries {
				if metaMap(e.StructuredMetadata)["summary"] == selfaudit.SummaryEventDeadLettered {
					return true
				}
			}
		}
	}
	return false
}

// markerEntries returns the marker entries received so far.
func (rec *recorder) markerEntries() []push.Entry {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []push.Entry
	for _, req := range rec.markers {
		for _, s := range req.Streams {
			out = append(out, s.Entries...)
		}
	}
	return out
}
