package exportjobs

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
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

// render writes the export file and its manifest. The file appears under its final name
// only once complete and fsynced.
func (e *Engine) render(ctx context.Context, j *Job, rs *runState) error {
	loc, err := time.LoadLocation(j.Timezone)
	if err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	format, compression, err := reportrender.SplitFormat(j.Format)
	if err != nil {
		return err
	}
	var rows int64
	in := reportengine.Input{
		Source: e.deps.Source, Tenant: j.Tenant, From: j.From, To: j.To, Location: loc,
		Match: reportengine.NewMatcher(j.Filters), TempDir: e.files,
		Scanned: func(t time.Time) { rs.scannedNs.Store(t.UnixNano()) },
		Row: func(*audit.Row) error {
			if rows >= int64(e.cfg.MaxRows) {
				return &TooLargeError{Rows: e.cfg.MaxRows, MaxRows: e.cfg.MaxRows}
			}
			rows++
			rs.rows.Store(rows)
			return nil
		},
	}
	res, err := reportengine.Render(ctx, in, reportengine.Output{
		Path: e.filePath(j.ID), Name: j.FileName, Format: format, Compression: compression,
	})
	if err != nil {
		return err
	}
	f := &res.Files[0]
	digest, keyID, err := e.writeManifest(j, &res, f)
	if err != nil {
		return fmt.Errorf("export manifest: %w", err)
	}
	rs.scannedNs.Store(j.To.UnixNano())
	e.mu.Lock()
	j.Rows, j.Size, j.SHA256 = res.Rows, f.Size, f.SHA256
	j.ManifestDigest, j.ManifestKeyID = digest, keyID
	e.mu.Unlock()
	return nil
}

// writeManifest writes the signed manifest of a finished export file beside it. Exports
// are not chained: each answers its own request, so there is no period that could be
// missing between two of them; every export manifest is a chain start.
func (e *Engine) writeManifest(j *Job, res *reportengine.Result, f *reportengine.Rendered) (digest, keyID string, err error) {
	m := &manifest.Manifest{
		Kind: manifest.KindExport, Tenant: j.Tenant,
		Export: &manifest.Export{
			ID: j.ID, From: j.From, To: j.To, Scope: j.Scope, Filters: manifestFilters(j.Filters),
			Format: j.Format, Timezone: j.Timezone, Requester: j.Requester,
		},
	}
	if err := reportengine.Describe(m, res, f); err != nil {
		return "", "", err
	}
	digest, err = reportengine.Seal(e.manifestPath(j.ID), m, "", e.deps.ManifestSigner, e.now())
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
	return fmt.Sprintf("audit-log-%s-%s-%s.%s", reportengine.SafeName(tenant), from.UTC().Format(layout), to.UTC().Format(layout), format)
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
