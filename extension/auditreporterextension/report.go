package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension/internal/schedule"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
)

const (
	formatCSV  = reportrender.FormatCSV
	formatXLSX = reportrender.FormatXLSX
)

// report is a validated ReportConfig with its defaults applied.
type report struct {
	name          string
	sched         *schedule.Schedule
	tenants       []string
	filter        *reportengine.Matcher
	formats       []string
	compression   string
	recipients    []string
	subject       *template.Template
	attachMaxSize int64
	linkExpiry    time.Duration
	fileRetention time.Duration
}

// compileReport validates rc and applies defaults. Errors start with the key inside the
// report ("schedule: ..."); confmap prefixes the report's path ("reports::0").
func compileReport(rc *ReportConfig) (*report, error) {
	if !reportNamePattern.MatchString(rc.Name) {
		return nil, fmt.Errorf("name: %q must be 1 to 64 letters, digits, '-' or '_'", rc.Name)
	}
	loc := time.UTC
	if rc.Timezone != "" {
		l, err := time.LoadLocation(rc.Timezone)
		if err != nil || rc.Timezone == "Local" {
			return nil, fmt.Errorf("timezone: unknown IANA time zone %q", rc.Timezone)
		}
		loc = l
	}
	sched, err := schedule.Parse(rc.Schedule, loc, rc.Window)
	if err != nil {
		return nil, err
	}
	if rc.Window < 0 {
		return nil, errors.New("window: must not be negative")
	}
	if len(rc.Tenants) == 0 {
		return nil, errors.New("tenants: at least one tenant is required")
	}
	for i, t := range rc.Tenants {
		if err := audit.ValidateTenant(t); err != nil {
			return nil, fmt.Errorf("tenants::%d: %w", i, err)
		}
		if slices.Index(rc.Tenants, t) != i {
			return nil, fmt.Errorf("tenants::%d: duplicate tenant %q", i, t)
		}
	}
	if err := validateFilters(&rc.Filters); err != nil {
		return nil, err
	}
	formats := rc.Formats
	if len(formats) == 0 {
		formats = []string{formatCSV}
	}
	if err := validateFormats(formats); err != nil {
		return nil, err
	}
	compression := rc.Compression
	switch compression {
	case "", "none":
		compression = reportrender.CompressionNone
	case reportrender.CompressionZip, reportrender.CompressionGzip:
	default:
		return nil, fmt.Errorf("compression: unknown compression %q: want none, zip or gzip", rc.Compression)
	}
	if len(rc.Recipients) == 0 {
		return nil, errors.New("recipients: at least one recipient is required")
	}
	for i, r := range rc.Recipients {
		if r == "" || strings.ContainsAny(r, "\r\n") || !strings.Contains(r, "@") {
			return nil, fmt.Errorf("recipients::%d: %q is not an email address", i, r)
		}
	}
	subjectText := rc.Subject
	if subjectText == "" {
		subjectText = DefaultSubject
	}
	subject, err := template.New("subject").Option("missingkey=error").Parse(subjectText)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	// Execute once on sample data, so that a template naming an unknown field fails now.
	if _, err := renderSubject(subject, subjectData{Report: rc.Name, Tenant: rc.Tenants[0], From: time.Unix(0, 0).In(loc), To: time.Unix(86400, 0).In(loc)}); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	r := &report{
		name: rc.Name, sched: sched, tenants: rc.Tenants, filter: reportengine.NewMatcher(rc.Filters.filters()), formats: formats,
		compression: compression, recipients: rc.Recipients, subject: subject,
		attachMaxSize: orDefault(rc.AttachMaxSize, DefaultAttachMaxSize),
		linkExpiry:    orDefault(rc.LinkExpiry, DefaultLinkExpiry),
		fileRetention: orDefault(rc.FileRetention, DefaultFileRetention),
	}
	switch {
	case r.attachMaxSize < 0:
		return nil, errors.New("attach_max_size: must not be negative")
	case r.linkExpiry < 0:
		return nil, errors.New("link_expiry: must not be negative")
	case r.fileRetention < r.linkExpiry:
		return nil, fmt.Errorf("file_retention: %s is shorter than link_expiry %s", r.fileRetention, r.linkExpiry)
	}
	return r, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

type subjectData struct {
	Report, Tenant string
	From, To       time.Time
}

func renderSubject(t *template.Template, d subjectData) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	s := b.String()
	if strings.ContainsAny(s, "\r\n") {
		return "", errors.New("rendered subject contains a line break")
	}
	return s, nil
}
