package auditwebhookreceiver

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

// BenchmarkServe measures one request through the handler (read, verify, parse, build
// records, consume) without the network; ns/op is per request of the testdata payload.
func BenchmarkServe(b *testing.B) {
	key := []byte("bench-key-0123456789abcdef")
	cases := []struct {
		name, kind, file string
		sign             bool
	}{
		{"okta_2_events", kindOkta, "okta_event_hook.json", false},
		{"kubernetes_2_events", kindKubernetes, "k8s_eventlist.json", false},
		{"cloudtrail_2_records", kindCloudTrail, "cloudtrail_records.json", false},
		{"github_stream_2_entries", kindGitHub, "github_audit_stream.ndjson", false},
		{"generic_ndjson_3_signed", kindGeneric, "generic.ndjson", true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg := createDefaultConfig().(*Config)
			cfg.Generic.SigningKeys = []Credential{{Secret: configopaque.String(whsecPrefix + base64.StdEncoding.EncodeToString(key))}}
			r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(b, err)
			var ep *endpoint
			for _, e := range r.endpoints {
				if e.kind == c.kind {
					ep = e
				}
			}
			h := r.handler(ep)
			body, err := os.ReadFile(filepath.Join("testdata", c.file))
			require.NoError(b, err)
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				req := httptest.NewRequest(http.MethodPost, ep.path, bytes.NewReader(body))
				if c.sign {
					id := "msg_" + strconv.Itoa(i)
					req.Header.Set(headerWebhookID, id)
					req.Header.Set(headerWebhookTimestamp, ts)
					req.Header.Set(headerWebhookSignature, signStandard(key, id, ts, body))
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkParseNDJSON measures the generic parser alone on a 1000-line NDJSON batch.
func BenchmarkParseNDJSON(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; i < 1000; i++ {
		buf.WriteString(`{"event.name":"user.login","timestamp":"2024-10-01T10:00:00Z","user":{"email":"grace@example.com"},"id":"evt-` + strconv.Itoa(i) + `","client.address":"192.0.2.1"}` + "\n")
	}
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, bad := parseBody(kindGeneric, body); bad != nil {
			b.Fatal(bad.Message)
		}
	}
}
