package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
)

// startServer serves report files at GET /reports/{tenant}/{id}/{file} on the confighttp
// server (TLS, auth extensions, limits as configured). Every request needs a valid signed
// link; the auth extension, when configured, applies on top.
func (e *reporter) startServer(ctx context.Context, host component.Host) error {
	cfg := e.cfg.Links.Server.Get()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /reports/{tenant}/{id}/{file}", e.serveFile)
	mux.HandleFunc("GET "+manifest.WellKnownPath, e.serveKeys)
	if e.cfg.Exports.HasValue() {
		if err := e.startExports(mux, host); err != nil {
			return err
		}
	}
	ln, err := cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("links::server: %w", err)
	}
	srv, err := cfg.ToServer(ctx, host.GetExtensions(), e.settings, mux)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("links::server: %w", err)
	}
	e.server = srv
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	e.serverAddr = ln.Addr()
	return nil
}

// startExports opens the on-demand export engine on the same source, signer, mail sender
// and retry as the scheduled reports, and mounts its API.
func (e *reporter) startExports(mux *http.ServeMux, host component.Host) error {
	deps := exportjobs.Deps{
		Source: e.source,
		Signer: e.signer,
		Sender: e.sender,
		Retry:  &e.cfg.RetryOnFailure,
		Logger: e.logger,
		Now:    e.now,
		// Export manifests are signed with the report keys, published at the same path.
		ManifestSigner: e.manifestSigner,
	}
	if e.emitter != nil {
		deps.Emitter = e.emitter
	}
	eng, err := exportjobs.New(e.cfg.exportsConfig(e.source.Retention()), deps)
	if err != nil {
		return fmt.Errorf("exports: %w", err)
	}
	if err := eng.UseAuthenticator(host.GetExtensions()); err != nil {
		_ = eng.Close(context.Background())
		return fmt.Errorf("exports::%w", err)
	}
	eng.Start()
	e.exports = eng
	h := eng.Handler()
	mux.Handle("/api/v1/exports", h)
	mux.Handle("/api/v1/exports/", h)
	return nil
}

// serveFile answers 403 for any link problem (unsigned, tampered, expired, another
// tenant's), with the same body, so that a caller learns nothing from the answer.
func (e *reporter) serveFile(w http.ResponseWriter, r *http.Request) {
	tenant, id, err := e.signer.Verify(r.Method, r.URL.EscapedPath(), r.URL.Query())
	if err != nil || tenant != r.PathValue("tenant") || id != r.PathValue("id") || !reportengine.IsID(id) {
		e.deny(w, r)
		return
	}
	v, err := e.ledger.Get(nsFiles, id)
	var idx fileIndex
	if err != nil || v == nil || json.Unmarshal(v, &idx) != nil || !e.now().Before(idx.ExpiresAt) {
		e.gone(w, r)
		return
	}
	name := r.PathValue("file")
	if idx.Tenant != tenant || !slices.Contains(idx.Files, name) {
		e.deny(w, r)
		return
	}
	// name is one the reporter generated and recorded; id is 32 hex digits.
	err = reportengine.ServeFile(w, r, filepath.Join(e.runDir(id), name), name, func(http.Header) {
		e.countDownload(r.Context(), downloadServed)
	})
	if err != nil {
		e.gone(w, r)
	}
}

// serveKeys publishes the public halves of the manifest signing keys, old ones included, so
// that a verifier can check manifests signed before a rotation. Without signing keys the
// list is empty.
func (e *reporter) serveKeys(w http.ResponseWriter, _ *http.Request) {
	keys := manifest.PublicKeys{Keys: []manifest.PublicKey{}}
	if e.manifestSigner != nil {
		keys = e.manifestSigner.PublicKeys()
	}
	b, err := json.Marshal(keys)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

func (e *reporter) deny(w http.ResponseWriter, r *http.Request) {
	e.countDownload(r.Context(), downloadDenied)
	http.Error(w, "forbidden", http.StatusForbidden)
}

func (e *reporter) gone(w http.ResponseWriter, r *http.Request) {
	e.countDownload(r.Context(), downloadGone)
	http.Error(w, "this report file is no longer available", http.StatusGone)
}

func (e *reporter) countDownload(ctx context.Context, result string) {
	e.telemetry.AuditReportDownloads.Add(ctx, 1, metric.WithAttributes(attribute.String("result", result)))
}
