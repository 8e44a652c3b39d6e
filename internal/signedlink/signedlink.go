package signedlink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
)

// Query parameter names.
const (
	ParamKeyID     = "kid"
	ParamExpires   = "exp"
	ParamTenant    = "tenant"
	ParamID        = "id"
	ParamSignature = "sig"
)

// MinKeyLength is the shortest key accepted, in bytes: the HMAC-SHA256 block of security.
const MinKeyLength = 32

const canonicalPrefix = "otelcol-audit-link/v1"

// ErrInvalidLink is the only error Verify returns.
var ErrInvalidLink = errors.New("invalid or expired link")

// Signer signs and verifies links with a set of keys, one of them current.
type Signer struct {
	keys    map[string][]byte
	current string
	now     func() time.Time
}

// NewSigner returns a Signer that signs with keys[currentKeyID] and verifies with any key in
// keys. now defaults to time.Now.
func NewSigner(keys map[string]configopaque.String, currentKeyID string, now func() time.Time) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("keys: at least one signing key is required")
	}
	s := &Signer{keys: make(map[string][]byte, len(keys)), current: currentKeyID, now: now}
	if s.now == nil {
		s.now = time.Now
	}
	for id, key := range keys {
		if id == "" || len(id) > 64 || url.QueryEscape(id) != id {
			return nil, fmt.Errorf("keys: key id %q must be 1 to 64 URL-safe characters", id)
		}
		if len(key) < MinKeyLength {
			return nil, fmt.Errorf("keys: key %q is shorter than %d bytes", id, MinKeyLength)
		}
		s.keys[id] = []byte(key)
	}
	if _, ok := s.keys[currentKeyID]; !ok {
		return nil, fmt.Errorf("current_key_id: %q is not one of the keys", currentKeyID)
	}
	return s, nil
}

// Sign returns the query parameters of a link to method+path for the file id of tenant,
// valid until expires (to the second, rounded down).
func (s *Signer) Sign(method, path, tenant, id string, expires time.Time) url.Values {
	exp := expires.Unix()
	return url.Values{
		ParamKeyID:     {s.current},
		ParamExpires:   {strconv.FormatInt(exp, 10)},
		ParamTenant:    {tenant},
		ParamID:        {id},
		ParamSignature: {s.sign(s.keys[s.current], method, path, tenant, id, exp, s.current)},
	}
}

// Verify checks a link's query against method and path, and returns the tenant and id it
// was signed for. Any failure is ErrInvalidLink.
func (s *Signer) Verify(method, path string, q url.Values) (tenant, id string, err error) {
	kid, ok1 := single(q, ParamKeyID)
	expStr, ok2 := single(q, ParamExpires)
	tenant, ok3 := single(q, ParamTenant)
	id, ok4 := single(q, ParamID)
	sig, ok5 := single(q, ParamSignature)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return "", "", ErrInvalidLink
	}
	key, ok := s.keys[kid]
	if !ok {
		return "", "", ErrInvalidLink
	}
	exp, err := strconv.ParseInt(expStr, 10, 64)
	if err != nil || strconv.FormatInt(exp, 10) != expStr {
		return "", "", ErrInvalidLink
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return "", "", ErrInvalidLink
	}
	want := s.mac(key, method, path, tenant, id, exp, kid)
	if !hmac.Equal(got, want) {
		return "", "", ErrInvalidLink
	}
	if !s.now().Before(time.Unix(exp, 0)) {
		return "", "", ErrInvalidLink
	}
	return tenant, id, nil
}

func single(q url.Values, name string) (string, bool) {
	v := q[name]
	if len(v) != 1 || v[0] == "" {
		return "", false
	}
	return v[0], true
}

func (s *Signer) sign(key []byte, method, path, tenant, id string, exp int64, kid string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(key, method, path, tenant, id, exp, kid))
}

func (s *Signer) mac(key []byte, method, path, tenant, id string, exp int64, kid string) []byte {
	if method == "HEAD" {
		method = "GET"
	}
	var buf []byte
	buf = append(buf, canonicalPrefix...)
	for _, field := range []string{method, path, tenant, id, strconv.FormatInt(exp, 10), kid} {
		buf = append(buf, '\n')
		buf = strconv.AppendInt(buf, int64(len(field)), 10)
		buf = append(buf, ':')
		buf = append(buf, field...)
	}
	h := hmac.New(sha256.New, key)
	h.Write(buf)
	return h.Sum(nil)
}
