package auditnormalizerprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/envelope"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor/internal/metadata"
)

var update = flag.Bool("update", false, "rewrite the expected golden files")

// testNow is the fixed clock of the tests and the observed time of every golden input.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	nowFunc = func() time.Time { return testNow }
	os.Exit(m.Run())
}

// Input modes of a golden case.
const (
	modeMap        = "map"        // the vendor payload is the record's map body
	modeString     = "string"     // the vendor payload is the record's JSON string body
	modeAttributes = "attributes" // the vendor payload's fields are the record's attributes
	modeRecord     = "record"     // the file describes an OpenTelemetry log record
	modeText       = "text"       // the file is a plain-text body
)

type goldenCase struct {
	input    string         // path under testdata/golden
	expected string         // expected output path under testdata/golden, without .yaml
	mode     string         // input mode, default modeMap
	config   string         // config file under testdata/golden, default: the default config
	resource map[string]any // resource attributes
	attrs    map[string]any // extra record attributes
}

var goldenCases = []goldenCase{
	{input: "okta/session_start_success.json"},
	{input: "okta/session_start_failure.json"},
	{input: "okta/lifecycle_deactivate.json", resource: map[string]any{"tenant.id": "acme"}},
	{input: "okta/mfa_no_outcome.json"},
	{input: "okta/system_principal_grant.json"},
	{input: "okta/session_start_success.json", expected: "edge/okta_string_body", mode: modeString},
	{input: "okta/bidi_author.json", expected: "edge/okta_bidi_author"},
	{input: "okta/account_lock.json"},
	{input: "okta/group_membership_add.json"},
	{input: "okta/app_assignment.json"},
	{input: "okta/sso_app.json"},

	{input: "github/org_add_member.json"},
	{input: "github/repo_create.json"},
	{input: "github/team_add_member_created_at.json"},
	{input: "github/business_seconds_timestamp.json"},
	{input: "github/org_add_member.json", expected: "edge/github_as_attributes", mode: modeAttributes},
	{input: "github/invalid_org.json", expected: "edge/github_invalid_org"},
	{input: "github/git_clone.json"},
	{input: "github/audit_log_streaming_update.json"},
	{input: "github/repo_create_actions_secret.json"},
	{input: "github/personal_access_token_granted.json"},
	{input: "github/protected_branch_create.json"},
	{input: "github/unknown_action.json"},
	{input: "github/created_at_fallback.json"},

	{input: "kubernetes/rolebinding_request_received.json", resource: map[string]any{"k8s.cluster.name": "prod-eu", "tenant.id": "platform"}},
	{input: "kubernetes/rolebinding_response_complete.json", resource: map[string]any{"k8s.cluster.name": "prod-eu", "tenant.id": "platform"}},
	{input: "kubernetes/secret_get_forbidden.json", resource: map[string]any{"tenant.id": "platform"}},
	{input: "kubernetes/pod_exec_impersonated.json", resource: map[string]any{"tenant.id": "platform"}},
	{input: "kubernetes/configmap_update.json"},
	{input: "kubernetes/deployment_patch.json"},
	{input: "kubernetes/serviceaccount_token_create.json"},
	{input: "kubernetes/clusterrolebinding_cluster_admin.json"},
	{input: "kubernetes/stage_timestamp_unreadable.json"},
	{input: "kubernetes/aks_kube_audit.json"},
	{input: "kubernetes/aks_records_envelope.json"},
	{input: "kubernetes/aks_kube_audit.json", expected: "edge/aks_string_body", mode: modeString},

	{input: "cloudtrail/console_login_success.json"},
	{input: "cloudtrail/console_login_failure_masked.json"},
	{input: "cloudtrail/root_console_login.json"},
	{input: "cloudtrail/assumed_role_attach_policy.json"},
	{input: "cloudtrail/create_user_access_denied.json"},
	{input: "cloudtrail/aws_service_s3_bucket.json"},
	{input: "cloudtrail/eventbridge_stop_logging.json"},
	{input: "cloudtrail/create_login_profile.json"},
	{input: "cloudtrail/attach_user_policy_admin.json"},
	{input: "cloudtrail/attach_role_policy_denied.json"},
	{input: "cloudtrail/add_user_to_group.json"},
	{input: "cloudtrail/assume_role_by_service.json"},
	{input: "cloudtrail/put_event_selectors.json"},
	{input: "cloudtrail/kms_decrypt.json"},
	{input: "cloudtrail/create_key_pair.json"},
	{input: "cloudtrail/s3_create_bucket.json"},
	{input: "cloudtrail/missing_event_time.json"},

	{input: "keycloak/login.json"},
	{input: "keycloak/login_error.json"},
	{input: "keycloak/admin_create_user.json"},
	{input: "keycloak/admin_role_mapping.json"},
	{input: "keycloak/update_password_error.json"},
	{input: "keycloak/login.json", expected: "edge/keycloak_pinned_by_attribute", mode: modeString, attrs: map[string]any{"audit.source": "keycloak"}},
	{input: "keycloak/jboss_login_error.txt", mode: modeText},
	{input: "keycloak/jboss_quoted_login.txt", mode: modeText},
	{input: "keycloak/jboss_admin_create.txt", mode: modeText},
	{input: "keycloak/json_after_prefix.txt", mode: modeText},
	{input: "keycloak/phasetwo_access_login.json"},
	{input: "keycloak/phasetwo_admin_user_create.json"},

	{input: "gcp/set_iam_policy.json"},
	{input: "gcp/permission_denied.json"},
	{input: "gcp/instances_insert.json"},
	{input: "gcp/access_secret_version.json"},
	{input: "gcp/pubsub_push.json"},

	{input: "azure/role_assignment_write.json"},
	{input: "azure/role_assignment_start.json"},
	{input: "azure/vm_write_failure.json"},
	{input: "azure/records_envelope.json"},
	{input: "azure/activity_rest_keyvault_delete.json"},
	{input: "azure/signin_success.json"},
	{input: "azure/signin_failure.json"},
	{input: "azure/entra_audit_add_member_to_role.json"},

	{input: "otel/user_login.json", mode: modeRecord},
	{input: "otel/login_failed_legacy_event_name.json", mode: modeRecord},
	{input: "otel/course_completed.json", mode: modeRecord},
	{input: "otel/team_leader_changed.json", mode: modeRecord},
	{input: "otel/export_requested_http_error.json", mode: modeRecord},
	{input: "otel/settings_updated_system.json", mode: modeRecord},
	{input: "otel/unknown_event_name.json", mode: modeRecord},
	{input: "otel/quarantined_tenant.json", expected: "edge/otel_quarantined_tenant", mode: modeRecord},

	{input: "generic/lms_archive.json", config: "generic/config.yaml"},
	{input: "generic/lms_grade_no_id.json", config: "generic/config.yaml"},

	{input: "edge/plain_text.txt", mode: modeText},
	{input: "edge/unknown_map.json"},
	{input: "edge/control_chars.json"},
	{input: "edge/cloudtrail_formula_ip.json"},
	{input: "edge/okta_outcome_string_time_number.json"},
	{input: "edge/okta_outcome_object_bad_time.json"},
	{input: "edge/generic_outcome_bool.json"},
	{input: "edge/generic_outcome_status_code.json"},
	{input: "edge/generic_outcome_unreadable.json"},
	{input: "edge/keycloak_time_string.json"},
}

func (c goldenCase) name() string {
	if c.expected != "" {
		return c.expected
	}
	return strings.TrimSuffix(c.input, filepath.Ext(c.input))
}

// buildInput turns a golden case's input file into logs.
func buildInput(t testing.TB, c goldenCase) plog.Logs {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", c.input))
	require.NoError(t, err)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("audit-source")
	lr := sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
	require.NoError(t, rl.Resource().Attributes().FromRaw(c.resource))

	mode := c.mode
	if mode == "" {
		mode = modeMap
	}
	switch mode {
	case modeText:
		lr.Body().SetStr(string(data))
	case modeString:
		lr.Body().SetStr(string(data))
	case modeMap, modeAttributes:
		raw := decodeJSON(t, data)
		target := lr.Attributes()
		if mode == modeMap {
			target = lr.Body().SetEmptyMap()
		}
		require.NoError(t, target.FromRaw(raw))
	case modeRecord:
		var spec struct {
			Resource     map[string]any `json:"resource"`
			EventName    string         `json:"eventName"`
			Timestamp    string         `json:"timestamp"`
			SeverityText string         `json:"severityText"`
			Body         any            `json:"body"`
			Attributes   map[string]any `json:"attributes"`
		}
		require.NoError(t, json.Unmarshal(data, &spec))
		require.NoError(t, rl.Resource().Attributes().FromRaw(spec.Resource))
		lr.SetEventName(spec.EventName)
		lr.SetSeverityText(spec.SeverityText)
		if ts, err := time.Parse(time.RFC3339Nano, spec.Timestamp); err == nil {
			lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		}
		if spec.Body != nil {
			require.NoError(t, lr.Body().FromRaw(spec.Body))
		}
		require.NoError(t, lr.Attributes().FromRaw(spec.Attributes))
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	for k, v := range c.attrs {
		require.NoError(t, lr.Attributes().PutEmpty(k).FromRaw(v))
	}
	return ld
}

// decodeJSON decodes a JSON object as the webhook receiver does: integers become int64, so
// that epoch milliseconds and ids keep every digit.
func decodeJSON(t testing.TB, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	require.NoError(t, dec.Decode(&raw))
	return convertNumbers(raw).(map[string]any)
}

func convertNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = convertNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = convertNumbers(e)
		}
	}
	return v
}

func loadConfig(t testing.TB, path string) *Config {
	t.Helper()
	cfg := mappingConfig()
	if path == "" {
		return cfg
	}
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "golden", path))
	require.NoError(t, err)
	require.NoError(t, cm.Unmarshal(cfg))
	require.NoError(t, cfg.Validate())
	return cfg
}

func newTestProcessor(t testing.TB, cfg *Config, sink *consumertest.LogsSink) processor.Logs {
	t.Helper()
	next := consumer.Logs(consumertest.NewNop())
	if sink != nil {
		next = sink
	}
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, next)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), nil))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return p
}

func runProcessor(t testing.TB, cfg *Config, ld plog.Logs) plog.Logs {
	t.Helper()
	sink := new(consumertest.LogsSink)
	p := newTestProcessor(t, cfg, sink)
	require.NoError(t, p.ConsumeLogs(context.Background(), ld))
	require.Len(t, sink.AllLogs(), 1)
	return sink.AllLogs()[0]
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name(), func(t *testing.T) {
			cfg := loadConfig(t, c.config)
			actual := runProcessor(t, cfg, buildInput(t, c))
			expectedPath := filepath.Join("testdata", "golden", c.name()+".yaml")
			if *update {
				require.NoError(t, golden.WriteLogsToFile(expectedPath, actual))
			}
			expected, err := golden.ReadLogs(expectedPath)
			require.NoError(t, err)
			assert.NoError(t, plogtest.CompareLogs(expected, actual))
		})
	}
}

// TestGoldenIdempotent normalises every golden output again: the result must not change.
func TestGoldenIdempotent(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name(), func(t *testing.T) {
			cfg := loadConfig(t, c.config)
			once := runProcessor(t, cfg, buildInput(t, c))
			again := plog.NewLogs()
			once.CopyTo(again)
			twice := runProcessor(t, cfg, again)
			assert.NoError(t, plogtest.CompareLogs(once, twice))
		})
	}
}

// TestGoldenModel checks the model contract on every golden output, independently of the
// expected files: the body is the description, the raw event is kept, the outcome and
// tenant are valid and every record has an event id.
func TestGoldenModel(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name(), func(t *testing.T) {
			in := buildInput(t, c)
			inRecord := in.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			originalBody := pcommon.NewValueEmpty()
			inRecord.Body().CopyTo(originalBody)
			if originalBody.Type() == pcommon.ValueTypeMap {
				// An envelope of events is split: the record keeps its own event.
				if shape, v := envelope.Open(originalBody.Map()); shape.Multi() {
					require.Equal(t, 1, v.Slice().Len())
					event := pcommon.NewValueEmpty()
					v.Slice().At(0).CopyTo(event)
					originalBody = event
				}
			}
			inAttrs := pcommon.NewMap()
			inRecord.Attributes().CopyTo(inAttrs)

			out := runProcessor(t, loadConfig(t, c.config), in)
			require.Equal(t, 1, out.LogRecordCount())
			lr := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			attrs := lr.Attributes()

			desc, ok := attrs.Get(audit.AttrDescription)
			require.True(t, ok)
			assert.Equal(t, desc.Str(), lr.Body().Str())
			if originalBody.Type() != pcommon.ValueTypeEmpty {
				orig, ok := attrs.Get(audit.AttrOriginal)
				require.True(t, ok)
				assert.Equal(t, originalBody.AsRaw(), orig.AsRaw())
			}
			inAttrs.Range(func(k string, v pcommon.Value) bool {
				if k == audit.AttrSource {
					return true
				}
				got, ok := attrs.Get(k)
				assert.True(t, ok, "attribute %s lost", k)
				assert.Equal(t, v.AsRaw(), got.AsRaw(), "attribute %s changed", k)
				return true
			})
			outcome, _ := attrs.Get(audit.AttrOutcome)
			assert.Contains(t, []string{audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeUnknown}, outcome.Str())
			tenant, _ := attrs.Get(audit.AttrTenant)
			assert.NoError(t, audit.ValidateTenant(tenant.Str()))
			id, _ := attrs.Get(audit.AttrEventID)
			assert.NotEmpty(t, id.Str())
			for _, k := range []string{audit.AttrCategory, audit.AttrSummary} {
				v, _ := attrs.Get(k)
				assert.NotEmpty(t, v.Str(), k)
			}
			// The category is one of the built-in set, or one the configuration names.
			cfg := loadConfig(t, c.config)
			category, _ := attrs.Get(audit.AttrCategory)
			configured := false
			for _, e := range cfg.Catalogue {
				configured = configured || e.Category == category.Str()
			}
			assert.True(t, audit.IsBuiltinCategory(category.Str()) || configured, "category %q", category.Str())
			// Client addresses the normaliser writes are IP addresses.
			if v, ok := attrs.Get(audit.AttrClientAddress); ok && !has(inAttrs, audit.AttrClientAddress) {
				_, err := netip.ParseAddr(v.Str())
				assert.NoError(t, err)
			}
			assert.NotZero(t, lr.Timestamp())
			assert.NotZero(t, lr.ObservedTimestamp())
		})
	}
}

// mappingConfig is the default configuration with payload tenants trusted: the mapping tests
// check what each source's tenant field maps to. Tenant binding is tested in tenant_test.go.
func mappingConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.TrustPayloadTenant = true
	return cfg
}
