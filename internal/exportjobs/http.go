package exportjobs

import (
	"encoding/json"
	"errors"
	"html/template"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

const listLimit = 100

// Handler serves the export API under /api/v1/exports. Mount it on the server with
// mux.Handle("/api/v1/exports", h) and mux.Handle("/api/v1/exports/", h).
//
// A request that changes state (POST, DELETE) from a browser must come from this server's
// own pages: http.CrossOriginProtection refuses it (403) when Sec-Fetch-Site says it is
// cross-origin, or, without that header, when Origin is neither the request's host nor
// public_url. Clients without a browser send neither header and are not affected.
func (e *Engine) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/exports", e.handleCreate)
	mux.HandleFunc("GET /api/v1/exports", e.handleList)
	mux.HandleFunc("GET "+LinkPath, e.handleLinkPage)
	mux.HandleFunc("POST "+LinkPath, e.handleLinkSubmit)
	mux.HandleFunc("GET /api/v1/exports/{id}", e.handleGet)
	mux.HandleFunc("DELETE /api/v1/exports/{id}", e.handleDelete)
	mux.HandleFunc("GET /api/v1/exports/{id}/download", e.handleDownload)
	mux.HandleFunc("GET /api/v1/exports/{id}/manifest", e.handleManifest)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := e.origins.Check(r); err != nil {
			writeJSON(w, http.StatusForbidden, errorBody{Error: "cross-origin request refused"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
	// ErrorID ties a generic 5xx answer to the log line that holds the detail.
	ErrorID string `json:"error_id,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError maps engine errors to statuses. Only validation, size and limit errors carry
// detail; a 5xx answers a generic message and an error id, and the detail (which may name
// files or servers) goes to the log under that id.
func (e *Engine) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FieldError
	var tl *TooLargeError
	var qf *QueueFullError
	var tm *TooManyRequestsError
	switch {
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: fe.Message, Field: fe.Field})
	case errors.As(err, &tl):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: tl.Error(), Field: "to"})
	case errors.As(err, &qf):
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(qf.RetryAfter)))
		writeJSON(w, http.StatusTooManyRequests, errorBody{Error: qf.Error()})
	case errors.As(err, &tm):
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(tm.RetryAfter)))
		writeJSON(w, http.StatusTooManyRequests, errorBody{Error: tm.Error()})
	case errors.Is(err, errUnauthenticated):
		if r.Method == http.MethodGet {
			// Lets a browser following a dashboard link ask for the token (as a password).
			// The browser then sends it from any page, which is why no GET starts anything:
			// the link's page needs a POST with its form token.
			w.Header().Set("WWW-Authenticate", `Basic realm="otelcol-audit exports", charset="UTF-8"`)
		}
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "unauthorized"})
	case errors.Is(err, errBadClaims):
		// Per request, so not above debug: the operator finds it when looking for it.
		e.logger.Debug("export API identity refused", zap.String("path", r.URL.Path), errField(err))
		writeJSON(w, http.StatusForbidden, errorBody{Error: "forbidden"})
	case errors.Is(err, errForbidden):
		writeJSON(w, http.StatusForbidden, errorBody{Error: "forbidden"})
	case errors.Is(err, ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{Error: "not found"})
	case errors.Is(err, ErrClosed):
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(e.cfg.RetryAfter)))
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "shutting down", ErrorID: e.logServerError(r, err)})
	default:
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "internal error", ErrorID: e.logServerError(r, err)})
	}
}

// logServerError logs the detail of a 5xx under a new error id and returns the id.
func (e *Engine) logServerError(r *http.Request, err error) string {
	id := newErrorID()
	e.logger.Warn("export API request failed", zap.String("error_id", id), zap.String("method", r.Method),
		zap.String("path", r.URL.Path), errField(err))
	return id
}

func (e *Engine) handleCreate(w http.ResponseWriter, r *http.Request) {
	who, err := e.auth.identify(r)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, errorBody{Error: "content type must be application/json", Field: "Content-Type"})
		return
	}
	req, err := ParseJSON(r.Body, e.now())
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	j, err := e.Submit(r.Context(), who, req, clientIP(r))
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	statusURL := e.baseURL + StatusPath(j.ID)
	w.Header().Set("Location", statusURL)
	writeJSON(w, http.StatusAccepted, createdBody{ID: j.ID, Status: j.Status, StatusURL: statusURL})
}

type createdBody struct {
	ID        string `json:"id"`
	Status    Status `json:"status"`
	StatusURL string `json:"status_url"`
}

func (e *Engine) handleGet(w http.ResponseWriter, r *http.Request) {
	who, err := e.auth.identify(r)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if !reportengine.IsID(id) {
		e.writeError(w, r, ErrNotFound)
		return
	}
	v, err := e.Get(who, id)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	if wantsHTML(r) {
		e.writeStatusPage(w, v)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (e *Engine) handleList(w http.ResponseWriter, r *http.Request) {
	who, err := e.auth.identify(r)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	tenant := r.URL.Query().Get("tenant")
	if err := audit.ValidateTenant(tenant); err != nil {
		e.writeError(w, r, fieldErr("tenant", "%v", err))
		return
	}
	views, err := e.List(who, tenant, listLimit)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Exports []View `json:"exports"`
	}{views})
}

func (e *Engine) handleDelete(w http.ResponseWriter, r *http.Request) {
	who, err := e.auth.identify(r)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if !reportengine.IsID(id) {
		e.writeError(w, r, ErrNotFound)
		return
	}
	removed, err := e.Cancel(r.Context(), who, id)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	if removed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	v, err := e.Get(who, id)
	if err != nil {
		e.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

// handleDownload needs only a valid signed link: the link is what the email carries. Any
// problem (unsigned, tampered, expired, another tenant's, unknown or expired file) is the
// same 403.
func (e *Engine) handleDownload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	snapshot, ok := e.linkedJob(r, id)
	if !ok {
		forbid(w)
		return
	}
	err := reportengine.ServeFile(w, r, e.filePath(id), snapshot.FileName, func(h http.Header) {
		h.Set("Digest", "sha-256="+snapshot.SHA256)
		if r.Method == http.MethodGet && r.Header.Get("Range") == "" {
			e.emit(r.Context(), selfaudit.Event{
				Time: e.now(), Tenant: snapshot.Tenant, Author: "link:" + snapshot.Requester,
				Action: selfaudit.ActionExportDownloaded, Target: id, Outcome: audit.OutcomeSuccess,
				SourceIP: clientIP(r),
			})
		}
	})
	if err != nil {
		forbid(w)
	}
}

// linkedJob returns the ready job a signed link to one of its files names; false for any
// problem with the link or the job.
func (e *Engine) linkedJob(r *http.Request, id string) (Job, bool) {
	tenant, signedID, err := e.deps.Signer.Verify(r.Method, r.URL.EscapedPath(), r.URL.Query())
	if err != nil || signedID != id || !reportengine.IsID(id) {
		return Job{}, false
	}
	e.mu.Lock()
	j, ok := e.jobs[id]
	var snapshot Job
	if ok {
		snapshot = *j
	}
	e.mu.Unlock()
	if !ok || snapshot.Tenant != tenant || snapshot.Status != StatusReady || !e.now().Before(snapshot.ExpiresAt) {
		return Job{}, false
	}
	return snapshot, true
}

// handleManifest serves an export's manifest under the same rules as its file.
func (e *Engine) handleManifest(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	snapshot, ok := e.linkedJob(r, id)
	if !ok || snapshot.ManifestDigest == "" {
		forbid(w)
		return
	}
	if err := reportengine.ServeFile(w, r, e.manifestPath(id), snapshot.FileName+manifest.Suffix, nil); err != nil {
		forbid(w)
	}
}

func forbid(w http.ResponseWriter) {
	http.Error(w, "forbidden", http.StatusForbidden)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

// wantsHTML is true for browsers (Accept lists text/html before any JSON).
func wantsHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	h := strings.Index(accept, "text/html")
	j := strings.Index(accept, "application/json")
	return h >= 0 && (j < 0 || h < j)
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Audit log export {{.ID}}</title>
{{if .Refresh}}<meta http-equiv="refresh" content="3">{{end}}
<style>body{font-family:sans-serif;margin:2em}td{padding:2px 1em 2px 0}</style></head>
<body><h1>Audit log export</h1>
<table>
<tr><td>Tenant</td><td>{{.Tenant}}</td></tr>
<tr><td>Period</td><td>{{.From}} – {{.To}}</td></tr>
<tr><td>Content</td><td><b>{{.ScopeTitle}}</b>: {{.ScopeDetail}}</td></tr>
<tr><td>Status</td><td><b>{{.Status}}</b>{{if .Error}}: {{.Error}}{{end}}</td></tr>
<tr><td>Progress</td><td>{{.Rows}} rows written, {{printf "%.0f" .Percent}}% of the period scanned</td></tr>
{{if .SHA256}}<tr><td>SHA-256</td><td><code>{{.SHA256}}</code> ({{.Size}} bytes)</td></tr>{{end}}
{{if .ManifestDigest}}<tr><td>Manifest</td><td>{{if .ManifestURL}}<a href="{{.ManifestURL}}">{{.FileName}}.manifest.json</a>, {{end}}SHA-256 <code>{{.ManifestDigest}}</code>, {{if .ManifestKeyID}}signed with key <code>{{.ManifestKeyID}}</code>{{else}}unsigned{{end}}</td></tr>{{end}}
{{range .Notes}}<tr><td>Note</td><td>{{.}}</td></tr>{{end}}
</table>
{{if .DownloadURL}}<p><a href="{{.DownloadURL}}">Download {{.FileName}}</a> (link valid until {{.Expires}})</p>{{end}}
{{if .NotifyError}}<p>The email to {{.Notify}} was not sent: {{.NotifyError}}.</p>
{{else if and .Notify .Refresh}}<p>An email with the link goes to {{.Notify}} when the file is ready.</p>
{{else if and .Notify .DownloadURL}}<p>The link is also emailed to {{.Notify}}.</p>{{end}}
</body></html>
`))

func (e *Engine) writeStatusPage(w http.ResponseWriter, v View) {
	scopeTitle, scopeDetail := scopeText(v.Scope, v.Filters)
	pageSecurityHeaders(w)
	_ = statusPage.Execute(w, map[string]any{
		"ID": v.ID, "Tenant": v.Tenant, "ScopeTitle": scopeTitle, "ScopeDetail": scopeDetail, "From": v.From.Format("2006-01-02T15:04:05Z07:00"), "To": v.To.Format("2006-01-02T15:04:05Z07:00"),
		"Status": v.Status, "Error": v.Error, "Rows": v.Progress.RowsWritten, "Percent": v.Progress.PercentScanned,
		"SHA256": v.SHA256, "Size": v.Size, "ManifestDigest": v.ManifestDigest, "ManifestKeyID": v.ManifestKeyID, "ManifestURL": v.ManifestURL, "Notes": v.Notes, "DownloadURL": v.DownloadURL, "FileName": v.FileName,
		"Expires": v.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), "Notify": strings.Join(v.Notify, ", "), "NotifyError": v.NotifyError,
		"Refresh": v.Status == StatusPending || v.Status == StatusRunning,
	})
}
