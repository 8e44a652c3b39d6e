package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver"
)

// The invariant: a vendor payload maps to the same audit events whether it is POSTed to the
// audit_webhook receiver (which splits envelopes with its streaming parser) or arrives as the
// body of one OTLP log record (from a forwarder, a storage notification function, a file
// reader), where the normaliser splits it.

// comparedAttributes are the audit model's facts both paths must agree on, besides the record
// timestamp.
var comparedAttributes = []string{
	audit.AttrAuthor, audit.AttrAuthorID, audit.AttrCategory, audit.AttrSummary, audit.AttrDescription,
	audit.AttrOutcome, audit.AttrTenant, audit.AttrEventID, audit.AttrTarget, audit.AttrSource,
	audit.AttrAction, audit.AttrClientAddress, audit.AttrUserAgent, audit.AttrTimeFallback,
}

// notCompared are attributes the paths legitimately differ on. Every other record attribute
// either path has is compared too, so that a new attribute cannot drift unnoticed.
var notCompared = map[string]string{
	// Set by the receiver only.
	"audit.webhook.delivery_id": "the sender's delivery id, a request header",
	// audit.original is the raw event as each path received it: a JSON string body stays a
	// string, and the receiver's CloudTrail endpoint emits an EventBridge event's detail
	// where the normaliser keeps the whole event (its cloudtrail profile reads detail).
	audit.AttrOriginal: "the raw event as each path received it",
}

// webhookOnlyResource are the resource attributes only the receiver sets; resource
// attributes are not compared (the OTLP record names its tenant there).
var webhookOnlyResource = []string{"audit.webhook.endpoint", "service.name"}

// invariantTenant binds both paths: the receiver's endpoints are bound to it, and the OTLP
// record is sent by an identity bound to it and names it as its resource's tenant.id.
const invariantTenant = "acme"

type invariantCase struct {
	// dir is the fixture's folder, file its name.
	dir, file string
	// path is the receiver endpoint the fixture is posted to.
	path    string
	headers map[string]string
	// attrs are record attributes the OTLP record carries for what the webhook path learns
	// from headers.
	attrs map[string]any
	// configure adjusts the normaliser's default config on both paths.
	configure func(*auditnormalizerprocessor.Config)
	// events is how many events the fixture holds.
	events int
}

func receiverTestdata() string {
	return filepath.Join(testharness.RepoRoot(), "receiver", "auditwebhookreceiver", "testdata")
}

func normalizerTestdata(sub string) string {
	return filepath.Join(testharness.RepoRoot(), "processor", "auditnormalizerprocessor", "testdata", sub)
}

// genericPaths maps the generic fixtures: the generic endpoint's events name their event in
// "event.name", which no conventional field name covers. With paths configured, detection
// picks the generic profile on the OTLP path as the endpoint's pin does on the webhook path.
func genericPaths(cfg *auditnormalizerprocessor.Config) {
	cfg.Generic = auditnormalizerprocessor.GenericConfig{
		EventName: "event.name", Author: "user.email", Outcome: "outcome", EventID: "id",
		ClientAddress: "client.address", Time: "timestamp", TimeFormat: auditnormalizerprocessor.TimeFormatAuto,
	}
}

var invariantCases = []invariantCase{
	{dir: receiverTestdata(), file: "okta_event_hook.json", path: "/webhook/okta", events: 2},
	{dir: receiverTestdata(), file: "k8s_eventlist.json", path: "/webhook/kubernetes", events: 2},
	{dir: receiverTestdata(), file: "cloudtrail_records.json", path: "/webhook/cloudtrail", events: 2},
	{dir: receiverTestdata(), file: "eventbridge_consolelogin.json", path: "/webhook/cloudtrail", events: 1},
	{dir: receiverTestdata(), file: "github_audit_stream.ndjson", path: "/webhook/github", events: 2},
	{
		// A delivery's event type is the X-GitHub-Event header, not part of the payload: an
		// OTLP producer carries it as github.event, the attribute the receiver writes. No
		// X-GitHub-Delivery is sent, so that the event id is hashed from the event on both.
		dir: receiverTestdata(), file: "github_webhook_member.json", path: "/webhook/github",
		headers: map[string]string{"X-GitHub-Event": "member"}, attrs: map[string]any{"github.event": "member"},
		events: 1,
	},
	{dir: receiverTestdata(), file: "generic_object.json", path: "/webhook/generic", configure: genericPaths, events: 1},
	{dir: receiverTestdata(), file: "generic_array.json", path: "/webhook/generic", configure: genericPaths, events: 2},
	{dir: receiverTestdata(), file: "generic.ndjson", path: "/webhook/generic", configure: genericPaths, events: 3},

	// Vendor payloads the receiver has no endpoint of its own for: posted to the generic
	// endpoint, they reach the normaliser whole on both paths.
	{dir: normalizerTestdata("golden/azure"), file: "records_envelope.json", path: "/webhook/generic", events: 1},
	{dir: normalizerTestdata("golden/kubernetes"), file: "aks_records_envelope.json", path: "/webhook/generic", events: 1},
	{dir: normalizerTestdata("golden/gcp"), file: "pubsub_push.json", path: "/webhook/generic", events: 1},
	{dir: normalizerTestdata("envelope"), file: "azure_records_mixed.json", path: "/webhook/generic", events: 3},
	{dir: normalizerTestdata("envelope"), file: "okta_event_hook.json", path: "/webhook/okta", events: 2},
	{dir: normalizerTestdata("envelope"), file: "k8s_eventlist.json", path: "/webhook/kubernetes", events: 2},
	{dir: normalizerTestdata("envelope"), file: "cloudtrail_records.json", path: "/webhook/cloudtrail", events: 2},
	{dir: normalizerTestdata("envelope"), file: "github_page.json", path: "/webhook/github", events: 3},
	{dir: normalizerTestdata("envelope"), file: "github_stream.ndjson", path: "/webhook/github", events: 3},
	{dir: normalizerTestdata("envelope"), file: "github_splunk_hec.txt", path: "/webhook/github", events: 3},
}

// skippedWebhookFixtures are receiver fixtures with nothing to compare.
var skippedWebhookFixtures = map[string]string{
	// The receiver refuses the whole request (one line is not JSON); the normaliser, which
	// cannot refuse, keeps the record whole as unparsable_body (TestInvariantRefusedBody).
	"generic_bad_line.ndjson": "refused by the receiver",
}

// TestEveryWebhookFixtureCompared keeps the invariant's list complete.
func TestEveryWebhookFixtureCompared(t *testing.T) {
	entries, err := os.ReadDir(receiverTestdata())
	require.NoError(t, err)
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".ndjson") {
			continue
		}
		_, skipped := skippedWebhookFixtures[name]
		covered := slices.ContainsFunc(invariantCases, func(c invariantCase) bool {
			return c.dir == receiverTestdata() && c.file == name
		})
		assert.True(t, skipped || covered, "receiver fixture %s is neither compared nor skipped with a reason", name)
	}
}

// TestWebhookAndOTLPMapTheSame sends every fixture through both paths and compares the
// normalised records field by field.
func TestWebhookAndOTLPMapTheSame(t *testing.T) {
	for _, tc := range invariantCases {
		t.Run(filepath.Base(tc.dir)+"/"+tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(tc.dir, tc.file))
			require.NoError(t, err)

			viaWebhook := runWebhook(t, tc, data)
			require.Len(t, viaWebhook, tc.events, "the receiver's events")
			observed := viaWebhook[0].ObservedTimestamp()

			values := decodeValues(t, data)
			bodies := map[string]func(pcommon.Value){
				"string body": func(v pcommon.Value) { v.SetStr(string(data)) },
			}
			if len(values) == 1 {
				// A map (or slice) body, as a forwarder that decodes the JSON sends it.
				bodies["map body"] = func(v pcommon.Value) { require.NoError(t, v.FromRaw(values[0])) }
			} else {
				// NDJSON, or objects one after another: a forwarder that decodes them sends a list.
				bodies["slice body"] = func(v pcommon.Value) { require.NoError(t, v.FromRaw(values)) }
			}
			for name, setBody := range bodies {
				t.Run(name, func(t *testing.T) {
					viaOTLP := runOTLP(t, tc, observed, setBody)
					require.Len(t, viaOTLP, len(viaWebhook), "one record per event on both paths")
					for i := range viaWebhook {
						compareRecords(t, viaWebhook[i], viaOTLP[i], fmt.Sprintf("event %d", i))
					}
				})
			}
		})
	}
}

// runWebhook posts data to the receiver's endpoint, in front of the normaliser.
func runWebhook(t *testing.T, tc invariantCase, data []byte) []plog.LogRecord {
	t.Helper()
	sink := &consumertest.LogsSink{}
	base := startBoundWebhookReceiver(t, startNormalizer(t, sink, tc.configure))
	code, body := post(t, base+tc.path, data, tc.headers)
	require.Equal(t, http.StatusOK, code, body)
	for _, ld := range sink.AllLogs() {
		res := ld.ResourceLogs().At(0).Resource().Attributes()
		for _, k := range webhookOnlyResource {
			_, ok := res.Get(k)
			assert.True(t, ok, "the receiver sets %s", k)
		}
	}
	return records(sink)
}

// runOTLP sends one log record whose body setBody fills to the normaliser, from a sender
// bound to invariantTenant, with the receipt time of the webhook path.
func runOTLP(t *testing.T, tc invariantCase, observed pcommon.Timestamp, setBody func(pcommon.Value)) []plog.LogRecord {
	t.Helper()
	sink := &consumertest.LogsSink{}
	norm := startNormalizer(t, sink, tc.configure)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("tenant.id", invariantTenant)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(observed)
	require.NoError(t, lr.Attributes().FromRaw(tc.attrs))
	setBody(lr.Body())
	ctx := identity.NewContext(context.Background(), &identity.Identity{
		Subject: "otlp/" + invariantTenant, DefaultTenant: invariantTenant, Tenants: []string{invariantTenant},
	})
	require.NoError(t, norm.ConsumeLogs(ctx, ld))
	return records(sink)
}

// startBoundWebhookReceiver starts the receiver (default config, every endpoint bound to
// invariantTenant) on a free loopback port in front of next.
func startBoundWebhookReceiver(t *testing.T, next consumer.Logs) string {
	t.Helper()
	f := auditwebhookreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*auditwebhookreceiver.Config)
	addr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	cfg.Server.NetAddr.Endpoint = addr
	for _, ep := range []*auditwebhookreceiver.EndpointConfig{
		&cfg.Generic.EndpointConfig, &cfg.Okta, &cfg.Kubernetes, &cfg.CloudTrail, &cfg.GitHub.EndpointConfig,
	} {
		ep.Tenant = invariantTenant
	}
	require.NoError(t, cfg.Validate())
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, next)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, rcv.Shutdown(context.Background())) })
	return "http://" + addr
}

// compareRecords compares the listed facts, the timestamp, and every other attribute but
// those notCompared.
func compareRecords(t *testing.T, webhook, otlp plog.LogRecord, what string) {
	t.Helper()
	for _, k := range comparedAttributes {
		assert.Equal(t, attrStr(webhook, k), attrStr(otlp, k), "%s: %s", what, k)
	}
	assert.Equal(t, webhook.Timestamp().AsTime(), otlp.Timestamp().AsTime(), "%s: timestamp", what)
	assert.Equal(t, invariantTenant, attrStr(otlp, audit.AttrTenant), "%s: the tenant binding holds", what)

	keys := map[string]bool{}
	for _, lr := range []plog.LogRecord{webhook, otlp} {
		lr.Attributes().Range(func(k string, _ pcommon.Value) bool {
			keys[k] = true
			return true
		})
	}
	for k := range keys {
		if _, skip := notCompared[k]; skip || slices.Contains(comparedAttributes, k) {
			continue
		}
		assert.Equal(t, attrStr(webhook, k), attrStr(otlp, k), "%s: %s", what, k)
	}
}

// decodeValues decodes every JSON value of data as the receiver does: integers as int64.
func decodeValues(t *testing.T, data []byte) []any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, numbers(v))
	}
}

func numbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = numbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = numbers(e)
		}
	}
	return v
}

// TestInvariantGenericPinWithoutPaths documents where pinning and detection legitimately
// differ. The generic endpoint pins its events to the generic profile, which then maps any
// event with conventional field names; an OTLP record carries no pin, and detection picks the
// generic profile only for an event that has conventional names for an event name and an
// author or id. generic_object.json names its event in "event.name", which is no conventional
// name: without configured paths the webhook path maps it as generic (author found, event
// name not), the OTLP path recognises no profile. With generic paths configured both map it
// alike (TestWebhookAndOTLPMapTheSame).
func TestInvariantGenericPinWithoutPaths(t *testing.T) {
	tc := invariantCase{dir: receiverTestdata(), file: "generic_object.json", path: "/webhook/generic"}
	data, err := os.ReadFile(filepath.Join(tc.dir, tc.file))
	require.NoError(t, err)
	viaWebhook := runWebhook(t, tc, data)
	require.Len(t, viaWebhook, 1)
	viaOTLP := runOTLP(t, tc, viaWebhook[0].ObservedTimestamp(), func(v pcommon.Value) { v.SetStr(string(data)) })
	require.Len(t, viaOTLP, 1)

	assert.Equal(t, audit.SourceGeneric, attrStr(viaWebhook[0], audit.AttrSource))
	assert.Equal(t, audit.ReasonNoEventName, attrStr(viaWebhook[0], audit.AttrUnmappedReason))
	assert.Equal(t, "ada@example.com", attrStr(viaWebhook[0], audit.AttrAuthor))

	assert.Equal(t, absent, attrStr(viaOTLP[0], audit.AttrSource))
	assert.Equal(t, audit.ReasonNoProfile, attrStr(viaOTLP[0], audit.AttrUnmappedReason))
	// The tenant binding and the event id rule hold all the same.
	assert.Equal(t, invariantTenant, attrStr(viaOTLP[0], audit.AttrTenant))
	assert.Equal(t, "evt-1001", attrStr(viaWebhook[0], audit.AttrEventID))
}

// TestInvariantRefusedBody: a body the receiver refuses whole (one NDJSON line is not JSON)
// is, as an OTLP record's body, kept whole and unmapped: the normaliser cannot refuse, and it
// drops nothing.
func TestInvariantRefusedBody(t *testing.T) {
	tc := invariantCase{dir: receiverTestdata(), file: "generic_bad_line.ndjson", path: "/webhook/generic", configure: genericPaths}
	data, err := os.ReadFile(filepath.Join(tc.dir, tc.file))
	require.NoError(t, err)

	sink := &consumertest.LogsSink{}
	base := startBoundWebhookReceiver(t, startNormalizer(t, sink, tc.configure))
	code, body := post(t, base+tc.path, data, nil)
	assert.Equal(t, http.StatusBadRequest, code, body)
	assert.Empty(t, records(sink))

	viaOTLP := runOTLP(t, tc, 0, func(v pcommon.Value) { v.SetStr(string(data)) })
	require.Len(t, viaOTLP, 1)
	assert.Equal(t, audit.ReasonUnparsableBody, attrStr(viaOTLP[0], audit.AttrUnmappedReason))
	assert.Equal(t, string(data), attrStr(viaOTLP[0], audit.AttrOriginal))
}
