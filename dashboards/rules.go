package dashboards

import (
	"fmt"
	"strings"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// RuleFile is a Prometheus-compatible rule file; the Loki ruler reads the same shape with
// LogQL expressions.
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is one group of rules evaluated together.
type RuleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is one alerting rule.
type Rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

const (
	severityCritical = "critical"
	severityWarning  = "warning"
)

// labelTenant is the static label every Loki alert carries: Loki tenants are not stream
// labels, so the generator writes one rule file per tenant.
const labelTenant = "tenant"

// withAuthorAndIP attaches author and source_ip to every alert of a condition grouped by
// `on`: it keeps the per-(author, source_ip) failure counts whose `on` value meets the
// condition, so that each alert names an author and an IP, and Alertmanager grouping by
// alertname and `on` turns them into one notification.
func withAuthorAndIP(window, on, condition string) string {
	return fmt.Sprintf("%s\n  and on (%s)\n(%s)",
		countBy(failedLogins, window, audit.LokiMetaAuthor, audit.LokiMetaSourceIP), on, condition)
}

// LokiRules returns the failed-login alert rules for one Loki tenant.
func LokiRules(tenant string) RuleFile {
	author := "{{ $labels." + audit.LokiMetaAuthor + " }}"
	ip := "{{ $labels." + audit.LokiMetaSourceIP + " }}"
	labels := func(severity string) map[string]string {
		return map[string]string{"severity": severity, labelTenant: tenant}
	}
	return RuleFile{Groups: []RuleGroup{{
		Name: "otelcol-audit-failed-logins",
		Rules: []Rule{
			{
				Alert: "AuditRepeatedFailedLoginsByAuthor",
				Expr: withAuthorAndIP(FailedLoginsWindow, audit.LokiMetaAuthor,
					fmt.Sprintf("%s >= %d", countBy(failedLogins, FailedLoginsWindow, audit.LokiMetaAuthor), FailedLoginsPerAuthorThreshold)),
				For:    "1m",
				Labels: labels(severityWarning),
				Annotations: map[string]string{
					"summary": fmt.Sprintf("Repeated failed logins for %s (tenant %s)", author, tenant),
					"description": fmt.Sprintf("%s failed to log in at least %d times within %s in tenant %s; {{ $value }} of those failures came from %s.",
						author, FailedLoginsPerAuthorThreshold, FailedLoginsWindow, tenant, ip),
				},
			},
			{
				Alert: "AuditRepeatedFailedLoginsFromIP",
				Expr: withAuthorAndIP(FailedLoginsWindow, audit.LokiMetaSourceIP,
					fmt.Sprintf("%s >= %d", countBy(failedLogins, FailedLoginsWindow, audit.LokiMetaSourceIP), FailedLoginsPerSourceIPThreshold)),
				For:    "1m",
				Labels: labels(severityWarning),
				Annotations: map[string]string{
					"summary": fmt.Sprintf("Repeated failed logins from %s (tenant %s)", ip, tenant),
					"description": fmt.Sprintf("At least %d logins failed from %s within %s in tenant %s; %s failed {{ $value }} times from there.",
						FailedLoginsPerSourceIPThreshold, ip, FailedLoginsWindow, tenant, author),
				},
			},
			{
				Alert: "AuditPasswordSprayFromIP",
				Expr: withAuthorAndIP(SprayWindow, audit.LokiMetaSourceIP,
					fmt.Sprintf("%s >= %d", distinctAuthorsPerIP(SprayWindow), SprayDistinctAuthorsThreshold)),
				For:    "1m",
				Labels: labels(severityCritical),
				Annotations: map[string]string{
					"summary": fmt.Sprintf("Password spraying suspected from %s (tenant %s)", ip, tenant),
					"description": fmt.Sprintf("Logins of at least %d distinct authors failed from %s within %s in tenant %s; %s is one of them, with {{ $value }} failures.",
						SprayDistinctAuthorsThreshold, ip, SprayWindow, tenant, author),
				},
			},
		},
	}}}
}

// Prometheus alert thresholds. Change them here and regenerate; docs/dashboards.md lists them.
const (
	// FailedLoginRatePerMinute failed logins per minute in one tenant, sustained for 10m,
	// fire AuditFailedLoginRateHigh.
	FailedLoginRatePerMinute = 20
	// SilentTenantWindow without any audit event of a tenant that sent events before fires
	// AuditTenantSilent.
	SilentTenantWindow = "30m"
	// QueueFullRatio of the sending queue's capacity fires AuditExporterQueueAlmostFull.
	QueueFullRatio = 0.8
	// ReportOverdueSeconds since a report's last success fire AuditReportOverdue: a daily
	// report plus two hours of slack.
	ReportOverdueSeconds = 26 * 3600
)

// PrometheusRules returns the collector alert rules, evaluated on the collector's own metrics.
func PrometheusRules() RuleFile {
	tenant := "{{ $labels." + LabelTenant + " }}"
	exporter := "{{ $labels." + LabelExporter + " }}"
	report := "{{ $labels." + LabelReport + " }}"
	sev := func(s string) map[string]string { return map[string]string{"severity": s} }
	instanceBy := strings.Join([]string{"job", "instance", LabelExporter}, ", ")
	return RuleFile{Groups: []RuleGroup{
		{
			Name: "otelcol-audit-events",
			Rules: []Rule{
				{
					Alert:  "AuditFailedLoginRateHigh",
					Expr:   fmt.Sprintf("sum by (%s) (rate(%s[5m])) * 60 > %d", LabelTenant, MetricFailedLogins, FailedLoginRatePerMinute),
					For:    "10m",
					Labels: sev(severityWarning),
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("Many failed logins in tenant %s", tenant),
						"description": fmt.Sprintf("Tenant %s has had {{ $value | humanize }} failed logins per minute for 10 minutes (threshold %d). The Authentication security dashboard names the authors and source IPs.", tenant, FailedLoginRatePerMinute),
					},
				},
				{
					// Series of a tenant exist from its first event until the collector restarts,
					// so a flat counter means the tenant went quiet.
					Alert:  "AuditTenantSilent",
					Expr:   fmt.Sprintf("sum by (%s) (increase(%s[%s])) == 0", LabelTenant, MetricAuditEvents, SilentTenantWindow),
					For:    "5m",
					Labels: sev(severityWarning),
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("No audit events from tenant %s", tenant),
						"description": fmt.Sprintf("The collector has received no audit event for tenant %s in the last %s.", tenant, SilentTenantWindow),
					},
				},
				{
					// After a collector restart, or when the collector is down, a tenant has no
					// series at all; it is still known from the last day's samples.
					Alert: "AuditTenantEventsGone",
					Expr: fmt.Sprintf("max by (%s) (max_over_time(%s[1d]))\n  unless on (%s)\nmax by (%s) (%s)",
						LabelTenant, MetricAuditEvents, LabelTenant, LabelTenant, MetricAuditEvents),
					For:    SilentTenantWindow,
					Labels: sev(severityWarning),
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("Audit event series of tenant %s are gone", tenant),
						"description": fmt.Sprintf("Tenant %s sent audit events within the last day, but for %s the collector has exposed no audit event counter for it: the collector is down or restarted and received nothing since.", tenant, SilentTenantWindow),
					},
				},
			},
		},
		{
			Name: "otelcol-audit-pipeline",
			Rules: []Rule{
				{
					Alert:  "AuditExporterSendFailures",
					Expr:   fmt.Sprintf("sum by (%s) (increase(%s[10m])) > 0", LabelExporter, MetricExporterSendFailed),
					For:    "5m",
					Labels: sev(severityCritical),
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("Exporter %s fails to send audit records", exporter),
						"description": fmt.Sprintf("Exporter %s failed to send {{ $value | humanize }} log records in the last 10 minutes after retries.", exporter),
					},
				},
				{
					Alert:  "AuditDeadLetterGrowing",
					Expr:   fmt.Sprintf("sum by (%s) (increase(%s[15m])) > 0", LabelReason, MetricLokiDeadLetter),
					For:    "5m",
					Labels: sev(severityWarning),
					Annotations: map[string]string{
						"summary":     "Audit entries are being dead-lettered ({{ $labels.reason }})",
						"description": "Loki refused {{ $value | humanize }} audit entries for good in the last 15 minutes with reason {{ $labels.reason }}; they are in the dead-letter file and not in Loki.",
					},
				},
				{
					Alert: "AuditExporterQueueAlmostFull",
					Expr: fmt.Sprintf("max by (%s) (%s)\n  /\nmax by (%s) (%s)\n  > %g",
						instanceBy, MetricExporterQueueSize, instanceBy, MetricExporterQueueCapacity, QueueFullRatio),
					For:    "5m",
					Labels: sev(severityWarning),
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("Sending queue of exporter %s is almost full", exporter),
						"description": fmt.Sprintf("The sending queue of exporter %s on {{ $labels.instance }} is {{ $value | humanizePercentage }} full (threshold %g%%); new records are refused when it is full.", exporter, QueueFullRatio*100),
					},
				},
			},
		},
		{
			Name: "otelcol-audit-reports",
			Rules: []Rule{
				{
					Alert:  "AuditReportFailed",
					Expr:   fmt.Sprintf("sum by (%s) (increase(%s{%s=%q}[1h])) > 0", LabelReport, MetricReportRuns, LabelResult, ResultFailure),
					For:    "0m",
					Labels: sev(severityWarning),
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("Report %s failed", report),
						"description": fmt.Sprintf("Report %s failed {{ $value | humanize }} times in the last hour; it was not delivered.", report),
					},
				},
				{
					// A report that never succeeded has no timestamp yet; AuditReportFailed covers it.
					Alert: "AuditReportOverdue",
					Expr: fmt.Sprintf("time() - max by (%s) (%s) > %d\n  and\nmax by (%s) (%s) > 0",
						LabelReport, MetricReportLastSuccess, ReportOverdueSeconds, LabelReport, MetricReportLastSuccess),
					For:    "10m",
					Labels: sev(severityWarning),
					Annotations: map[string]string{
						"summary":     fmt.Sprintf("Report %s is overdue", report),
						"description": fmt.Sprintf("Report %s last succeeded {{ $value | humanizeDuration }} ago (threshold %dh).", report, ReportOverdueSeconds/3600),
					},
				},
			},
		},
	}}
}
