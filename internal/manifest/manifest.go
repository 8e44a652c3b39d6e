package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/atomicfile"
)

// Version is the manifest format version.
const Version = 1

// Kinds of manifest.
const (
	KindReport = "report"
	KindExport = "export"
)

// Suffix is appended to a file's name to name its manifest.
const Suffix = ".manifest.json"

// Errors of Parse and Verify; test with errors.Is.
var (
	ErrNotCanonical  = errors.New("manifest is not in canonical form")
	ErrUnsigned      = errors.New("manifest is not signed")
	ErrUnknownKey    = errors.New("manifest is signed by an unknown key")
	ErrBadSignature  = errors.New("manifest signature does not verify")
	ErrFileMismatch  = errors.New("file does not match its manifest")
	ErrRowsMismatch  = errors.New("rows do not match the manifest's rows digest")
	ErrUnsupported   = errors.New("unsupported manifest")
	errMissingFields = errors.New("manifest lacks required fields")
)

// Period is the half-open interval [From, To) a report covers.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Export is the request an on-demand export answered.
type Export struct {
	ID   string    `json:"id"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Scope is "all" or "view"; Filters are the view's filters by field.
	Scope     string              `json:"scope,omitempty"`
	Filters   map[string][]string `json:"filters,omitempty"`
	Format    string              `json:"format"`
	Timezone  string              `json:"timezone,omitempty"`
	Requester string              `json:"requester"`
}

// File describes the file a manifest stands beside.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest is the document written beside a rendered file. Field order does not matter:
// the canonical form sorts keys.
type Manifest struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	Report  string `json:"report,omitempty"`
	Tenant  string `json:"tenant"`
	// Format is the file's format with its compression, e.g. "csv", "csv.gz", "xlsx.zip".
	// Each format of a report and tenant is a chain of its own.
	Format string `json:"format"`
	// Period is set for reports, Export for exports.
	Period *Period `json:"period,omitempty"`
	Export *Export `json:"export,omitempty"`

	Rows int64 `json:"rows"`
	// FirstEvent and LastEvent are null when there are no rows.
	FirstEvent *time.Time `json:"first_event"`
	LastEvent  *time.Time `json:"last_event"`
	File       File       `json:"file"`

	RowsDigest            string   `json:"rows_digest,omitempty"`
	RowCheckpointInterval int64    `json:"row_checkpoint_interval,omitempty"`
	RowCheckpoints        []string `json:"row_checkpoints,omitempty"`

	// PreviousDigest is the digest of the previous manifest of the chain; null with
	// ChainStart at the first one.
	PreviousDigest *string `json:"previous_digest"`
	ChainStart     bool    `json:"chain_start"`

	// GeneratedAt is when the manifest was written.
	GeneratedAt time.Time `json:"generated_at"`

	// KeyID and Signature are null in an unsigned manifest.
	KeyID     *string `json:"key_id"`
	Signature *string `json:"signature"`
}

// Link sets the chain fields: previous is the digest of the previous manifest, "" for the
// first manifest of a chain.
func (m *Manifest) Link(previous string) {
	if previous == "" {
		m.PreviousDigest, m.ChainStart = nil, true
		return
	}
	m.PreviousDigest, m.ChainStart = &previous, false
}

// Previous returns the previous digest, "" at a chain start.
func (m *Manifest) Previous() string {
	if m.PreviousDigest == nil {
		return ""
	}
	return *m.PreviousDigest
}

// Key returns the key id, "" when unsigned.
func (m *Manifest) Key() string {
	if m.KeyID == nil {
		return ""
	}
	return *m.KeyID
}

// normalise keeps every time in UTC, so that a manifest encodes the same wherever it is
// made.
func (m *Manifest) normalise() {
	utc := func(t *time.Time) {
		if t != nil {
			*t = t.UTC()
		}
	}
	if m.Period != nil {
		utc(&m.Period.From)
		utc(&m.Period.To)
	}
	if m.Export != nil {
		utc(&m.Export.From)
		utc(&m.Export.To)
	}
	utc(m.FirstEvent)
	utc(m.LastEvent)
	utc(&m.GeneratedAt)
}

// Marshal returns the manifest file: canonical JSON and a line feed.
func (m *Manifest) Marshal() ([]byte, error) {
	m.normalise()
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	c, err := Canonical(raw)
	if err != nil {
		return nil, err
	}
	return append(c, '\n'), nil
}

// Digest returns the digest of the manifest: the hex SHA-256 of its file.
func (m *Manifest) Digest() (string, error) {
	b, err := m.Marshal()
	if err != nil {
		return "", err
	}
	return DigestOf(b), nil
}

// DigestOf returns the hex SHA-256 of a manifest file's bytes.
func DigestOf(file []byte) string {
	sum := sha256.Sum256(file)
	return hex.EncodeToString(sum[:])
}

// Parse decodes a manifest file, refusing one that is not exactly canonical JSON and a
// line feed, has unknown members, or an unknown version or kind.
func Parse(b []byte) (*Manifest, error) {
	body, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no final line feed", ErrNotCanonical)
	}
	c, err := Canonical(body)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(c, body) {
		return nil, ErrNotCanonical
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	if m.Version != Version {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupported, m.Version)
	}
	switch {
	case m.Kind == KindReport && (m.Period == nil || m.Report == "" || m.Export != nil):
		return nil, fmt.Errorf("%w: a report manifest needs report and period", errMissingFields)
	case m.Kind == KindExport && m.Export == nil:
		return nil, fmt.Errorf("%w: an export manifest needs export", errMissingFields)
	case m.Kind != KindReport && m.Kind != KindExport:
		return nil, fmt.Errorf("%w: kind %q", ErrUnsupported, m.Kind)
	case m.ChainStart == (m.PreviousDigest != nil):
		return nil, fmt.Errorf("%w: exactly one of chain_start and previous_digest is set", errMissingFields)
	case (m.KeyID == nil) != (m.Signature == nil):
		return nil, fmt.Errorf("%w: key_id and signature are set together", errMissingFields)
	}
	// The decoded struct must encode back to the same bytes: a value the struct cannot hold
	// exactly (a time with another offset, a number out of range) is not canonical.
	again, err := m.Marshal()
	if err != nil || !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: does not round-trip", ErrNotCanonical)
	}
	return &m, nil
}

// ReadFile reads and parses a manifest file, and returns its digest too.
func ReadFile(path string) (*Manifest, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	m, err := Parse(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return m, DigestOf(b), nil
}

// WriteFile writes the manifest atomically (temporary file, fsync, rename) and returns its
// digest.
func WriteFile(path string, m *Manifest) (string, error) {
	b, err := m.Marshal()
	if err != nil {
		return "", err
	}
	if err := atomicfile.WriteBytes(path, b); err != nil {
		return "", err
	}
	return DigestOf(b), nil
}

// FileDigest computes the size and hex SHA-256 of r.
func FileDigest(r io.Reader) (File, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return File{}, err
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// CheckFile compares the file at path with the manifest's size and SHA-256.
func (m *Manifest) CheckFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	got, err := FileDigest(f)
	if err != nil {
		return err
	}
	if got.Size != m.File.Size {
		return fmt.Errorf("%w: size %d, manifest says %d", ErrFileMismatch, got.Size, m.File.Size)
	}
	if got.SHA256 != m.File.SHA256 {
		return fmt.Errorf("%w: sha256 %s, manifest says %s", ErrFileMismatch, got.SHA256, m.File.SHA256)
	}
	return nil
}
