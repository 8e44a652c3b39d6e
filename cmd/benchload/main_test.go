package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:4318/v1/logs", "http://localhost:1/v1/logs", "http://[::1]:4318/v1/logs", "http://127.9.9.9/v1/logs"} {
		assert.NoError(t, loopbackURL(ok), ok)
	}
	for _, bad := range []string{"http://10.0.0.1:4318/v1/logs", "http://example.com/v1/logs", "http://0.0.0.0:4318/v1/logs", "https://127.0.0.1/v1/logs", "http://192.168.1.1/"} {
		assert.Error(t, loopbackURL(bad), bad)
	}
	addr, err := loopbackAddr(":3100")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:3100", addr)
	_, err = loopbackAddr("0.0.0.0:3100")
	assert.Error(t, err)
}

func decode(t *testing.T, r *request) plog.Logs {
	t.Helper()
	req := plogotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(r.body))
	require.Equal(t, r.records, req.Logs().LogRecordCount())
	return req.Logs()
}

// eachRecord calls f with every record of ld and its resource's tenant.
func eachRecord(ld plog.Logs, f func(tenant string, lr plog.LogRecord)) {
	for i := range ld.ResourceLogs().Len() {
		rl := ld.ResourceLogs().At(i)
		tenant, _ := rl.Resource().Attributes().Get("tenant.id")
		for j := range rl.ScopeLogs().Len() {
			records := rl.ScopeLogs().At(j).LogRecords()
			for k := range records.Len() {
				f(tenant.Str(), records.At(k))
			}
		}
	}
}

func testBuild(mix string, events, ring int) buildOptions {
	return buildOptions{mix: mix, events: events, batch: 500, ring: ring, seed: 1, runID: "t", now: time.Now()}
}

func TestBuildSemconv(t *testing.T) {
	p, err := buildPlan(testBuild(mixSemconv, 1234, 0))
	require.NoError(t, err)
	require.Len(t, p, 3)
	assert.Equal(t, []int{500, 500, 234}, []int{p[0].records, p[1].records, p[2].records})
	assert.Equal(t, 1234, p.events())

	ids := map[string]bool{}
	names := map[string]int{}
	outcomes := map[string]int{}
	for _, r := range p {
		eachRecord(decode(t, r), func(tenant string, lr plog.LogRecord) {
			assert.Contains(t, benchTenants, tenant)
			id, ok := lr.Attributes().Get("event.id")
			require.True(t, ok)
			assert.False(t, ids[id.Str()], "event id %s repeats", id.Str())
			ids[id.Str()] = true
			names[lr.EventName()]++
			o, _ := lr.Attributes().Get("event.outcome")
			outcomes[lr.EventName()+"/"+o.Str()]++
			for _, k := range []string{"user.email", "user.id", "client.address"} {
				_, ok := lr.Attributes().Get(k)
				assert.True(t, ok, k)
			}
		})
	}
	assert.Len(t, ids, 1234)
	for _, e := range semconvEvents {
		assert.Positive(t, outcomes[e.name+"/"+e.outcome], e.name)
	}
}

func TestBuildRing(t *testing.T) {
	p, err := buildPlan(testBuild(mixSemconv, 2600, 2))
	require.NoError(t, err)
	require.Len(t, p, 6)
	assert.Same(t, p[0], p[2])
	assert.Same(t, p[1], p[3])
	assert.NotSame(t, p[0], p[1])
	assert.Equal(t, 100, p[5].records)
	assert.Equal(t, 2600, p.events())
}

func TestBuildVendor(t *testing.T) {
	p, err := buildPlan(testBuild(mixVendor, 1000, 0))
	require.NoError(t, err)
	require.Len(t, p, 2)
	kinds := map[string]int{}
	for _, r := range p {
		eachRecord(decode(t, r), func(_ string, lr plog.LogRecord) {
			var m map[string]any
			switch lr.Body().Type() {
			case pcommon.ValueTypeMap:
				kinds["map"]++
				m = lr.Body().Map().AsRaw()
			case pcommon.ValueTypeStr:
				kinds["string"]++
				require.NoError(t, json.Unmarshal([]byte(lr.Body().Str()), &m))
			default:
				t.Fatalf("body of type %s", lr.Body().Type())
			}
			switch {
			case m["eventType"] != nil && m["actor"] != nil:
				kinds["okta"]++
			case m["apiVersion"] == "audit.k8s.io/v1":
				kinds["kubernetes"]++
			case m["eventSource"] != nil:
				kinds["cloudtrail"]++
			case m["_document_id"] != nil:
				kinds["github"]++
			}
		})
	}
	for _, k := range []string{"map", "string", "okta", "kubernetes", "cloudtrail", "github"} {
		assert.Positive(t, kinds[k], k)
	}
	assert.Equal(t, 250, kinds["github"])
}

func TestSendPlanRetriesAndCounts(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer "+demoToken, r.Header.Get("Authorization"))
		assert.Equal(t, "application/x-protobuf", r.Header.Get("Content-Type"))
		_, _ = io.Copy(io.Discard, r.Body)
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		case 3:
			resp := plogotlp.NewExportResponse()
			resp.PartialSuccess().SetRejectedLogRecords(7)
			body, err := resp.MarshalProto()
			assert.NoError(t, err)
			_, _ = w.Write(body)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()

	p, err := buildPlan(testBuild(mixSemconv, 2100, 2))
	require.NoError(t, err)
	res, err := sendPlan(context.Background(), loadOptions{endpoint: srv.URL + "/v1/logs", token: demoToken, concurrency: 1, timeout: time.Minute}, p)
	require.NoError(t, err)
	assert.Equal(t, int64(2100-7), res.acked)
	assert.Equal(t, int64(7), res.rejected)
	assert.Equal(t, int64(2), res.retries)
	assert.Equal(t, int64(len(p)+2), res.requests)
	assert.Zero(t, res.failed)
}

func TestSendPlanStopsOnRefusedToken(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	p, err := buildPlan(testBuild(mixSemconv, 50_000, 4))
	require.NoError(t, err)
	res, err := sendPlan(context.Background(), loadOptions{endpoint: srv.URL, token: "wrong", concurrency: 2, timeout: time.Minute}, p)
	require.ErrorIs(t, err, errAuth)
	assert.Zero(t, res.acked)
	assert.Less(t, calls.Load(), int64(len(p)))
}

func TestSink(t *testing.T) {
	srv := httptest.NewServer(new(sink).handler())
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/loki/api/v1/push", "application/x-protobuf", strings.NewReader("12345"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)

	resp, err = http.Post(srv.URL+"/v1/logs", "application/x-protobuf", strings.NewReader("123"))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, body)
	require.NoError(t, plogotlp.NewExportResponse().UnmarshalProto(body))

	resp, err = http.Get(srv.URL + "/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st sinkStats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	assert.Equal(t, sinkStats{Requests: 2, LokiRequests: 1, OTLPRequests: 1, Bytes: 8}, st)
}

func TestPlanFileRoundTrip(t *testing.T) {
	p, err := buildPlan(testBuild(mixSemconv, 2600, 2))
	require.NoError(t, err)
	path := t.TempDir() + "/plan"
	require.NoError(t, writePlan(path, p))
	got, err := readPlan(path)
	require.NoError(t, err)
	require.Len(t, got, len(p))
	for i := range p {
		assert.Equal(t, p[i].records, got[i].records)
		assert.Equal(t, p[i].body, got[i].body)
	}
	assert.Same(t, got[0], got[2])

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, bad := range [][]byte{[]byte("something else"), raw[:len(raw)/2], raw[:len(planMagic)+1]} {
		require.NoError(t, os.WriteFile(path, bad, 0o600))
		_, err = readPlan(path)
		assert.ErrorIs(t, err, errPlanFormat)
	}
}
