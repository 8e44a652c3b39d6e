package manifest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Signer signs manifests with the current key of a key ring.
type Signer struct {
	keys    map[string]ed25519.PrivateKey
	current string
}

// ParsePrivateKey decodes a base64 (standard or URL alphabet, padded or not) Ed25519 seed
// (32 bytes) or private key (64 bytes, seed then public key).
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := decodeBase64(s)
	if err != nil {
		return nil, err
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		k := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if !slices.Equal([]byte(k[ed25519.SeedSize:]), b[ed25519.SeedSize:]) {
			return nil, errors.New("the private key's public half does not match its seed")
		}
		return k, nil
	default:
		return nil, fmt.Errorf("an Ed25519 key is a %d-byte seed or a %d-byte private key, got %d bytes", ed25519.SeedSize, ed25519.PrivateKeySize, len(b))
	}
}

// ParsePublicKey decodes a base64 Ed25519 public key (32 bytes).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeBase64(s)
	if err != nil {
		return nil, err
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("an Ed25519 public key is %d bytes, got %d", ed25519.PublicKeySize, len(b))
	}
	return ed25519.PublicKey(b), nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// ValidKeyID reports whether id may name a key: 1 to 64 letters, digits, '-', '_' or '.'.
func ValidKeyID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// KeyError names the key at fault in NewSigner's error.
type KeyError struct {
	ID  string
	Err error
}

func (e *KeyError) Error() string { return e.ID + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// NewSigner returns a Signer over keys (by id, as ParsePrivateKey reads them) that signs
// with keys[current].
func NewSigner(keys map[string]string, current string) (*Signer, error) {
	s := &Signer{keys: make(map[string]ed25519.PrivateKey, len(keys)), current: current}
	for id, v := range keys {
		if !ValidKeyID(id) {
			return nil, &KeyError{ID: id, Err: errors.New("a key id is 1 to 64 letters, digits, '-', '_' or '.'")}
		}
		k, err := ParsePrivateKey(v)
		if err != nil {
			return nil, &KeyError{ID: id, Err: err}
		}
		s.keys[id] = k
	}
	if _, ok := s.keys[current]; !ok {
		return nil, fmt.Errorf("current key %q is not one of the keys", current)
	}
	return s, nil
}

// CurrentKey returns the id new manifests are signed with.
func (s *Signer) CurrentKey() string { return s.current }

// PublicKeys returns every key's public half, sorted by id.
func (s *Signer) PublicKeys() PublicKeys {
	var pk PublicKeys
	for id, k := range s.keys {
		pk.Keys = append(pk.Keys, PublicKey{ID: id, PublicKey: base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey))})
	}
	slices.SortFunc(pk.Keys, func(a, b PublicKey) int { return strings.Compare(a.ID, b.ID) })
	return pk
}

// Sign sets the key id and the signature of m with the current key.
func (s *Signer) Sign(m *Manifest) error {
	id := s.current
	m.KeyID, m.Signature = &id, nil
	payload, err := signingPayload(m)
	if err != nil {
		return err
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(s.keys[id], payload))
	m.Signature = &sig
	return nil
}

// PublicKey is one published verification key.
type PublicKey struct {
	ID string `json:"id"`
	// PublicKey is the base64 (standard alphabet) Ed25519 public key.
	PublicKey string `json:"public_key"`
}

// PublicKeys is the document served at WellKnownPath.
type PublicKeys struct {
	Keys []PublicKey `json:"keys"`
}

// WellKnownPath is where the report exporter's links server publishes PublicKeys.
const WellKnownPath = "/.well-known/otelcol-audit/report-keys.json"

// KeySet returns the keys by id, refusing a malformed key.
func (p PublicKeys) KeySet() (map[string]ed25519.PublicKey, error) {
	out := make(map[string]ed25519.PublicKey, len(p.Keys))
	for _, k := range p.Keys {
		pub, err := ParsePublicKey(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		out[k.ID] = pub
	}
	return out, nil
}

// ParsePublicKeys decodes a PublicKeys document.
func ParsePublicKeys(b []byte) (map[string]ed25519.PublicKey, error) {
	var p PublicKeys
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode public keys: %w", err)
	}
	return p.KeySet()
}

// signingPayload is the canonical JSON of m without its signature member.
func signingPayload(m *Manifest) ([]byte, error) {
	c := *m
	c.Signature = nil
	c.normalise()
	raw, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	delete(obj, "signature")
	raw, err = json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return Canonical(raw)
}

// Verify checks m's signature against keys (by id). A key missing from keys is
// ErrUnknownKey; an unsigned manifest is ErrUnsigned.
func Verify(m *Manifest, keys map[string]ed25519.PublicKey) error {
	if m.Signature == nil || m.KeyID == nil {
		return ErrUnsigned
	}
	pub, ok := keys[*m.KeyID]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownKey, *m.KeyID)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(*m.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: malformed signature", ErrBadSignature)
	}
	payload, err := signingPayload(m)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, payload, sig) {
		return fmt.Errorf("%w (key %q)", ErrBadSignature, *m.KeyID)
	}
	return nil
}
