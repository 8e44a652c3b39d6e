package auditwebhookreceiver

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzParser feeds arbitrary bodies to a parser and to record building: neither may panic,
// and a refusal always says why.
func fuzzParser(f *testing.F, kind, githubEvent string) {
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
		b := newLogsBuilder(batchMeta{endpoint: kind, serviceName: "s", source: kind, tenant: "t"}, time.Unix(1_700_000_000, 0))
		emitted := 0
		p := &parser{maxEvents: 50, maxNodes: 500, emit: func(e event) { emitted++; b.add(e) }}
		if bad := p.parse(kind, githubEvent, body); bad != nil {
			if bad.Message == "" {
				t.Fatalf("refusal without a message for %q", body)
			}
			return
		}
		if emitted > 50 || b.logs.LogRecordCount() != emitted {
			t.Fatalf("got %d records for %d events", b.logs.LogRecordCount(), emitted)
		}
	})
}

func FuzzParseGeneric(f *testing.F)       { fuzzParser(f, kindGeneric, "") }
func FuzzParseOkta(f *testing.F)          { fuzzParser(f, kindOkta, "") }
func FuzzParseKubernetes(f *testing.F)    { fuzzParser(f, kindKubernetes, "") }
func FuzzParseCloudTrail(f *testing.F)    { fuzzParser(f, kindCloudTrail, "") }
func FuzzParseGitHubStream(f *testing.F)  { fuzzParser(f, kindGitHub, "") }
func FuzzParseGitHubWebhook(f *testing.F) { fuzzParser(f, kindGitHub, "member") }

// FuzzVerifyStandardWebhook checks that no header value makes verification panic.
func FuzzVerifyStandardWebhook(f *testing.F) {
	f.Add("msg_1", "1700000000", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=", []byte("{}"))
	f.Add("", "", "v1a,", []byte(""))
	keys := []secret{{value: []byte("key")}}
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := map[string][]string{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
		if s, reason := parseStandardWebhook(h); reason == "" {
			_, _ = s.verify(body, keys, time.Minute, time.Unix(1_700_000_000, 0))
		}
		if s, reason := parseHubSignature(sig); reason == "" {
			_, _ = verifyHubSignature(s, body, keys)
		}
	})
}
