package auditlokiexporter

import (
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// FuzzEncode feeds arbitrary field values through rendering, validation, chunking and the
// wire encoding: nothing may panic, every accepted entry must decode back with its labels, and
// the same input must encode to the same bytes.
func FuzzEncode(f *testing.F) {
	f.Add("acme", "alice@example.com", "Authentication", "Login", "success", "hello", "svc", int64(0), uint8(0))
	f.Add("", "\xff\xfe", "cat\"egory", "", "weird", "line\nwith\x00ctl", "", int64(-1), uint8(1))
	f.Add("..", "a", "\u2028", "{}", "=", "k=v \"q\"", "s.v", int64(1<<62), uint8(2))
	f.Fuzz(func(t *testing.T, tenant, author, category, summary, outcome, body, service string, offset int64, format uint8) {
		cfg := testConfig()
		cfg.LineFormat = []string{LineFormatText, LineFormatJSON, LineFormatLogfmt}[int(format)%3]
		cfg.Labels.MaxValuesPerLabel = 2
		cfg.Limits.MaxRequestSize = cfg.Limits.MaxLineSize

		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", service)
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := 0; i < 3; i++ {
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(time.Duration(offset % int64(365*24*time.Hour)))))
			lr.Body().SetStr(body)
			a := lr.Attributes()
			a.PutStr(audit.AttrTenant, tenant)
			a.PutStr(audit.AttrAuthor, author)
			a.PutStr(audit.AttrCategory, category+string(rune('a'+i)))
			a.PutStr(audit.AttrSummary, summary)
			a.PutStr(audit.AttrOutcome, outcome)
		}

		encode := func() [][]byte {
			var out [][]byte
			for _, c := range chunks(newEncoder(cfg, nil).entries(ld), cfg.Limits.MaxRequestSize) {
				b, err := c.encode()
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				out = append(out, b)
			}
			return out
		}
		first, second := encode(), encode()
		if len(first) != len(second) {
			t.Fatalf("chunk count differs: %d vs %d", len(first), len(second))
		}
		for i := range first {
			if string(first[i]) != string(second[i]) {
				t.Fatal("the same batch encoded to different bytes")
			}
			raw, err := snappy.Decode(nil, first[i])
			if err != nil {
				t.Fatal(err)
			}
			var req push.PushRequest
			if err := req.Unmarshal(raw); err != nil {
				t.Fatal(err)
			}
			for _, s := range req.Streams {
				if len(s.Labels) < 2 || s.Labels[0] != '{' || s.Labels[len(s.Labels)-1] != '}' {
					t.Fatalf("malformed selector %q", s.Labels)
				}
			}
		}
	})
}
