// Package auditauthextension provides the audit_auth extension: one tenant-aware identity for
// every endpoint of the distribution (OTLP gRPC and HTTP, webhooks, the export API and
// download links), and an admission budget that bounds the request bytes in memory.
//
// As a server authenticator it maps a bearer token (or a verified claim of another
// authenticator) to an identity with its allowed tenants, subject and email, and puts it into
// the request context (package internal/identity). As an HTTP server middleware it reserves
// each request's size in a process-wide byte budget before the body is read, and answers 503
// with Retry-After when the budget is spent.
package auditauthextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditauthextension"
