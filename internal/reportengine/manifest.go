package reportengine

import (
	"errors"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
)

// Describe fills what m says about a rendered file: format, rows, first and last event, the
// file's name, size and digest and, for a CSV file, the rows digest. The caller sets what
// the file answers (kind, tenant, report period or export request).
func Describe(m *manifest.Manifest, res *Result, f *Rendered) error {
	m.Version = manifest.Version
	m.Format = f.FullFormat()
	m.Rows = res.Rows
	m.File = manifest.File{Name: f.Name, Size: f.Size, SHA256: f.SHA256}
	m.FirstEvent, m.LastEvent = nil, nil
	if res.Rows > 0 {
		first, last := res.First, res.Last
		m.FirstEvent, m.LastEvent = &first, &last
	}
	if !manifest.IsCSV(f.Name) {
		return nil
	}
	rh, err := manifest.HashCSVFileAs(f.Path, f.Name, manifest.CheckpointInterval(res.Rows))
	if err != nil {
		return err
	}
	if rh.Rows() != res.Rows {
		return errors.New("the rendered file's row count differs from the rows written")
	}
	rh.Fill(m)
	return nil
}

// Seal links m to previous, the digest of the previous manifest of its chain ("" starts a
// chain), stamps it with now, signs it when signer is not nil (unsigned otherwise) and
// writes it to path. It returns the digest of the written manifest.
func Seal(path string, m *manifest.Manifest, previous string, signer *manifest.Signer, now time.Time) (string, error) {
	m.Link(previous)
	m.GeneratedAt = now.UTC()
	m.KeyID, m.Signature = nil, nil
	if signer != nil {
		if err := signer.Sign(m); err != nil {
			return "", err
		}
	}
	return manifest.WriteFile(path, m)
}
