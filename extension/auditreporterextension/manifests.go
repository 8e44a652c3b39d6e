package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
)

// chainHeads returns, by file format, the manifest digest of the report and tenant's last
// sent period: what the next manifest links to. It reads the ledger, where the digest is
// recorded in the same write as the "sent" state, so that a restart cannot separate them.
func (e *reporter) chainHeads(reportName, tenant string) (map[string]string, error) {
	heads := map[string]string{}
	var latest time.Time
	err := e.ledger.ForEach(nsRuns, reportName+"\x00"+tenant+"\x00", func(_ string, v []byte) error {
		// Only the fields needed: records carry whole manifests.
		var rec struct {
			State  string    `json:"state"`
			SentAt time.Time `json:"sent_at"`
			Files  []struct {
				Format         string `json:"format"`
				ManifestDigest string `json:"manifest_digest"`
			} `json:"files"`
		}
		if json.Unmarshal(v, &rec) != nil || rec.State != stateSent || rec.SentAt.Before(latest) {
			return nil
		}
		latest = rec.SentAt
		clear(heads)
		for _, f := range rec.Files {
			if f.ManifestDigest != "" {
				heads[f.Format] = f.ManifestDigest
			}
		}
		return nil
	})
	return heads, err
}

// sealManifests links every file's manifest to its chain head, signs it and writes it
// beside the file. A manifest already sealed on the current head and present on disk is
// kept, so that a resend carries the same manifest. It reports whether rec changed.
func (e *reporter) sealManifests(r *report, rec *runRecord) (bool, error) {
	heads, err := e.chainHeads(r.name, rec.Tenant)
	if err != nil {
		return false, err
	}
	changed := false
	for i := range rec.Files {
		f := &rec.Files[i]
		if f.Manifest == nil {
			return false, errors.New("the rendered file has no manifest")
		}
		path := filepath.Join(e.runDir(rec.ID), f.manifestName())
		head := heads[f.Format]
		if f.ManifestDigest != "" && f.Manifest.Previous() == head && e.manifestOnDisk(path, f.ManifestDigest) {
			continue
		}
		m := *f.Manifest
		digest, err := reportengine.Seal(path, &m, head, e.manifestSigner, e.now())
		if err != nil {
			return false, err
		}
		f.Manifest, f.ManifestDigest, changed = &m, digest, true
	}
	return changed, nil
}

func (e *reporter) manifestOnDisk(path, digest string) bool {
	b, err := os.ReadFile(path)
	return err == nil && manifest.DigestOf(b) == digest
}
