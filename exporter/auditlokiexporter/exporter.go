package auditlokiexporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
)

type lokiExporter struct {
	cfg       *Config
	set       exporter.Settings
	url       string
	userAgent string
	client    *http.Client
	enc       *encoder
	dlq       *deadLetter
	markers   *markerPusher // nil unless dead_letter::markers is on and the exporter started
	telemetry *metadata.TelemetryBuilder
}

func newLokiExporter(cfg *Config, set exporter.Settings) (*lokiExporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	e := &lokiExporter{
		cfg:       cfg,
		set:       set,
		url:       cfg.pushURL(),
		userAgent: fmt.Sprintf("%s/%s", set.BuildInfo.Command, set.BuildInfo.Version),
		telemetry: tb,
	}
	e.enc = newEncoder(cfg, func(label string) {
		tb.AuditLokiLabelOverflow.Add(context.Background(), 1, metric.WithAttributeSet(attribute.NewSet(attribute.String("label", label))))
	})
	return e, nil
}

func (e *lokiExporter) start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
	if err != nil {
		return err
	}
	dlq, err := openDeadLetter(e.cfg.DeadLetter)
	if err != nil {
		return fmt.Errorf("dead_letter::path: %w", err)
	}
	e.client, e.dlq = client, dlq
	if e.cfg.DeadLetter.Markers {
		e.markers = newMarkerPusher(e)
		e.markers.start()
	}
	e.precreateSeries(ctx)
	e.set.Logger.Info("pushing audit records to loki", zap.String("url", e.url),
		zap.String("tenant_mode", e.cfg.Tenant.Mode), zap.String("dead_letter", e.cfg.DeadLetter.Path))
	return nil
}

func (e *lokiExporter) shutdown(ctx context.Context) error {
	if e.markers != nil {
		e.markers.shutdown(ctx)
	}
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	if e.dlq != nil {
		return e.dlq.Close()
	}
	return nil
}

// precreateSeries adds zero to the counters, so that dashboards and alerts see every series
// before the first event.
func (e *lokiExporter) precreateSeries(ctx context.Context) {
	e.telemetry.AuditLokiEntriesSent.Add(ctx, 0)
	e.telemetry.AuditLokiBytesSent.Add(ctx, 0)
	for _, reason := range lokipush.Reasons() {
		e.telemetry.AuditLokiDeadLetter.Add(ctx, 0, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason))))
	}
	for _, result := range []string{markerSent, markerFailed, markerSkipped} {
		e.telemetry.AuditLokiDeadLetterMarkers.Add(ctx, 0, metric.WithAttributeSet(attribute.NewSet(attribute.String("marker_result", result))))
	}
	labels := []string{audit.LokiLabelService, audit.LokiLabelCategory, audit.LokiLabelOutcome}
	for _, x := range e.enc.extra {
		labels = append(labels, x.name)
	}
	for _, l := range labels {
		e.telemetry.AuditLokiLabelOverflow.Add(ctx, 0, metric.WithAttributeSet(attribute.NewSet(attribute.String("label", l))))
	}
}

// pushResult classifies one request.
type pushResult struct {
	retry     error         // retryable failure: the chunk goes back to the queue
	throttle  time.Duration // Retry-After, when the server asked for one
	reason    string        // permanent refusal: the chunk goes to the dead-letter file
	permanent error
}

// pushLogs renders the batch, dead-letters what validation refuses, sends one request per
// tenant and size chunk, and hands back to exporterhelper only the records of chunks that
// failed with a retryable error.
func (e *lokiExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	entries := e.enc.entries(ld)
	var dead []*entry
	var deadErrs []string
	for i := range entries {
		if entries[i].reason != "" {
			dead = append(dead, &entries[i])
			deadErrs = append(deadErrs, "refused before sending: "+entries[i].reason)
		}
	}

	var retryRefs []recordRef
	var retryErr error
	var throttle time.Duration
	for _, c := range chunks(entries, e.cfg.Limits.MaxRequestSize) {
		if ctx.Err() != nil {
			retryErr = errors.Join(retryErr, ctx.Err())
			retryRefs = appendRefs(retryRefs, c.entries)
			continue
		}
		res := e.send(ctx, &c)
		switch {
		case res.retry != nil:
			retryErr = errors.Join(retryErr, res.retry)
			throttle = max(throttle, res.throttle)
			retryRefs = appendRefs(retryRefs, c.entries)
		case res.reason != "":
			for _, en := range c.entries {
				en.reason = res.reason
				dead = append(dead, en)
				deadErrs = append(deadErrs, res.permanent.Error())
			}
		}
	}

	if len(dead) > 0 {
		if err := e.dlq.Write(dead, deadErrs); err != nil {
			// The file cannot take them: keep them in the queue rather than lose them.
			retryErr = errors.Join(retryErr, fmt.Errorf("write dead-letter file: %w", err))
			retryRefs = appendRefs(retryRefs, dead)
		} else {
			for _, en := range dead {
				e.telemetry.AuditLokiDeadLetter.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", en.reason))))
			}
			if e.markers != nil {
				e.markers.enqueue(dead)
			}
		}
	}

	if retryErr == nil {
		return nil
	}
	err := consumererror.NewLogs(fmt.Errorf("push to loki: %w", retryErr), subset(ld, retryRefs))
	if throttle > 0 {
		return exporterhelper.NewThrottleRetry(err, throttle)
	}
	return err
}

func appendRefs(refs []recordRef, entries []*entry) []recordRef {
	for _, en := range entries {
		refs = append(refs, en.ref)
	}
	return refs
}

func (e *lokiExporter) send(ctx context.Context, c *chunk) pushResult {
	body, err := c.encode()
	if err != nil {
		return pushResult{reason: lokipush.ReasonInvalidLabels, permanent: fmt.Errorf("encode: %w", err)}
	}
	start := time.Now()
	res := lokipush.Push(ctx, e.client, lokipush.Request{URL: e.url, Tenant: c.tenant, UserAgent: e.userAgent, Body: body})
	// The outcome names are the fixed values of the duration's result attribute.
	e.telemetry.AuditLokiRequestDuration.Record(ctx, time.Since(start).Seconds(),
		metric.WithAttributeSet(attribute.NewSet(attribute.String("result", string(res.Outcome)))))
	switch {
	case res.Outcome == lokipush.OutcomeOK:
		e.telemetry.AuditLokiEntriesSent.Add(ctx, int64(len(c.entries)))
		e.telemetry.AuditLokiBytesSent.Add(ctx, int64(len(body)))
		return pushResult{}
	case res.Retryable():
		return pushResult{retry: res.Err, throttle: res.RetryAfter}
	default:
		return pushResult{reason: res.Reason, permanent: res.Err}
	}
}

// subset copies the referenced records, with their resource and scope, into a new batch.
func subset(ld plog.Logs, refs []recordRef) plog.Logs {
	out := plog.NewLogs()
	if len(refs) == 0 {
		return out
	}
	want := map[recordRef]bool{}
	for _, r := range refs {
		want[r] = true
	}
	rls := ld.ResourceLogs()
	for ri := 0; ri < rls.Len(); ri++ {
		rl := rls.At(ri)
		var outRL plog.ResourceLogs
		haveRL := false
		sls := rl.ScopeLogs()
		for si := 0; si < sls.Len(); si++ {
			sl := sls.At(si)
			var outSL plog.ScopeLogs
			haveSL := false
			lrs := sl.LogRecords()
			for li := 0; li < lrs.Len(); li++ {
				if !want[recordRef{ri, si, li}] {
					continue
				}
				if !haveRL {
					outRL = out.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(outRL.Resource())
					outRL.SetSchemaUrl(rl.SchemaUrl())
					haveRL = true
				}
				if !haveSL {
					outSL = outRL.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(outSL.Scope())
					outSL.SetSchemaUrl(sl.SchemaUrl())
					haveSL = true
				}
				lrs.At(li).CopyTo(outSL.LogRecords().AppendEmpty())
			}
		}
	}
	return out
}
