// Package exportjobs is the on-demand export engine behind "Generate log file": an admin
// asks for the audit log of one tenant over a period, either the complete log file or a
// filtered view (scope.go); the file is rendered in the background from the report source by a
// bounded worker pool; when it is ready the requester is emailed a signed, expiring
// download link.
//
// The engine is transport-agnostic except for Handler, which serves the HTTP API
// (docs/openapi/exports.yaml) and is meant to be mounted on the confighttp server that
// already serves report downloads. Jobs are persisted in a bbolt file, so a restart resumes
// every job that was queued or running (a running job restarts from the beginning of its
// period: the file is rendered again, never appended to), and loses none.
//
// A dashboard link (GET LinkPath) only shows a confirmation page; its form starts the
// export with a POST that carries an anti-forgery token bound to the caller and the request
// (linkform.go), because a browser sends cached Basic credentials from any site. Each
// identity has its own limits (limits.go): a request rate that refused requests count
// towards, a bound on concurrent size checks, and a notification rate. Notifications go to
// the requester's own address or to Config.NotifyDomains. A 5xx, a failed job and a failed
// notification show an error id; the detail is logged under it, with URL credentials
// redacted.
//
// Every export requested, completed, failed, cancelled and downloaded is emitted as an
// audit-of-audit event through an Emitter (the audit_events extension).
package exportjobs // import "github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
