package auditwebhookreceiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Verification failure reasons: the fixed value set of the metric's reason attribute.
const (
	reasonMissing   = "missing"   // no credential or signature header
	reasonMalformed = "malformed" // a header that cannot be parsed
	reasonExpired   = "expired"   // a valid signature whose timestamp is outside the tolerance
	reasonMismatch  = "mismatch"  // no configured secret or key matches
	reasonExtension = "extension" // the server's auth extension refused the request
)

var verificationReasons = []string{reasonMissing, reasonMalformed, reasonExpired, reasonMismatch, reasonExtension}

// Standard Webhooks headers (https://www.standardwebhooks.com/).
const (
	headerWebhookID        = "webhook-id"
	headerWebhookTimestamp = "webhook-timestamp"
	headerWebhookSignature = "webhook-signature"
)

// GitHub headers.
const (
	headerHubSignature256 = "X-Hub-Signature-256"
	headerGitHubDelivery  = "X-GitHub-Delivery"
	headerGitHubEvent     = "X-GitHub-Event"
)

// secret is a decoded credential.
type secret struct {
	value  []byte
	tenant string
}

func toSecrets(creds []Credential, decode func(string) ([]byte, error)) []secret {
	out := make([]secret, 0, len(creds))
	for _, c := range creds {
		v := []byte(string(c.Secret))
		if decode != nil {
			// Validate already refused undecodable keys.
			v, _ = decode(string(c.Secret))
		}
		out = append(out, secret{value: v, tenant: c.Tenant})
	}
	return out
}

// verified is who a request came from.
type verified struct {
	// tenant is the credential's tenant, or "" for the endpoint's.
	tenant string
	// deliveryID identifies the delivery for replay detection, or "" when it has none.
	deliveryID string
	// bodyOnly is set when the signature covers the body and nothing else (X-Hub-Signature-256):
	// a captured body can be replayed with a new delivery id, so the body itself is
	// deduplicated.
	bodyOnly bool
}

// matchSharedSecret compares the header value with every secret in constant time. "Bearer "
// followed by the secret is accepted too, for senders that only speak bearer tokens.
func matchSharedSecret(value string, secrets []secret) (*secret, bool) {
	var found *secret
	v := []byte(value)
	bearer, hasBearer := strings.CutPrefix(value, "Bearer ")
	for i := range secrets {
		s := &secrets[i]
		ok := subtle.ConstantTimeCompare(v, s.value) == 1
		if hasBearer {
			ok = subtle.ConstantTimeCompare([]byte(bearer), s.value) == 1 || ok
		}
		if ok && found == nil {
			found = s
		}
	}
	return found, found != nil
}

// standardSignature is what the Standard Webhooks headers carry: enough to refuse a malformed
// request before its body is read.
type standardSignature struct {
	id, ts     string
	sent       time.Time
	candidates [][]byte
}

// parseStandardWebhook reads the Standard Webhooks headers: webhook-id, webhook-timestamp, and
// a space-separated list of "v1,<base64 signature>" entries in webhook-signature.
func parseStandardWebhook(h http.Header) (*standardSignature, string) {
	id, ts, sigs := h.Get(headerWebhookID), h.Get(headerWebhookTimestamp), h.Get(headerWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return nil, reasonMissing
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, reasonMalformed
	}
	s := &standardSignature{id: id, ts: ts, sent: time.Unix(unix, 0)}
	for _, entry := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(raw) != sha256.Size {
			continue
		}
		s.candidates = append(s.candidates, raw)
	}
	if len(s.candidates) == 0 {
		return nil, reasonMalformed
	}
	return s, ""
}

// verify checks the signature: HMAC-SHA256 over "id.timestamp.body". Any configured key may
// match, which is how keys are rotated.
func (s *standardSignature) verify(body []byte, keys []secret, tolerance time.Duration, now time.Time) (*secret, string) {
	var matched *secret
	for i := range keys {
		mac := hmac.New(sha256.New, keys[i].value)
		mac.Write([]byte(s.id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(s.ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		want := mac.Sum(nil)
		for _, c := range s.candidates {
			if hmac.Equal(want, c) && matched == nil {
				matched = &keys[i]
			}
		}
	}
	if matched == nil {
		return nil, reasonMismatch
	}
	// The timestamp is checked after the signature so that the counter tells a stale but
	// authentic sender (clock skew, late retry) from a wrong key.
	if d := now.Sub(s.sent); d > tolerance || d < -tolerance {
		return nil, reasonExpired
	}
	return matched, ""
}

// parseHubSignature reads GitHub's X-Hub-Signature-256: "sha256=" and a hex HMAC-SHA256.
func parseHubSignature(value string) ([]byte, string) {
	hexSig, ok := strings.CutPrefix(value, "sha256=")
	if !ok {
		return nil, reasonMalformed
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) != sha256.Size {
		return nil, reasonMalformed
	}
	return sig, ""
}

// verifyHubSignature checks sig against the HMAC-SHA256 of the raw body under each webhook
// secret. The signature covers the body only: replays are caught by the body's hash.
func verifyHubSignature(sig, body []byte, secrets []secret) (*secret, string) {
	var matched *secret
	for i := range secrets {
		mac := hmac.New(sha256.New, secrets[i].value)
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), sig) && matched == nil {
			matched = &secrets[i]
		}
	}
	if matched == nil {
		return nil, reasonMismatch
	}
	return matched, ""
}
