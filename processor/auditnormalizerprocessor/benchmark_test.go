package auditnormalizerprocessor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Run with:
//
//	go test ./processor/auditnormalizerprocessor -run '^$' -bench . -benchmem -count 10 | tee bench.txt
//	benchstat bench.txt                                 # every profile
//	benchstat -filter .name:Semconv -col /impl bench.txt  # normaliser against OTTL
//
// One op is one record; records are processed in batches of benchBatch, as a batch
// processor or a receiver would deliver them.
const benchBatch = 100

// benchProfiles lists, per profile, the golden cases whose inputs make up its batch.
var benchProfiles = []struct {
	name   string
	inputs []string
}{
	{"okta", []string{"okta/session_start_success.json", "okta/session_start_failure.json", "okta/lifecycle_deactivate.json"}},
	{"github", []string{"github/org_add_member.json", "github/repo_create.json", "github/team_add_member_created_at.json"}},
	{"kubernetes", []string{"kubernetes/rolebinding_response_complete.json", "kubernetes/secret_get_forbidden.json", "kubernetes/pod_exec_impersonated.json"}},
	{"cloudtrail", []string{"cloudtrail/console_login_success.json", "cloudtrail/assumed_role_attach_policy.json", "cloudtrail/create_user_access_denied.json"}},
	{"keycloak", []string{"keycloak/login.json", "keycloak/login_error.json", "keycloak/admin_create_user.json"}},
	{"gcp", []string{"gcp/set_iam_policy.json", "gcp/permission_denied.json", "gcp/instances_insert.json"}},
	{"azure", []string{"azure/role_assignment_write.json", "azure/signin_success.json", "azure/signin_failure.json"}},
	{"generic", []string{"generic/lms_archive.json", "generic/lms_grade_no_id.json"}},
	{"otel", semconvBenchInputs},
}

var semconvBenchInputs = []string{
	"otel/user_login.json",
	"otel/login_failed_legacy_event_name.json",
	"otel/course_completed.json",
	"otel/team_leader_changed.json",
	"otel/export_requested_http_error.json",
	"otel/settings_updated_system.json",
}

// benchInput builds one batch of records cycling through the given golden inputs, each
// resource with its records, as a receiver would deliver them.
func benchInput(tb testing.TB, inputs []string) plog.Logs {
	out := plog.NewLogs()
	for i := 0; i < benchBatch; i++ {
		path := inputs[i%len(inputs)]
		c := goldenCase{input: path}
		if filepath.Dir(path) == "otel" {
			c.mode = modeRecord
		}
		buildInput(tb, c).ResourceLogs().MoveAndAppendTo(out.ResourceLogs())
	}
	return out
}

// runBatches feeds proc b.N records in batches of benchBatch (fresh copies of batch, made
// with the timer stopped), so that ns/op, B/op and allocs/op are per record. cpu-ns/op is the
// process CPU time spent in the timed calls, per record (rusage has a coarse clock, so it is
// meaningful over many batches only).
//
// Each pool of copies is followed by a collection with the timer stopped: the copies are
// several times the processor's own garbage, and collecting them is the receiver's cost, not
// the processor's. Timed figures therefore carry little garbage collection at all; what the
// processor leaves to collect is B/op and allocs/op.
func runBatches(b *testing.B, proc processor.Logs, batch plog.Logs) {
	const pool = 64
	copies := make([]plog.Logs, 0, pool)
	var cpu int64
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		if len(copies) == 0 {
			b.StopTimer()
			for j := 0; j < pool; j++ {
				c := plog.NewLogs()
				batch.CopyTo(c)
				copies = append(copies, c)
			}
			runtime.GC()
			b.StartTimer()
		}
		ld := copies[len(copies)-1]
		copies = copies[:len(copies)-1]
		if n := b.N - done; n < benchBatch {
			b.StopTimer()
			ld.ResourceLogs().RemoveIf(func(plog.ResourceLogs) bool {
				n--
				return n < 0
			})
			b.StartTimer()
		}
		done += ld.LogRecordCount()
		cpuBefore := processCPUNanos()
		if err := proc.ConsumeLogs(context.Background(), ld); err != nil {
			b.Fatal(err)
		}
		cpu += processCPUNanos() - cpuBefore
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}

func BenchmarkNormalizer(b *testing.B) {
	for _, bp := range benchProfiles {
		b.Run(bp.name, func(b *testing.B) {
			cfg := mappingConfig()
			if bp.name == "generic" {
				cfg = loadConfig(b, "generic/config.yaml")
			}
			proc := newTestProcessor(b, cfg, nil)
			runBatches(b, proc, benchInput(b, bp.inputs))
		})
	}
}

// BenchmarkSemconv compares the normaliser with the same mapping written in OTTL
// (testdata/ottl_semconv.yaml) and run by the contrib transform processor.
func BenchmarkSemconv(b *testing.B) {
	batch := benchInput(b, semconvBenchInputs)
	b.Run("impl=normalizer", func(b *testing.B) {
		runBatches(b, newTestProcessor(b, mappingConfig(), nil), batch)
	})
	b.Run("impl=ottl_transform", func(b *testing.B) {
		runBatches(b, newOTTLProcessor(b, consumertest.NewNop()), batch)
	})
}

func newOTTLProcessor(tb testing.TB, next consumer.Logs) processor.Logs {
	tb.Helper()
	f := transformprocessor.NewFactory()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "ottl_semconv.yaml"))
	require.NoError(tb, err)
	sub, err := cm.Sub(component.NewIDWithName(f.Type(), "audit_semconv").String())
	require.NoError(tb, err)
	cfg := f.CreateDefaultConfig()
	require.NoError(tb, sub.Unmarshal(cfg))
	p, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(f.Type()), cfg, next)
	require.NoError(tb, err)
	require.NoError(tb, p.Start(context.Background(), nil))
	tb.Cleanup(func() { require.NoError(tb, p.Shutdown(context.Background())) })
	return p
}

// TestOTTLBaselineEquivalent keeps the benchmark honest: the OTTL statements must write the
// same model attributes as the normaliser on the benchmark input.
func TestOTTLBaselineEquivalent(t *testing.T) {
	ours := runProcessor(t, mappingConfig(), benchInput(t, semconvBenchInputs))
	sink := new(consumertest.LogsSink)
	require.NoError(t, newOTTLProcessor(t, sink).ConsumeLogs(context.Background(), benchInput(t, semconvBenchInputs)))
	theirs := sink.AllLogs()[0]
	require.Equal(t, ours.LogRecordCount(), theirs.LogRecordCount())
	keys := []string{
		audit.AttrSource, audit.AttrAction, audit.AttrAuthor, audit.AttrAuthorID, audit.AttrCategory,
		audit.AttrSummary, audit.AttrOutcome, audit.AttrTenant, audit.AttrTarget, audit.AttrDescription,
		audit.AttrUnmappedReason, audit.AttrTenantOriginal,
	}
	for i := 0; i < ours.ResourceLogs().Len(); i++ {
		a := ours.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords().At(0)
		o := theirs.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords().At(0)
		for _, k := range keys {
			assert.Equal(t, attr(t, a, k), attr(t, o, k), "record %d attribute %s", i, k)
		}
		assert.Equal(t, a.Body().AsString(), o.Body().AsString(), "record %d body", i)
		assert.Equal(t, a.Timestamp(), o.Timestamp(), "record %d time", i)
	}
}

// BenchmarkEnvelope measures records whose body is an envelope of benchBatch CloudTrail
// records, split and normalised; one op is one event, so ns/op and allocs/op compare with
// BenchmarkNormalizer/cloudtrail.
func BenchmarkEnvelope(b *testing.B) {
	inputs := benchProfiles[1].inputs
	var records []any
	for i := 0; i < benchBatch; i++ {
		data, err := os.ReadFile(filepath.Join("testdata", "golden", inputs[i%len(inputs)]))
		require.NoError(b, err)
		records = append(records, decodeJSON(b, data))
	}
	text, err := json.Marshal(map[string]any{"Records": records})
	require.NoError(b, err)
	for _, mode := range []string{modeMap, modeString} {
		b.Run("cloudtrail_records/"+mode, func(b *testing.B) {
			batch := plog.NewLogs()
			body := batch.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body()
			if mode == modeString {
				body.SetStr(string(text))
			} else {
				require.NoError(b, body.FromRaw(map[string]any{"Records": records}))
			}
			proc := newTestProcessor(b, mappingConfig(), nil)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += benchBatch {
				b.StopTimer()
				ld := plog.NewLogs()
				batch.CopyTo(ld)
				b.StartTimer()
				if err := proc.ConsumeLogs(context.Background(), ld); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
