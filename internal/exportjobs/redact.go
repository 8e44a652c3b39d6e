package exportjobs

import (
	"regexp"
	"strings"

	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
)

// urlUserinfo matches the user information of a URL ("scheme://user:pass@"). The authority
// ends at "/", "?" or "#", so an "@" in a path or query is left alone.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]*@`)

// redactCredentials replaces the user information of every URL in s with "REDACTED", so
// that a URL, an endpoint or an error quoting one can be logged or shown: an SMTP or proxy
// endpoint written as smtp://user:password@host must never reach a log line.
func redactCredentials(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return urlUserinfo.ReplaceAllString(s, "${1}REDACTED@")
}

// errField is zap.Error with URL credentials redacted.
func errField(err error) zap.Field {
	if err == nil {
		return zap.Skip()
	}
	return zap.String("error", redactCredentials(err.Error()))
}

// newErrorID returns a random id that ties a generic answer (API error, job error) to the
// log line holding the detail.
func newErrorID() string { return reportengine.NewID()[:16] }
