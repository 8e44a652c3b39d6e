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

// verifyStandardWebhook checks a Standard Webhooks signature: HMAC-SHA256 over
// "id.timestamp.body", base64, in a space-separated list of "v1,<sig>" entries. Any configured
// key may match, which is how keys are rotated.
func verifyStandardWebhook(h http.Header, body []byte, keys []secret, tolerance time.Duration, now time.Time) (*secret, string) {
	id, ts, sigs := h.Get(headerWebhookID), h.Get(headerWebhookTimestamp), h.Get(headerWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return nil, reasonMissing
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, reasonMalformed
	}
	var candidates [][]byte
	for _, entry := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(raw) != sha256.Size {
			continue
		}
		candidates = append(candidates, raw)
	}
	if len(candidates) == 0 {
		return nil, reasonMalformed
	}
	var matched *secret
	for i := range keys {
		mac := hmac.New(sha256.New, keys[i].value)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		want := mac.Sum(nil)
		for _, c := range candidates {
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
	sent := time.Unix(unix, 0)
	if d := now.Sub(sent); d > tolerance || d < -tolerance {
		return nil, reasonExpired
	}
	return matched, ""
}

// verifyHubSignature checks GitHub's X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256
// of the raw body under the webhook secret.
func verifyHubSignature(value string, body []byte, secrets []secret) (*secret, string) {
	hexSig, ok := strings.CutPrefix(value, "sha256=")
	if !ok {
		return nil, reasonMalformed
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return nil, reasonMalformed
	}
	var matched *secret
	for i := range secrets {
		mac := hmac.New(sha256.New, secrets[i].value)
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), got) && matched == nil {
			matched = &secrets[i]
		}
	}
	if matched == nil {
		return nil, reasonMismatch
	}
	return matched, ""
}
