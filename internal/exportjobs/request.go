package exportjobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
)

// Formats of an export file.
const (
	FormatCSV     = "csv"
	FormatXLSX    = "xlsx"
	FormatCSVGzip = "csv.gz"
)

// Limits on request values: they bound memory per job and per filter evaluation.
const (
	maxRequestBody   = 64 << 10
	maxFilterValues  = 200
	maxFilterValue   = 256
	maxNotify        = 20
	maxTimezoneBytes = 64
)

// Filters select the events of a filtered view (reportengine.Filters).
type Filters = reportengine.Filters

// Request is a validated export request.
type Request struct {
	Tenant   string
	From, To time.Time
	// Scope is ScopeAll (Filters is empty) or ScopeView.
	Scope   string
	Filters Filters
	Format  string
	// Timezone is the IANA zone of the Date column; default UTC.
	Timezone string
	Notify   []string
}

// FieldError is a request validation error naming the field at fault.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// requestJSON is the body of POST /api/v1/exports.
type requestJSON struct {
	Tenant   string      `json:"tenant"`
	From     string      `json:"from"`
	To       string      `json:"to"`
	Scope    string      `json:"scope"`
	Filters  filtersJSON `json:"filters"`
	Format   string      `json:"format"`
	Timezone string      `json:"timezone"`
	Notify   []string    `json:"notify"`
}

// filtersJSON accepts "outcome" (one value, as in a scheduled report's filters) and
// "outcomes" (a list).
type filtersJSON struct {
	Filters
	Outcome string `json:"outcome"`
}

// ParseJSON reads and validates a JSON export request. Unknown fields are refused, so that a
// misspelt filter cannot silently widen an export.
func ParseJSON(r io.Reader, now time.Time) (Request, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxRequestBody+1))
	if err != nil {
		return Request{}, fieldErr("body", "cannot be read")
	}
	if len(body) > maxRequestBody {
		return Request{}, fieldErr("body", "is larger than %d bytes", maxRequestBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in requestJSON
	if err := dec.Decode(&in); err != nil {
		return Request{}, jsonFieldError(err)
	}
	if dec.More() {
		return Request{}, fieldErr("body", "must hold one JSON object")
	}
	f := in.Filters.Filters
	if in.Filters.Outcome != "" {
		f.Outcomes = append(f.Outcomes, in.Filters.Outcome)
	}
	return build(in.Tenant, in.From, in.To, in.Scope, f, in.Format, in.Timezone, in.Notify, now)
}

func jsonFieldError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fieldErr(typeErr.Field, "must be a %s", typeErr.Type.String())
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return fieldErr(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "is not a known field")
	}
	return fieldErr("body", "is not valid JSON")
}

// ParseQuery reads and validates the GET form (the dashboards' "Generate log file" link):
//
//	tenant, from, to, scope, format, timezone, services, categories, outcomes, authors,
//	summaries (comma-separated lists), author, summary, source_ip, contains (substrings).
//
// from and to are RFC 3339 or Unix milliseconds (Grafana's ${__from}). The form takes no
// notify parameter: a link must not be able to send data to an address chosen by whoever
// wrote it; the requester's own address (from its credential) is notified instead.
func ParseQuery(q url.Values, now time.Time) (Request, error) {
	for k, v := range q {
		if k == "" {
			return Request{}, fieldErr("query", "has a parameter without a name")
		}
		if !queryParams[k] {
			return Request{}, fieldErr(k, "is not a known parameter")
		}
		if len(v) > 1 {
			return Request{}, fieldErr(k, "is given more than once")
		}
	}
	f := Filters{
		Authors:          splitList(q.Get("authors")),
		Categories:       splitList(q.Get("categories")),
		Summaries:        splitList(q.Get("summaries")),
		Outcomes:         splitList(q.Get("outcomes")),
		Services:         splitList(q.Get("services")),
		Contains:         q.Get("contains"),
		AuthorContains:   q.Get("author"),
		SummaryContains:  q.Get("summary"),
		SourceIPContains: q.Get("source_ip"),
	}
	return build(q.Get("tenant"), q.Get("from"), q.Get("to"), q.Get("scope"), f, q.Get("format"), q.Get("timezone"), nil, now)
}

var queryParams = map[string]bool{
	"tenant": true, "from": true, "to": true, "scope": true, "format": true, "timezone": true,
	"services": true, "categories": true, "outcomes": true, "authors": true, "summaries": true,
	"author": true, "summary": true, "source_ip": true, "contains": true,
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func build(tenant, from, to, scope string, f Filters, format, tz string, notify []string, now time.Time) (Request, error) {
	req := Request{Tenant: tenant, Format: format, Timezone: tz, Notify: notify}
	if err := audit.ValidateTenant(tenant); err != nil {
		return Request{}, fieldErr("tenant", "%v", err)
	}
	var err error
	if req.From, err = parseTime(from); err != nil {
		return Request{}, fieldErr("from", "%v", err)
	}
	if req.To, err = parseTime(to); err != nil {
		return Request{}, fieldErr("to", "%v", err)
	}
	if !req.From.Before(req.To) {
		return Request{}, fieldErr("to", "must be after from")
	}
	if req.From.After(now) {
		return Request{}, fieldErr("from", "is in the future")
	}
	switch req.Format {
	case "":
		req.Format = FormatCSV
	case FormatCSV, FormatXLSX, FormatCSVGzip:
	default:
		return Request{}, fieldErr("format", "must be csv, xlsx or csv.gz")
	}
	if req.Timezone == "" {
		req.Timezone = "UTC"
	}
	if len(req.Timezone) > maxTimezoneBytes {
		return Request{}, fieldErr("timezone", "is too long")
	}
	if _, err := time.LoadLocation(req.Timezone); err != nil || strings.EqualFold(req.Timezone, "Local") {
		return Request{}, fieldErr("timezone", "must be an IANA time zone such as Europe/Dublin")
	}
	if err := checkFilters(&f); err != nil {
		return Request{}, err
	}
	req.Filters = f
	if req.Scope, err = resolveScope(scope, f); err != nil {
		return Request{}, err
	}
	if len(req.Notify) > maxNotify {
		return Request{}, fieldErr("notify", "has more than %d addresses", maxNotify)
	}
	for i, a := range req.Notify {
		if strings.ContainsAny(a, "\r\n") {
			return Request{}, fieldErr(fmt.Sprintf("notify[%d]", i), "must not contain CR or LF")
		}
		addr, err := mail.ParseAddress(a)
		if err != nil || addr.Name != "" {
			return Request{}, fieldErr(fmt.Sprintf("notify[%d]", i), "must be a plain email address")
		}
		req.Notify[i] = addr.Address
	}
	return req, nil
}

// parseTime takes RFC 3339 (with or without fractional seconds) or Unix milliseconds.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("is required (RFC 3339, e.g. 2026-11-01T00:00:00Z)")
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 0 || ms > 1<<50 {
			return time.Time{}, errors.New("is out of range")
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", truncate(s, 40))
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, errors.New("is out of range")
	}
	return t, nil
}

func checkFilters(f *Filters) error {
	lists := []struct {
		name string
		v    []string
	}{
		{"filters.authors", f.Authors}, {"filters.categories", f.Categories},
		{"filters.summaries", f.Summaries}, {"filters.outcomes", f.Outcomes},
		{"filters.services", f.Services},
	}
	for _, l := range lists {
		if len(l.v) > maxFilterValues {
			return fieldErr(l.name, "has more than %d values", maxFilterValues)
		}
		for _, v := range l.v {
			if err := checkValue(v); err != nil {
				return fieldErr(l.name, "%v", err)
			}
		}
	}
	for i, o := range f.Outcomes {
		switch strings.ToLower(o) {
		case audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeUnknown:
			f.Outcomes[i] = strings.ToLower(o)
		default:
			return fieldErr("filters.outcome", "must be success, failure or unknown")
		}
	}
	subs := []struct {
		name string
		v    string
	}{
		{"filters.contains", f.Contains}, {"filters.author_contains", f.AuthorContains},
		{"filters.summary_contains", f.SummaryContains}, {"filters.source_ip_contains", f.SourceIPContains},
	}
	for _, s := range subs {
		if err := checkValue(s.v); err != nil {
			return fieldErr(s.name, "%v", err)
		}
	}
	return nil
}

func checkValue(v string) error {
	if len(v) > maxFilterValue {
		return fmt.Errorf("a value is longer than %d bytes", maxFilterValue)
	}
	if !utf8.ValidString(v) {
		return errors.New("a value is not valid UTF-8")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
