package exportjobs

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"html/template"
	"io"
	"os"
	"strings"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
)

// TooLargeError refuses an export with more rows than Config.MaxRows.
type TooLargeError struct {
	Rows, MaxRows int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the period holds more than %d matching events (the export limit is %d): choose a narrower range or add filters", e.Rows, e.MaxRows)
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// render writes the export to a .part file and renames it into place once complete and
// fsynced: a file under its final name is always whole.
func (e *Engine) render(ctx context.Context, j *Job, rs *runState) (err error) {
	loc, err := time.LoadLocation(j.Timezone)
	if err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	part := e.partPath(j.ID)
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create export file: %w", err)
	}
	defer func() {
		if f != nil {
			_ = f.Close()
		}
	}()
	cw := &countingWriter{w: f, h: sha256.New()}
	bw := bufio.NewWriterSize(cw, 64<<10)
	var out io.Writer = bw
	format := j.Format
	var gz io.WriteCloser
	if format == FormatCSVGzip {
		if gz, err = reportrender.NewCompressed(reportrender.CompressionGzip, bw, strings.TrimSuffix(j.FileName, ".gz")); err != nil {
			return err
		}
		out, format = gz, FormatCSV
	}
	w, err := reportrender.New(format, out, loc, reportrender.WithTempDir(e.files))
	if err != nil {
		return err
	}
	defer w.Close()
	m := newMatcher(j.Filters)
	var rows int64
	var first, last time.Time
	err = e.deps.Source.Scan(ctx, j.Tenant, j.From, j.To, func(r audit.Row) error {
		rs.scannedNs.Store(r.Time.UnixNano())
		if !m.Match(&r) {
			return nil
		}
		if first.IsZero() || r.Time.Before(first) {
			first = r.Time
		}
		if r.Time.After(last) {
			last = r.Time
		}
		if rows >= int64(e.cfg.MaxRows) {
			return &TooLargeError{Rows: e.cfg.MaxRows, MaxRows: e.cfg.MaxRows}
		}
		if rows%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := w.WriteRow(r); err != nil {
			return err
		}
		rows++
		rs.rows.Store(rows)
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("finish export file: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("finish export file: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write export file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync export file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close export file: %w", err)
	}
	f = nil
	if err := os.Rename(part, e.filePath(j.ID)); err != nil {
		return fmt.Errorf("rename export file: %w", err)
	}
	sum := hex.EncodeToString(cw.h.Sum(nil))
	digest, keyID, err := e.writeManifest(j, manifest.File{Name: j.FileName, Size: cw.n, SHA256: sum}, rows, first, last)
	if err != nil {
		return fmt.Errorf("export manifest: %w", err)
	}
	rs.scannedNs.Store(j.To.UnixNano())
	e.mu.Lock()
	j.Rows, j.Size, j.SHA256 = rows, cw.n, sum
	j.ManifestDigest, j.ManifestKeyID = digest, keyID
	e.mu.Unlock()
	return nil
}

// writeManifest writes the signed manifest of a finished export file beside it. Exports
// are not chained: each answers its own request, so there is no period that could be
// missing between two of them; every export manifest is a chain start.
func (e *Engine) writeManifest(j *Job, file manifest.File, rows int64, first, last time.Time) (digest, keyID string, err error) {
	m := &manifest.Manifest{
		Version: manifest.Version, Kind: manifest.KindExport, Tenant: j.Tenant, Format: j.Format,
		Export: &manifest.Export{
			ID: j.ID, From: j.From, To: j.To, Scope: j.Scope, Filters: manifestFilters(j.Filters),
			Format: j.Format, Timezone: j.Timezone, Requester: j.Requester,
		},
		Rows: rows, File: file, GeneratedAt: e.now(),
	}
	if rows > 0 {
		m.FirstEvent, m.LastEvent = &first, &last
	}
	if manifest.IsCSV(j.FileName) {
		rh, err := manifest.HashCSVFileAs(e.filePath(j.ID), j.FileName, manifest.CheckpointInterval(rows))
		if err != nil {
			return "", "", err
		}
		rh.Fill(m)
	}
	m.Link("")
	if e.deps.ManifestSigner != nil {
		if err := e.deps.ManifestSigner.Sign(m); err != nil {
			return "", "", err
		}
	}
	digest, err = manifest.WriteFile(e.manifestPath(j.ID), m)
	return digest, m.Key(), err
}

// manifestFilters lists the view's filters by their request field name.
func manifestFilters(f Filters) map[string][]string {
	out := map[string][]string{}
	add := func(name string, v ...string) {
		if len(v) > 0 && (len(v) > 1 || v[0] != "") {
			out[name] = v
		}
	}
	add("authors", f.Authors...)
	add("categories", f.Categories...)
	add("summaries", f.Summaries...)
	add("outcomes", f.Outcomes...)
	add("services", f.Services...)
	add("contains", f.Contains)
	add("author_contains", f.AuthorContains)
	add("summary_contains", f.SummaryContains)
	add("source_ip_contains", f.SourceIPContains)
	if len(out) == 0 {
		return nil
	}
	return out
}

// fileName is what the downloader sees: tenant, period and format, never a path.
func fileName(tenant string, from, to time.Time, format string) string {
	const layout = "20060102T150405Z"
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, tenant)
	return fmt.Sprintf("audit-log-%s-%s-%s.%s", safe, from.UTC().Format(layout), to.UTC().Format(layout), format)
}

// DownloadPath is the path of an export's file; its link signs this path.
func DownloadPath(id string) string { return "/api/v1/exports/" + id + "/download" }

// ManifestPath is the path of an export's manifest; its link signs this path.
func ManifestPath(id string) string { return "/api/v1/exports/" + id + "/manifest" }

// StatusPath is the path of an export's status.
func StatusPath(id string) string { return "/api/v1/exports/" + id }

// downloadURL returns the signed link of a ready job; relative when no public_url is set.
func (e *Engine) downloadURL(j *Job) string {
	p := DownloadPath(j.ID)
	q := e.deps.Signer.Sign("GET", p, j.Tenant, j.ID, j.ExpiresAt)
	return e.baseURL + p + "?" + q.Encode()
}

// manifestURL returns the signed link of a ready job's manifest.
func (e *Engine) manifestURL(j *Job) string {
	p := ManifestPath(j.ID)
	q := e.deps.Signer.Sign("GET", p, j.Tenant, j.ID, j.ExpiresAt)
	return e.baseURL + p + "?" + q.Encode()
}

var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body style="font-family:sans-serif">
<p>The audit log export of tenant <b>{{.Tenant}}</b> from {{.From}} to {{.To}} is ready.</p>
<table>
<tr><td>Content</td><td><b>{{.ScopeTitle}}</b>: {{.ScopeDetail}}</td></tr>
<tr><td>Rows</td><td>{{.Rows}}</td></tr>
<tr><td>File</td><td>{{.File}} ({{.Size}} bytes)</td></tr>
<tr><td>SHA-256</td><td><code>{{.SHA256}}</code></td></tr>
{{if .ManifestDigest}}<tr><td>Manifest</td><td><a href="{{.ManifestURL}}">{{.File}}.manifest.json</a>, SHA-256 <code>{{.ManifestDigest}}</code>, {{if .KeyID}}signed with key <code>{{.KeyID}}</code>{{else}}unsigned{{end}}</td></tr>{{end}}
<tr><td>Link valid until</td><td>{{.Expires}}</td></tr>
</table>
<p><a href="{{.URL}}">Download the export</a></p>
<p style="color:#666">Requested by {{.Requester}}. Export id {{.ID}}.</p>
</body></html>
`))

func (e *Engine) message(j *Job) (reportmail.Message, error) {
	scopeTitle, scopeDetail := scopeText(j.Scope, j.Filters)
	v := struct {
		Tenant, From, To, ScopeTitle, ScopeDetail, File, SHA256, Expires, URL, Requester, ID string
		ManifestDigest, ManifestURL, KeyID                                                   string
		Rows, Size                                                                           int64
	}{
		Tenant: j.Tenant, ScopeTitle: scopeTitle, ScopeDetail: scopeDetail, From: j.From.Format(time.RFC3339), To: j.To.Format(time.RFC3339),
		File: j.FileName, SHA256: j.SHA256, Expires: j.ExpiresAt.UTC().Format(time.RFC3339),
		URL: e.downloadURL(j), Requester: j.Requester, ID: j.ID, Rows: j.Rows, Size: j.Size,
		ManifestDigest: j.ManifestDigest, KeyID: j.ManifestKeyID,
	}
	if j.ManifestDigest != "" {
		v.ManifestURL = e.manifestURL(j)
	}
	var html strings.Builder
	if err := mailHTML.Execute(&html, v); err != nil {
		return reportmail.Message{}, err
	}
	var manifestText string
	if v.ManifestDigest != "" {
		key := "unsigned"
		if v.KeyID != "" {
			key = "signed with key " + v.KeyID
		}
		manifestText = fmt.Sprintf("Manifest SHA-256: %s (%s)\nManifest: %s\n", v.ManifestDigest, key, v.ManifestURL)
	}
	text := fmt.Sprintf("The audit log export of tenant %s from %s to %s is ready.\n\nContent: %s: %s\nRows: %d\nFile: %s (%d bytes)\nSHA-256: %s\nLink valid until: %s\n\nDownload: %s\n%s\nRequested by %s. Export id %s.\n",
		v.Tenant, v.From, v.To, v.ScopeTitle, v.ScopeDetail, v.Rows, v.File, v.Size, v.SHA256, v.Expires, v.URL, manifestText, v.Requester, v.ID)
	return reportmail.Message{
		MessageID: "export." + j.ID + "@" + e.host,
		To:        j.Notify,
		Subject:   "Audit log export ready: " + j.Tenant,
		Text:      text,
		HTML:      html.String(),
	}, nil
}

var errNotReady = errors.New("export is not ready")
