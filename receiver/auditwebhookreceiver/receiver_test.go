package auditwebhookreceiver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

// testServer is a started receiver and a client for it.
type testServer struct {
	t      *testing.T
	r      *webhookReceiver
	base   string
	client *http.Client
	tel    *componenttest.Telemetry
}

func startReceiver(t *testing.T, next consumer.Logs, mutate func(*Config)) *testServer {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Server.NetAddr.Endpoint = "127.0.0.1:0"
	if mutate != nil {
		mutate(cfg)
	}
	return startReceiverWithHost(t, next, cfg, componenttest.NewNopHost())
}

func startReceiverWithHost(t *testing.T, next consumer.Logs, cfg *Config, host component.Host) *testServer {
	t.Helper()
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	r, err := newReceiver(set, cfg, next)
	require.NoError(t, err)
	ts := &testServer{t: t, r: r, tel: tel, client: &http.Client{Transport: &http.Transport{}}}
	ts.setNow(time.Now())
	require.NoError(t, r.Start(context.Background(), host))
	ts.base = "http://" + r.addr.String()
	t.Cleanup(func() {
		ts.client.CloseIdleConnections()
		assert.NoError(t, r.Shutdown(context.Background()))
		assert.NoError(t, tel.Shutdown(context.Background()))
	})
	return ts
}

// setNow pins the receiver's clock; call it before requests only.
func (ts *testServer) setNow(now time.Time) {
	ts.r.now = func() time.Time { return now }
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) errorBody(t *testing.T) errorBody {
	t.Helper()
	var eb errorBody
	require.NoError(t, json.Unmarshal(r.body, &eb), string(r.body))
	return eb
}

func (ts *testServer) do(method, path string, body []byte, headers map[string]string) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.base+path, bytes.NewReader(body))
	require.NoError(ts.t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := ts.client.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(ts.t, err)
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

func (ts *testServer) post(path string, body []byte, headers map[string]string) response {
	ts.t.Helper()
	return ts.do(http.MethodPost, path, body, headers)
}

// counter returns the value of a counter data point with exactly these attributes.
func (ts *testServer) counter(name string, attrs ...attribute.KeyValue) int64 {
	ts.t.Helper()
	m, err := ts.tel.GetMetric(name)
	require.NoError(ts.t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(ts.t, ok)
	want := attribute.NewSet(attrs...)
	for _, dp := range sum.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return -1
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func records(sink *consumertest.LogsSink) []plog.LogRecord {
	var out []plog.LogRecord
	for _, l := range sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			sls := l.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

func attrStr(lr plog.LogRecord, key string) string {
	v, ok := lr.Attributes().Get(key)
	if !ok {
		return "<absent>"
	}
	return v.AsString()
}

func bodyPath(lr plog.LogRecord, path ...string) pcommon.Value {
	v := lr.Body()
	for _, p := range path {
		if v.Type() != pcommon.ValueTypeMap {
			return pcommon.NewValueEmpty()
		}
		next, ok := v.Map().Get(p)
		if !ok {
			return pcommon.NewValueEmpty()
		}
		v = next
	}
	return v
}

func TestSourcePayloads(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		file      string
		headers   map[string]string
		source    string
		wantCount int
		check     func(t *testing.T, recs []plog.LogRecord)
	}{
		{
			name: "okta event hook", path: "/webhook/okta", file: "okta_event_hook.json",
			source: audit.SourceOkta, wantCount: 2,
			check: func(t *testing.T, recs []plog.LogRecord) {
				assert.Equal(t, "john.doe@example.com", bodyPath(recs[0], "actor", "alternateId").Str())
				assert.Equal(t, "FAILURE", bodyPath(recs[1], "outcome", "result").Str())
				assert.Equal(t, int64(394089), bodyPath(recs[0], "securityContext", "asNumber").Int())
				assert.InDelta(t, 37.7758, bodyPath(recs[0], "client", "geographicalContext", "geolocation", "lat").Double(), 1e-9)
			},
		},
		{
			name: "kubernetes event list", path: "/webhook/kubernetes", file: "k8s_eventlist.json",
			source: audit.SourceKubernetes, wantCount: 2,
			check: func(t *testing.T, recs []plog.LogRecord) {
				assert.Equal(t, "2f4e1d5c-8b7a-4f0e-9c3d-1a2b3c4d5e6f", bodyPath(recs[0], "auditID").Str())
				assert.Equal(t, int64(403), bodyPath(recs[1], "responseStatus", "code").Int())
			},
		},
		{
			name: "cloudtrail records", path: "/webhook/cloudtrail", file: "cloudtrail_records.json",
			source: audit.SourceCloudTrail, wantCount: 2,
			check: func(t *testing.T, recs []plog.LogRecord) {
				assert.Equal(t, "ConsoleLogin", bodyPath(recs[0], "eventName").Str())
				assert.Equal(t, "CreateUser", bodyPath(recs[1], "eventName").Str())
			},
		},
		{
			name: "eventbridge event", path: "/webhook/cloudtrail", file: "eventbridge_consolelogin.json",
			source: audit.SourceCloudTrail, wantCount: 1,
			check: func(t *testing.T, recs []plog.LogRecord) {
				// The record is the detail, not the EventBridge envelope.
				assert.Equal(t, "3c2b1a09-8f7e-4d6c-b5a4-392817161514", bodyPath(recs[0], "eventID").Str())
				assert.Equal(t, pcommon.ValueTypeEmpty, bodyPath(recs[0], "detail-type").Type())
			},
		},
		{
			name: "github audit log stream", path: "/webhook/github", file: "github_audit_stream.ndjson",
			source: audit.SourceGitHub, wantCount: 2,
			check: func(t *testing.T, recs []plog.LogRecord) {
				assert.Equal(t, "org.add_member", bodyPath(recs[0], "action").Str())
				assert.Equal(t, int64(1706180123456), bodyPath(recs[0], "@timestamp").Int())
				assert.Equal(t, "<absent>", attrStr(recs[0], attrGitHubEvent))
			},
		},
		{
			name: "github webhook delivery", path: "/webhook/github", file: "github_webhook_member.json",
			headers: map[string]string{"X-GitHub-Event": "member", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
			source:  audit.SourceGitHub, wantCount: 1,
			check: func(t *testing.T, recs []plog.LogRecord) {
				assert.Equal(t, "member", attrStr(recs[0], attrGitHubEvent))
				assert.Equal(t, "72d3162e-cc78-11e3-81ab-4c9367dc0958", attrStr(recs[0], attrDeliveryID))
				assert.Equal(t, "octocat", bodyPath(recs[0], "sender", "login").Str())
			},
		},
		{
			name: "generic object", path: "/webhook/generic", file: "generic_object.json",
			source: audit.SourceGeneric, wantCount: 1,
			check: func(t *testing.T, recs []plog.LogRecord) {
				assert.Equal(t, int64(3), bodyPath(recs[0], "count").Int())
				assert.InDelta(t, 0.5, bodyPath(recs[0], "ratio").Double(), 0)
			},
		},
		{
			name: "generic array", path: "/webhook/generic", file: "generic_array.json",
			source: audit.SourceGeneric, wantCount: 2,
		},
		{
			name: "generic ndjson", path: "/webhook/generic", file: "generic.ndjson",
			source: audit.SourceGeneric, wantCount: 3,
			check: func(t *testing.T, recs []plog.LogRecord) {
				// Integers beyond float64's exact range keep every digit.
				assert.Equal(t, int64(9007199254740993), bodyPath(recs[1], "big").Int())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &consumertest.LogsSink{}
			ts := startReceiver(t, sink, nil)
			resp := ts.post(tt.path, readTestdata(t, tt.file), tt.headers)
			require.Equal(t, http.StatusOK, resp.code, string(resp.body))
			assert.JSONEq(t, `{"accepted":`+strconv.Itoa(tt.wantCount)+`}`, string(resp.body))

			recs := records(sink)
			require.Len(t, recs, tt.wantCount)
			for _, lr := range recs {
				assert.Equal(t, tt.source, attrStr(lr, audit.AttrSource))
				assert.Equal(t, "<absent>", attrStr(lr, audit.AttrTenant), "no endpoint tenant: the normaliser decides")
				assert.Equal(t, pcommon.ValueTypeMap, lr.Body().Type())
				assert.NotZero(t, lr.ObservedTimestamp(), "the receipt time")
				assert.Zero(t, lr.Timestamp(), "the event time is the normaliser's to read")
			}
			res := sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes()
			svc, _ := res.Get("service.name")
			assert.Equal(t, "audit-webhook", svc.Str())
			if tt.check != nil {
				tt.check(t, recs)
			}
			kind := strings.TrimPrefix(tt.path, "/webhook/")
			assert.Equal(t, int64(tt.wantCount), ts.counter("otelcol_audit_webhook_events",
				attribute.String("endpoint", kind), attribute.String("result", "accepted")))
			assert.Equal(t, int64(1), ts.counter("otelcol_audit_webhook_requests",
				attribute.String("endpoint", kind), attribute.String("status", "200")))
		})
	}
}

func signStandard(key []byte, id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestStandardWebhooksSignature(t *testing.T) {
	oldKey := []byte("old-key-0123456789abcdef")
	newKey := []byte("new-key-0123456789abcdef")
	now := time.Unix(1_730_000_000, 0)
	body := readTestdata(t, "generic_object.json")
	ts := strconv.FormatInt(now.Unix(), 10)

	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, func(cfg *Config) {
		cfg.Generic.SigningKeys = []Credential{
			{Secret: configopaque.String(whsecPrefix + base64.StdEncoding.EncodeToString(oldKey)), Tenant: "acme"},
			{Secret: configopaque.String(whsecPrefix + base64.StdEncoding.EncodeToString(newKey)), Tenant: "acme"},
		}
	})
	srv.setNow(now)
	headers := func(id, ts, sig string) map[string]string {
		h := map[string]string{}
		if id != "" {
			h[headerWebhookID] = id
		}
		if ts != "" {
			h[headerWebhookTimestamp] = ts
		}
		if sig != "" {
			h[headerWebhookSignature] = sig
		}
		return h
	}
	stale := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)

	tests := []struct {
		name       string
		headers    map[string]string
		wantCode   int
		wantReason string
		wantEvents int
	}{
		{"valid", headers("msg_1", ts, signStandard(oldKey, "msg_1", ts, body)), http.StatusOK, "", 1},
		{"rotated key among several signatures", headers("msg_2", ts, "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32))+" "+signStandard(newKey, "msg_2", ts, body)), http.StatusOK, "", 2},
		{"replayed id is accepted once", headers("msg_1", ts, signStandard(oldKey, "msg_1", ts, body)), http.StatusOK, "", 2},
		{"invalid signature", headers("msg_3", ts, signStandard([]byte("wrong-key"), "msg_3", ts, body)), http.StatusUnauthorized, reasonMismatch, 2},
		{"signature over another id", headers("msg_4", ts, signStandard(oldKey, "msg_5", ts, body)), http.StatusUnauthorized, reasonMismatch, 2},
		{"expired timestamp", headers("msg_6", stale, signStandard(oldKey, "msg_6", stale, body)), http.StatusUnauthorized, reasonExpired, 2},
		{"missing signature header", headers("msg_7", ts, ""), http.StatusUnauthorized, reasonMissing, 2},
		{"missing timestamp", headers("msg_8", "", signStandard(oldKey, "msg_8", ts, body)), http.StatusUnauthorized, reasonMissing, 2},
		{"malformed timestamp", headers("msg_9", "yesterday", signStandard(oldKey, "msg_9", ts, body)), http.StatusUnauthorized, reasonMalformed, 2},
		{"unknown signature version", headers("msg_10", ts, "v1a,abc"), http.StatusUnauthorized, reasonMalformed, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := int64(0)
			if tt.wantReason != "" {
				before = srv.counter("otelcol_audit_webhook_verification_failures", attribute.String("endpoint", "generic"), attribute.String("reason", tt.wantReason))
			}
			resp := srv.post("/webhook/generic", body, tt.headers)
			require.Equal(t, tt.wantCode, resp.code, string(resp.body))
			assert.Equal(t, tt.wantEvents, sink.LogRecordCount())
			if tt.wantReason != "" {
				assert.JSONEq(t, `{"error":"unauthorized"}`, string(resp.body), "no detail leaks")
				assert.Equal(t, before+1, srv.counter("otelcol_audit_webhook_verification_failures", attribute.String("endpoint", "generic"), attribute.String("reason", tt.wantReason)))
			} else {
				assert.JSONEq(t, `{"accepted":1}`, string(resp.body))
			}
		})
	}
	recs := records(sink)
	require.Len(t, recs, 2)
	assert.Equal(t, "acme", attrStr(recs[0], audit.AttrTenant), "the key's tenant")
	assert.Equal(t, "msg_1", attrStr(recs[0], attrDeliveryID))
}

func TestReplayIsIdempotent(t *testing.T) {
	key := []byte("key-0123456789abcdef-0123")
	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, func(cfg *Config) {
		cfg.Generic.SigningKeys = []Credential{{Secret: configopaque.String(whsecPrefix + base64.StdEncoding.EncodeToString(key))}}
	})
	body := readTestdata(t, "generic_array.json")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := map[string]string{headerWebhookID: "msg_a", headerWebhookTimestamp: ts, headerWebhookSignature: signStandard(key, "msg_a", ts, body)}

	first := srv.post("/webhook/generic", body, h)
	second := srv.post("/webhook/generic", body, h)
	require.Equal(t, http.StatusOK, first.code)
	require.Equal(t, http.StatusOK, second.code)
	assert.Equal(t, string(first.body), string(second.body), "the same answer")
	assert.Empty(t, first.header.Get(headerDuplicate))
	assert.Equal(t, "true", second.header.Get(headerDuplicate))
	assert.Equal(t, 2, sink.LogRecordCount(), "events are not emitted twice")
}

func TestGitHubSignatureAndDelivery(t *testing.T) {
	secretValue := "It's a Secret to Everybody"
	body := readTestdata(t, "github_webhook_member.json")
	sign := func(b []byte) string {
		mac := hmac.New(sha256.New, []byte(secretValue))
		mac.Write(b)
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	valid := sign(body)

	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, func(cfg *Config) {
		cfg.GitHub.WebhookSecrets = []Credential{{Secret: configopaque.String(secretValue), Tenant: "acme-corp"}}
	})
	h := func(sig, delivery string) map[string]string {
		m := map[string]string{"X-GitHub-Event": "member", "X-GitHub-Delivery": delivery}
		if sig != "" {
			m[headerHubSignature256] = sig
		}
		return m
	}
	assert.Equal(t, http.StatusUnauthorized, srv.post("/webhook/github", body, h("", "d-1")).code, "missing")
	assert.Equal(t, http.StatusUnauthorized, srv.post("/webhook/github", body, h("sha256="+strings.Repeat("0", 64), "d-1")).code, "mismatch")
	assert.Equal(t, http.StatusUnauthorized, srv.post("/webhook/github", body, h("sha1=abc", "d-1")).code, "malformed")
	assert.Equal(t, http.StatusUnauthorized, srv.post("/webhook/github", append([]byte(" "), body...), h(valid, "d-1")).code, "a changed body")
	assert.Equal(t, 0, sink.LogRecordCount())

	require.Equal(t, http.StatusOK, srv.post("/webhook/github", body, h(valid, "d-1")).code)
	redelivery := srv.post("/webhook/github", body, h(valid, "d-1"))
	require.Equal(t, http.StatusOK, redelivery.code)
	assert.Equal(t, "true", redelivery.header.Get(headerDuplicate))
	// The signature covers the body only: a captured body sent again under a new delivery id
	// is a replay all the same.
	replayed := srv.post("/webhook/github", body, h(valid, "d-forged"))
	require.Equal(t, http.StatusOK, replayed.code)
	assert.Equal(t, "true", replayed.header.Get(headerDuplicate))
	other := bytes.Replace(body, []byte(`"action": "added"`), []byte(`"action": "removed"`), 1)
	require.NotEqual(t, body, other)
	require.Equal(t, http.StatusOK, srv.post("/webhook/github", other, h(sign(other), "d-2")).code)

	recs := records(sink)
	require.Len(t, recs, 2, "deduplicated on X-GitHub-Delivery and on the signed body")
	assert.Equal(t, "acme-corp", attrStr(recs[0], audit.AttrTenant))

	for _, reason := range []string{reasonMissing, reasonMismatch, reasonMalformed} {
		assert.Positive(t, srv.counter("otelcol_audit_webhook_verification_failures", attribute.String("endpoint", "github"), attribute.String("reason", reason)), reason)
	}
}

func TestGitHubPingIsAcknowledged(t *testing.T) {
	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, nil)
	resp := srv.post("/webhook/github", []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`), map[string]string{"X-GitHub-Event": "ping"})
	require.Equal(t, http.StatusOK, resp.code)
	assert.JSONEq(t, `{"accepted":0}`, string(resp.body))
	assert.Equal(t, 0, sink.LogRecordCount())
}

func TestSharedSecretAndCredentialTenant(t *testing.T) {
	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, func(cfg *Config) {
		cfg.Okta.Tenant = "okta-default"
		cfg.Okta.Credentials = []Credential{
			{Secret: "okta-secret-a-0123"},
			{Secret: "okta-secret-b-0123", Tenant: "globex"},
		}
		cfg.Kubernetes.Credentials = []Credential{{Secret: "k8s-token-0123456", Tenant: "cluster-1"}}
	})
	body := readTestdata(t, "okta_event_hook.json")

	assert.Equal(t, http.StatusUnauthorized, srv.post("/webhook/okta", body, nil).code)
	assert.Equal(t, http.StatusUnauthorized, srv.post("/webhook/okta", body, map[string]string{"Authorization": "okta-secret-c-0123"}).code)
	assert.Equal(t, http.StatusUnauthorized, srv.post("/webhook/okta", body, map[string]string{"Authorization": "Bearer okta-secret-a-012"}).code)
	require.Equal(t, http.StatusOK, srv.post("/webhook/okta", body, map[string]string{"Authorization": "okta-secret-a-0123"}).code)
	require.Equal(t, http.StatusOK, srv.post("/webhook/okta", body, map[string]string{"Authorization": "okta-secret-b-0123", "X-Audit-Tenant": "evil"}).code)
	require.Equal(t, http.StatusOK, srv.post("/webhook/kubernetes", readTestdata(t, "k8s_eventlist.json"), map[string]string{"Authorization": "Bearer k8s-token-0123456"}).code)

	recs := records(sink)
	require.Len(t, recs, 6)
	assert.Equal(t, "okta-default", attrStr(recs[0], audit.AttrTenant))
	assert.Equal(t, "globex", attrStr(recs[2], audit.AttrTenant), "the credential picks the tenant, never the sender")
	assert.Equal(t, "cluster-1", attrStr(recs[4], audit.AttrTenant))
}

func TestOktaVerificationHandshake(t *testing.T) {
	srv := startReceiver(t, consumertest.NewNop(), func(cfg *Config) {
		cfg.Okta.Credentials = []Credential{{Secret: "okta-secret-0123456"}}
	})
	challenge := `X6\"s<script>` // echoed as JSON, never as HTML
	resp := srv.do(http.MethodGet, "/webhook/okta", nil, map[string]string{headerOktaChallenge: challenge, "Authorization": "okta-secret-0123456"})
	require.Equal(t, http.StatusOK, resp.code)
	assert.Equal(t, "application/json", resp.header.Get("Content-Type"))
	var got map[string]string
	require.NoError(t, json.Unmarshal(resp.body, &got))
	assert.Equal(t, map[string]string{"verification": challenge}, got)

	assert.Equal(t, http.StatusUnauthorized, srv.do(http.MethodGet, "/webhook/okta", nil, map[string]string{headerOktaChallenge: "x"}).code)
	assert.Equal(t, http.StatusBadRequest, srv.do(http.MethodGet, "/webhook/okta", nil, map[string]string{"Authorization": "okta-secret-0123456"}).code)
	resp = srv.do(http.MethodGet, "/webhook/generic", nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.code)
	assert.Equal(t, "POST", resp.header.Get("Allow"))
}

func TestOversizedBody(t *testing.T) {
	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, func(cfg *Config) { cfg.Server.MaxRequestBodySize = 1024 })
	big := `{"event.name":"user.login","padding":"` + strings.Repeat("x", 2048) + `"}`
	resp := srv.post("/webhook/generic", []byte(big), nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.code)
	assert.Equal(t, "request body exceeds max_request_body_size", resp.errorBody(t).Error)
	assert.Equal(t, 0, sink.LogRecordCount())
}

func TestMalformedInput(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		body      string
		wantError string
		wantItems []itemError
	}{
		{
			name: "ndjson with one bad line", path: "/webhook/generic", body: string(readTestdata(t, "generic_bad_line.ndjson")),
			wantError: "1 of 3 NDJSON events are invalid",
			wantItems: []itemError{{Index: intPtr(1), Line: 2, Message: "invalid JSON: unexpected end of input"}},
		},
		{
			name: "array with a non-object", path: "/webhook/generic", body: `[{"a":1}, "b", {"c":3}]`,
			wantError: "1 of 3 events are not JSON objects",
			wantItems: []itemError{{Index: intPtr(1), Path: "$[1]", Message: "expected a JSON object, got string"}},
		},
		{
			name: "invalid json document", path: "/webhook/okta", body: "{\n  \"data\": {\n    \"events\": [}\n}",
			wantError: "body is not valid JSON",
			wantItems: []itemError{{Line: 3, Message: "invalid JSON at column 16: invalid character '}' looking for beginning of value"}},
		},
		{
			name: "okta without data.events", path: "/webhook/okta", body: `{"eventType":"com.okta.event_hook","data":{}}`,
			wantError: "expected an Okta event hook",
			wantItems: []itemError{{Path: "$.data.events", Message: "expected an array, got null"}},
		},
		{
			name: "kubernetes with a wrong api version", path: "/webhook/kubernetes", body: `{"kind":"EventList","apiVersion":"audit.k8s.io/v1beta1","items":[]}`,
			wantError: "expected an audit.k8s.io/v1 EventList",
			wantItems: []itemError{{Path: "$.apiVersion", Message: `expected "audit.k8s.io/v1" (set --audit-webhook-version=audit.k8s.io/v1), got "audit.k8s.io/v1beta1"`}},
		},
		{
			name: "kubernetes item of the wrong type", path: "/webhook/kubernetes", body: `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a"},42]}`,
			wantError: "1 of 2 events are not JSON objects",
			wantItems: []itemError{{Index: intPtr(1), Path: "$.items[1]", Message: "expected a JSON object, got number"}},
		},
		{
			name: "cloudtrail records not an array", path: "/webhook/cloudtrail", body: `{"Records":{"eventName":"x"}}`,
			wantError: "expected CloudTrail Records",
			wantItems: []itemError{{Path: "$.Records", Message: "expected an array, got object"}},
		},
		{
			name: "cloudtrail unknown shape", path: "/webhook/cloudtrail", body: `{"hello":"world"}`,
			wantError: "expected CloudTrail Records, an EventBridge event or a CloudTrail record",
			wantItems: []itemError{{Path: "$", Message: `none of "Records", "detail" or "eventName" is present`}},
		},
		{
			name: "generic scalar", path: "/webhook/generic", body: `"just a string"`,
			wantError: "expected a JSON object, an array of objects or NDJSON",
			wantItems: []itemError{{Path: "$", Message: "got string"}},
		},
		{
			name: "empty body", path: "/webhook/generic", body: ``,
			wantError: "body is not valid JSON",
			wantItems: []itemError{{Line: 1, Message: "invalid JSON: unexpected end of input"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &consumertest.LogsSink{}
			srv := startReceiver(t, sink, nil)
			resp := srv.post(tt.path, []byte(tt.body), nil)
			require.Equal(t, http.StatusBadRequest, resp.code, string(resp.body))
			eb := resp.errorBody(t)
			assert.Equal(t, tt.wantError, eb.Error)
			assert.Equal(t, tt.wantItems, eb.Errors)
			assert.Equal(t, 0, sink.LogRecordCount(), "no partial acceptance")
		})
	}
}

func TestBackpressure(t *testing.T) {
	throttled := status.New(codes.ResourceExhausted, "queue is full")
	throttled, err := throttled.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(7 * time.Second)})
	require.NoError(t, err)

	tests := []struct {
		name           string
		err            error
		wantCode       int
		wantRetryAfter string
	}{
		{"memory limiter refusal", errors.New("data refused due to high memory usage"), http.StatusServiceUnavailable, "5"},
		{"retryable error", consumererror.NewRetryableError(errors.New("exporter queue is full")), http.StatusServiceUnavailable, "5"},
		{"throttled with a delay", throttled.Err(), http.StatusTooManyRequests, "7"},
		{"http 429 from downstream", consumererror.NewOTLPHTTPError(errors.New("slow down"), http.StatusTooManyRequests), http.StatusTooManyRequests, "5"},
		{"permanent", consumererror.NewPermanent(errors.New("bad data")), http.StatusUnprocessableEntity, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startReceiver(t, consumertest.NewErr(tt.err), nil)
			resp := srv.post("/webhook/generic", readTestdata(t, "generic_array.json"), nil)
			require.Equal(t, tt.wantCode, resp.code, string(resp.body))
			assert.Equal(t, tt.wantRetryAfter, resp.header.Get("Retry-After"))
			assert.NotContains(t, string(resp.body), "bad data", "pipeline errors are not echoed")
			assert.Equal(t, int64(2), srv.counter("otelcol_audit_webhook_events", attribute.String("endpoint", "generic"), attribute.String("result", "refused")))
			assert.Equal(t, int64(0), srv.counter("otelcol_audit_webhook_events", attribute.String("endpoint", "generic"), attribute.String("result", "accepted")))
		})
	}
}

// refuseOnce refuses the first batch and accepts the next ones.
type refuseOnce struct {
	consumertest.LogsSink
	refused bool
}

func (c *refuseOnce) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if !c.refused {
		c.refused = true
		return errors.New("refused")
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

func TestRetryAfterRefusalIsProcessed(t *testing.T) {
	next := &refuseOnce{}
	srv := startReceiver(t, next, nil)
	h := map[string]string{headerWebhookID: "msg_retry"}
	body := readTestdata(t, "generic_object.json")
	require.Equal(t, http.StatusServiceUnavailable, srv.post("/webhook/generic", body, h).code)
	require.Equal(t, http.StatusOK, srv.post("/webhook/generic", body, h).code, "a refused delivery is not remembered as done")
	assert.Equal(t, 1, next.LogRecordCount())
}

func TestUnknownSourceHeader(t *testing.T) {
	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, func(cfg *Config) { cfg.Generic.SourceHeader = "X-Audit-Source" })
	body := []byte(`{"type":"LOGIN","realmId":"acme","id":"kc-1"}`)
	require.Equal(t, http.StatusOK, srv.post("/webhook/generic", body, map[string]string{"X-Audit-Source": "keycloak"}).code)
	require.Equal(t, http.StatusBadRequest, srv.post("/webhook/generic", body, map[string]string{"X-Audit-Source": "../etc"}).code)
	recs := records(sink)
	require.Len(t, recs, 1)
	assert.Equal(t, audit.SourceKeycloak, attrStr(recs[0], audit.AttrSource))
}

func TestDisabledEndpointIsNotServed(t *testing.T) {
	srv := startReceiver(t, consumertest.NewNop(), func(cfg *Config) { cfg.CloudTrail.Enabled = false })
	assert.Equal(t, http.StatusNotFound, srv.post("/webhook/cloudtrail", readTestdata(t, "cloudtrail_records.json"), nil).code)
	assert.Equal(t, http.StatusNotFound, srv.post("/other", []byte(`{}`), nil).code)
}

func TestLifecycle(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Server.NetAddr.Endpoint = "127.0.0.1:0"
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Shutdown(context.Background()), "shutdown without start")
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, r.Shutdown(context.Background()))
	require.NoError(t, r.Shutdown(context.Background()), "shutdown twice")
}

func TestOversizedHeaders(t *testing.T) {
	srv := startReceiver(t, consumertest.NewNop(), func(cfg *Config) { cfg.MaxHeaderBytes = 1024 })
	// A raw connection: the server answers 431 and closes without reading the rest, which an
	// http.Client may report as a reset instead of the response. net/http allows 4 KiB of
	// slack over MaxHeaderBytes.
	conn, err := net.Dial("tcp", srv.r.addr.String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /webhook/generic HTTP/1.1\r\nHost: x\r\nX-Padding: %s\r\nContent-Length: 2\r\n\r\n{}", strings.Repeat("p", 6<<10))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}
