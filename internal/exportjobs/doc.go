// Package exportjobs is the on-demand export engine behind "Generate log file": an admin
// asks for the audit log of one tenant over a period, optionally filtered; the file is
// rendered in the background from the spool by a bounded worker pool; when it is ready the
// requester is emailed a signed, expiring download link.
//
// The engine is transport-agnostic except for Handler, which serves the HTTP API
// (docs/openapi/exports.yaml) and is meant to be mounted on the confighttp server that
// already serves report downloads. Jobs are persisted in a bbolt file, so a restart resumes
// every job that was queued or running (a running job restarts from the beginning of its
// period: the file is rendered again, never appended to), and loses none.
//
// Every export requested, completed, failed, cancelled and downloaded is emitted as an
// audit-of-audit event through an Emitter (the audit_events extension).
package exportjobs // import "github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
