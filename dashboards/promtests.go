package dashboards

import (
	"fmt"
	"sort"
	"strings"
)

// promtool rule test file (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/),
// generated next to the rules so that the metric names come from metrics.go.
type promTestFile struct {
	RuleFiles          []string   `yaml:"rule_files"`
	EvaluationInterval string     `yaml:"evaluation_interval"`
	Tests              []promTest `yaml:"tests"`
}

type promTest struct {
	Interval      string          `yaml:"interval"`
	InputSeries   []promSeries    `yaml:"input_series"`
	AlertRuleTest []promAlertTest `yaml:"alert_rule_test"`
}

type promSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type promAlertTest struct {
	EvalTime  string         `yaml:"eval_time"`
	Alertname string         `yaml:"alertname"`
	ExpAlerts []promExpAlert `yaml:"exp_alerts"`
}

type promExpAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

// series renders metric{k="v",...} with sorted labels; kv alternates names and values.
func series(metric string, kv ...string) string {
	pairs := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, fmt.Sprintf("%s=%q", kv[i], kv[i+1]))
	}
	sort.Strings(pairs)
	return metric + "{" + strings.Join(pairs, ",") + "}"
}

// expect is a firing alert with the rule's severity, the given labels and annotations.
func expect(rule Rule, labels map[string]string, summary, description string) promExpAlert {
	l := map[string]string{"severity": rule.Labels["severity"]}
	for k, v := range labels {
		l[k] = v
	}
	return promExpAlert{ExpLabels: l, ExpAnnotations: map[string]string{"summary": summary, "description": description}}
}

func ruleByName(name string) Rule {
	for _, g := range PrometheusRules().Groups {
		for _, r := range g.Rules {
			if r.Alert == name {
				return r
			}
		}
	}
	return Rule{Alert: name}
}

// alertTest checks that alertname fires nothing at quietAt and exactly want at firingAt.
func alertTest(alertname, quietAt, firingAt string, want ...promExpAlert) []promAlertTest {
	return []promAlertTest{
		{EvalTime: quietAt, Alertname: alertname, ExpAlerts: []promExpAlert{}},
		{EvalTime: firingAt, Alertname: alertname, ExpAlerts: want},
	}
}

func prometheusRuleTests() promTestFile {
	const job, instance = "otelcol-audit", "collector-0:8888"
	auth, success := "Authentication", "success"

	failedRate := ruleByName("AuditFailedLoginRateHigh")
	silent := ruleByName("AuditTenantSilent")
	gone := ruleByName("AuditTenantEventsGone")
	sendFailures := ruleByName("AuditExporterSendFailures")
	deadLetter := ruleByName("AuditDeadLetterGrowing")
	queue := ruleByName("AuditExporterQueueAlmostFull")
	reportFailed := ruleByName("AuditReportFailed")
	overdue := ruleByName("AuditReportOverdue")

	return promTestFile{
		RuleFiles:          []string{"otelcol-audit.rules.yaml"},
		EvaluationInterval: "1m",
		Tests: []promTest{
			{
				// acme: 60 failed logins a minute; quiet: one a minute.
				Interval: "1m",
				InputSeries: []promSeries{
					{series(MetricFailedLogins, LabelTenant, "acme"), "0+60x40"},
					{series(MetricFailedLogins, LabelTenant, "quiet"), "0+1x40"},
				},
				AlertRuleTest: alertTest(failedRate.Alert, "5m", "20m", expect(failedRate, map[string]string{LabelTenant: "acme"},
					"Many failed logins in tenant acme",
					fmt.Sprintf("Tenant acme has had 60 failed logins per minute for 10 minutes (threshold %d). The Authentication security dashboard names the authors and source IPs.", FailedLoginRatePerMinute))),
			},
			{
				// acme stops sending after 10 minutes; busy keeps sending.
				Interval: "1m",
				InputSeries: []promSeries{
					{series(MetricAuditEvents, LabelTenant, "acme", LabelCategory, auth, LabelOutcome, success), "0+1x10 10x60"},
					{series(MetricAuditEvents, LabelTenant, "busy", LabelCategory, auth, LabelOutcome, success), "0+1x70"},
				},
				AlertRuleTest: alertTest(silent.Alert, "30m", "50m", expect(silent, map[string]string{LabelTenant: "acme"},
					"No audit events from tenant acme",
					fmt.Sprintf("The collector has received no audit event for tenant acme in the last %s.", SilentTenantWindow))),
			},
			{
				// acme's series disappear after 10 minutes (collector restart, nothing since).
				Interval: "1m",
				InputSeries: []promSeries{
					{series(MetricAuditEvents, LabelTenant, "acme", LabelCategory, auth, LabelOutcome, success), "1+1x10 stale"},
					{series(MetricAuditEvents, LabelTenant, "busy", LabelCategory, auth, LabelOutcome, success), "0+1x70"},
				},
				AlertRuleTest: alertTest(gone.Alert, "30m", "50m", expect(gone, map[string]string{LabelTenant: "acme"},
					"Audit event series of tenant acme are gone",
					fmt.Sprintf("Tenant acme sent audit events within the last day, but for %s the collector has exposed no audit event counter for it: the collector is down or restarted and received nothing since.", SilentTenantWindow))),
			},
			{
				// audit_loki fails 5 records a minute from minute 11 on.
				Interval: "1m",
				InputSeries: []promSeries{
					{series(MetricExporterSendFailed, LabelExporter, "audit_loki"), "0x10 5+5x20"},
					{series(MetricExporterSendFailed, LabelExporter, "debug"), "0x30"},
				},
				AlertRuleTest: alertTest(sendFailures.Alert, "10m", "25m", expect(sendFailures, map[string]string{LabelExporter: "audit_loki"},
					"Exporter audit_loki fails to send audit records",
					"Exporter audit_loki failed to send 50 log records in the last 10 minutes after retries.")),
			},
			{
				// Three entries dead-lettered at minute 6.
				Interval: "1m",
				InputSeries: []promSeries{
					{series(MetricLokiDeadLetter, LabelReason, "line_too_long"), "0x5 3x30"},
					{series(MetricLokiDeadLetter, LabelReason, "rate_limited"), "0x35"},
				},
				AlertRuleTest: alertTest(deadLetter.Alert, "5m", "15m", expect(deadLetter, map[string]string{LabelReason: "line_too_long"},
					"Audit entries are being dead-lettered (line_too_long)",
					"Loki refused 3 audit entries for good in the last 15 minutes with reason line_too_long; they are in the dead-letter file and not in Loki.")),
			},
			{
				// audit_loki's queue sits at 90% of its capacity, otlp_http's at 10%.
				Interval: "1m",
				InputSeries: []promSeries{
					{series(MetricExporterQueueSize, "job", job, "instance", instance, LabelExporter, "audit_loki"), "100x3 900x20"},
					{series(MetricExporterQueueCapacity, "job", job, "instance", instance, LabelExporter, "audit_loki"), "1000x23"},
					{series(MetricExporterQueueSize, "job", job, "instance", instance, LabelExporter, "otlp_http"), "100x23"},
					{series(MetricExporterQueueCapacity, "job", job, "instance", instance, LabelExporter, "otlp_http"), "1000x23"},
				},
				AlertRuleTest: alertTest(queue.Alert, "5m", "15m", expect(queue,
					map[string]string{"job": job, "instance": instance, LabelExporter: "audit_loki"},
					"Sending queue of exporter audit_loki is almost full",
					fmt.Sprintf("The sending queue of exporter audit_loki on %s is 90%% full (threshold %g%%); new records are refused when it is full.", instance, QueueFullRatio*100))),
			},
			{
				// daily fails once at minute 6; weekly never fails.
				Interval: "1m",
				InputSeries: []promSeries{
					{series(MetricReportRuns, LabelReport, "daily", LabelResult, ResultFailure), "0x5 1x60"},
					{series(MetricReportRuns, LabelReport, "daily", LabelResult, ResultSuccess), "0+1x65"},
					{series(MetricReportRuns, LabelReport, "weekly", LabelResult, ResultFailure), "0x65"},
				},
				AlertRuleTest: alertTest(reportFailed.Alert, "5m", "30m", expect(reportFailed, map[string]string{LabelReport: "daily"},
					"Report daily failed",
					"Report daily failed 1 times in the last hour; it was not delivered.")),
			},
			{
				// daily last succeeded at t=1000s; hourly succeeds all the time; never has not
				// succeeded yet.
				Interval: "1m",
				InputSeries: []promSeries{
					{series(MetricReportLastSuccess, LabelReport, "daily"), "1000x1700"},
					{series(MetricReportLastSuccess, LabelReport, "hourly"), "0+60x1700"},
					{series(MetricReportLastSuccess, LabelReport, "never"), "0x1700"},
				},
				AlertRuleTest: alertTest(overdue.Alert, "26h", "28h", expect(overdue, map[string]string{LabelReport: "daily"},
					"Report daily is overdue",
					fmt.Sprintf("Report daily last succeeded 1d 3h 43m 20s ago (threshold %dh).", ReportOverdueSeconds/3600))),
			},
		},
	}
}
