package auditwebhookreceiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzParser feeds arbitrary bodies to a parser and to record building: neither may panic,
// and a refusal always says why.
func fuzzParser(f *testing.F, source string, parse func([]byte) ([]event, *badRequest)) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json*"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"", "{}", "[]", "null", "[1,{}]", "{\"a\":1}\n{\"b\":", "\n\n{}\n", `{"data":{"events":[{}]}}`, `{"Records":[{}]}`, `{"detail":{}}`, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, bad := parse(body)
		if bad != nil {
			if bad.Message == "" {
				t.Fatalf("refusal without a message for %q", body)
			}
			return
		}
		meta := batchMeta{endpoint: "fuzz", serviceName: "s", source: source, tenant: "t"}
		logs := buildLogs(meta, events, time.Unix(1_700_000_000, 0))
		if logs.LogRecordCount() != len(events) {
			t.Fatalf("got %d records for %d events", logs.LogRecordCount(), len(events))
		}
	})
}

func FuzzParseGeneric(f *testing.F)      { fuzzParser(f, "generic", parseGeneric) }
func FuzzParseOkta(f *testing.F)         { fuzzParser(f, "okta", parseOkta) }
func FuzzParseKubernetes(f *testing.F)   { fuzzParser(f, "kubernetes", parseKubernetes) }
func FuzzParseCloudTrail(f *testing.F)   { fuzzParser(f, "cloudtrail", parseCloudTrail) }
func FuzzParseGitHubStream(f *testing.F) { fuzzParser(f, "github", parseGitHubStream) }
func FuzzParseGitHubWebhook(f *testing.F) {
	fuzzParser(f, "github", parseGitHubWebhook)
}

// FuzzVerifyStandardWebhook checks that no header value makes verification panic.
func FuzzVerifyStandardWebhook(f *testing.F) {
	f.Add("msg_1", "1700000000", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=", []byte("{}"))
	f.Add("", "", "v1a,", []byte(""))
	keys := []secret{{value: []byte("key")}}
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := map[string][]string{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
		_, _ = verifyStandardWebhook(h, body, keys, time.Minute, time.Unix(1_700_000_000, 0))
		_, _ = verifyHubSignature(sig, body, keys)
	})
}
