package auditnormalizerprocessor

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor/internal/metadata"
)

// Values of the records metric's result attribute.
const (
	resultMapped   = "mapped"
	resultFallback = "fallback"
)

// sourceNone is the records metric's source when no profile mapped the record.
const sourceNone = "none"

// overflowLabel replaces tenant and category values beyond the configured bound.
const overflowLabel = "_other"

// maxCategories bounds the category attribute of otelcol_audit_events. Categories are the
// built-in set plus those an operator configures, but the configuration is not bounded.
const maxCategories = 256

var (
	unmappedReasons   = []string{audit.ReasonNoProfile, audit.ReasonNoEventName, audit.ReasonUnparsableBody, audit.ReasonNoAuthor, audit.ReasonUnreadableOutcome, audit.ReasonUnreadableTime, audit.ReasonEnvelopeTooLarge}
	quarantineReasons = []string{quarantineEmpty, quarantineTooLong, quarantineInvalidChar, quarantineDots, quarantineNotAllowed}
	outcomes          = []string{audit.OutcomeSuccess, audit.OutcomeFailure, audit.OutcomeUnknown}
)

type normalizerProcessor struct {
	normalizer *normalizer
	telemetry  *metadata.TelemetryBuilder

	// Attribute sets are built once per value and reused: building one per record would
	// allocate on the hot path.
	recordOpts     [len(profileNames) + 1][2]metric.AddOption
	unmappedOpts   map[string]metric.AddOption
	quarantineOpts map[string]metric.AddOption
	envelopeOpts   map[string]metric.AddOption

	tenants    *boundedSet
	categories *boundedSet
	eventOpts  sync.Map // eventKey -> metric.AddOption
	loginOpts  sync.Map // tenant -> metric.AddOption
}

type eventKey struct{ tenant, category, outcome string }

func newNormalizerProcessor(set processor.Settings, cfg *Config) (*normalizerProcessor, error) {
	n, err := newNormalizer(cfg)
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &normalizerProcessor{
		normalizer:     n,
		telemetry:      tb,
		unmappedOpts:   map[string]metric.AddOption{},
		quarantineOpts: map[string]metric.AddOption{},
		envelopeOpts:   map[string]metric.AddOption{},
		tenants:        newBoundedSet(cfg.Metrics.MaxTenants),
		categories:     newBoundedSet(maxCategories),
	}
	ctx := context.Background()
	sources := append(profileNames[:], sourceNone)
	for i, src := range sources {
		for j, result := range []string{resultMapped, resultFallback} {
			p.recordOpts[i][j] = metric.WithAttributeSet(attribute.NewSet(attribute.String("source", src), attribute.String("result", result)))
			// Pre-created at zero, so that dashboards see the series before the first event.
			tb.AuditNormalizerRecords.Add(ctx, 0, p.recordOpts[i][j])
		}
	}
	for _, r := range unmappedReasons {
		p.unmappedOpts[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
		tb.AuditNormalizerUnmapped.Add(ctx, 0, p.unmappedOpts[r])
	}
	for _, r := range quarantineReasons {
		p.quarantineOpts[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
		tb.AuditNormalizerTenantQuarantined.Add(ctx, 0, p.quarantineOpts[r])
	}
	for _, e := range envelopeLabels {
		p.envelopeOpts[e] = metric.WithAttributeSet(attribute.NewSet(attribute.String("envelope", e)))
		tb.AuditNormalizerEnvelopes.Add(ctx, 0, p.envelopeOpts[e])
	}
	return p, nil
}

// batchStats counts one batch, so that each series is added to once per batch.
type batchStats struct {
	records      [len(profileNames) + 1][2]int64
	unmapped     map[string]int64
	quarantined  map[string]int64
	envelopes    map[string]int64
	events       map[eventKey]int64
	failedLogins map[string]int64
}

var statsPool = sync.Pool{New: func() any {
	return &batchStats{
		unmapped:     map[string]int64{},
		quarantined:  map[string]int64{},
		envelopes:    map[string]int64{},
		events:       map[eventKey]int64{},
		failedLogins: map[string]int64{},
	}
}}

func (p *normalizerProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	st := statsPool.Get().(*batchStats)
	who, _ := identity.FromContext(ctx)
	splitBudget := p.normalizer.cfg.MaxSplitEventsPerBatch
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource().Attributes()
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			p.processRecords(res, sls.At(j).LogRecords(), who, st, &splitBudget)
		}
	}
	p.flush(ctx, st)
	statsPool.Put(st)
	return ld, nil
}

// processRecords normalises the records of one scope in place. A record whose body is an
// envelope of events becomes one record per event, where it stood: the scope's records are
// then rebuilt into a new slice, which only a batch with an envelope pays for.
//
// splitBudget is what the batch's envelopes may still add; an envelope past it stays whole.
func (p *normalizerProcessor) processRecords(res pcommon.Map, lrs plog.LogRecordSlice, who *identity.Identity, st *batchStats, splitBudget *int) {
	n := p.normalizer
	var out plog.LogRecordSlice
	rebuilt := false
	for k := 0; k < lrs.Len(); k++ {
		lr := lrs.At(k)
		raw, sp := n.readEvents(lr)
		if sp.kind != "" {
			if sp.events.Len() > *splitBudget {
				sp = envelopeSplit{tooLarge: true}
			} else {
				*splitBudget -= sp.events.Len()
			}
		}
		if sp.kind == "" {
			st.add(n.normalizeRaw(res, lr, who, &raw, sp.tooLarge), p)
			if rebuilt {
				lr.MoveTo(out.AppendEmpty())
			}
			continue
		}
		if !rebuilt {
			out = plog.NewLogRecordSlice()
			out.EnsureCapacity(lrs.Len() - 1 + sp.events.Len())
			for i := 0; i < k; i++ {
				lrs.At(i).MoveTo(out.AppendEmpty())
			}
			rebuilt = true
		}
		first := out.Len()
		appendEvents(out, lr, sp.events)
		st.envelopes[sp.kind]++
		for i := first; i < out.Len(); i++ {
			st.add(n.normalizeRecord(res, out.At(i), who), p)
		}
	}
	if rebuilt {
		lrs.RemoveIf(func(plog.LogRecord) bool { return true })
		out.MoveAndAppendTo(lrs)
	}
}

func (st *batchStats) add(r recordResult, p *normalizerProcessor) {
	src := len(profileNames)
	if r.Source != "" {
		src, _ = profileIndex(r.Source)
	}
	result := 0
	if r.Fallback {
		result = 1
	}
	st.records[src][result]++
	if r.Reason != "" {
		st.unmapped[r.Reason]++
	}
	if r.Quarantine != "" {
		st.quarantined[r.Quarantine]++
	}
	tenant := p.tenants.label(r.Tenant)
	st.events[eventKey{tenant: tenant, category: p.categories.label(r.Category), outcome: r.Outcome}]++
	if r.Summary == audit.SummaryLoginFailed {
		st.failedLogins[tenant]++
	}
}

func (p *normalizerProcessor) flush(ctx context.Context, st *batchStats) {
	tb := p.telemetry
	for i := range st.records {
		for j, n := range st.records[i] {
			if n > 0 {
				tb.AuditNormalizerRecords.Add(ctx, n, p.recordOpts[i][j])
				st.records[i][j] = 0
			}
		}
	}
	for r, n := range st.unmapped {
		tb.AuditNormalizerUnmapped.Add(ctx, n, p.unmappedOpts[r])
	}
	clear(st.unmapped)
	for r, n := range st.quarantined {
		tb.AuditNormalizerTenantQuarantined.Add(ctx, n, p.quarantineOpts[r])
	}
	clear(st.quarantined)
	for e, n := range st.envelopes {
		tb.AuditNormalizerEnvelopes.Add(ctx, n, p.envelopeOpts[e])
	}
	clear(st.envelopes)
	for k, n := range st.events {
		tb.AuditEvents.Add(ctx, n, p.eventOption(k))
	}
	clear(st.events)
	for t, n := range st.failedLogins {
		tb.AuditFailedLogins.Add(ctx, n, p.loginOption(t))
	}
	clear(st.failedLogins)
}

func (p *normalizerProcessor) eventOption(k eventKey) metric.AddOption {
	if o, ok := p.eventOpts.Load(k); ok {
		return o.(metric.AddOption)
	}
	o := metric.WithAttributeSet(attribute.NewSet(
		attribute.String("tenant", k.tenant),
		attribute.String("category", k.category),
		attribute.String("outcome", k.outcome),
	))
	p.eventOpts.Store(k, o)
	return o
}

func (p *normalizerProcessor) loginOption(tenant string) metric.AddOption {
	if o, ok := p.loginOpts.Load(tenant); ok {
		return o.(metric.AddOption)
	}
	o := metric.WithAttributeSet(attribute.NewSet(attribute.String("tenant", tenant)))
	p.loginOpts.Store(tenant, o)
	return o
}

func (p *normalizerProcessor) shutdown(context.Context) error {
	p.telemetry.Shutdown()
	return nil
}

// boundedSet admits the first max distinct values as metric labels; later values are
// counted as "_other", so a flood of tenants cannot blow up the metric's cardinality.
type boundedSet struct {
	mu   sync.RWMutex
	max  int
	seen map[string]struct{}
}

func newBoundedSet(max int) *boundedSet {
	return &boundedSet{max: max, seen: make(map[string]struct{})}
}

func (s *boundedSet) label(v string) string {
	s.mu.RLock()
	_, ok := s.seen[v]
	full := len(s.seen) >= s.max
	s.mu.RUnlock()
	if ok {
		return v
	}
	if full {
		return overflowLabel
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return overflowLabel
	}
	s.seen[v] = struct{}{}
	return v
}
