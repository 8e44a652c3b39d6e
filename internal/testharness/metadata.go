package testharness

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.yaml.in/yaml/v3"
)

// Metadata is what a component's internal/metadata package declares, for CheckMetadata to
// compare with the component's metadata.yaml.
type Metadata struct {
	// Type is metadata.Type.
	Type component.Type
	// Stability maps each signal to its stability constant, keyed as in metadata.yaml's
	// status::stability ("logs", or "extension" for an extension).
	Stability map[string]component.StabilityLevel
	// ScopeName is metadata.ScopeName: the component's import path.
	ScopeName string
	// NewTelemetryBuilder creates the component's TelemetryBuilder on set; nil when the
	// component declares no metrics.
	NewTelemetryBuilder func(set component.TelemetrySettings) error
	// Component, when set, is created, started and shut down with recording telemetry, and
	// every series it records meanwhile (the counters it creates at zero on Start) must carry
	// exactly the attributes metadata.yaml declares for its metric, with values from their enum.
	Component *Component
	// Exercise, when set, runs between the Component's Start and Shutdown, to make it record
	// series that Start alone does not.
	Exercise func(t *testing.T, c component.Component)
}

// metadataFile is the part of mdatagen's metadata.yaml format that the components use.
// Decoding is strict, so a misspelt key fails the check instead of being ignored.
type metadataFile struct {
	Type          string `yaml:"type"`
	GitHubProject string `yaml:"github_project"`
	Status        struct {
		Class         string              `yaml:"class"`
		Stability     map[string][]string `yaml:"stability"`
		Distributions []string            `yaml:"distributions"`
		Codeowners    struct {
			Active []string `yaml:"active"`
		} `yaml:"codeowners"`
	} `yaml:"status"`
	Telemetry struct {
		Metrics map[string]metricDecl `yaml:"metrics"`
	} `yaml:"telemetry"`
	Attributes map[string]attributeDecl `yaml:"attributes"`
}

type metricDecl struct {
	Enabled     bool       `yaml:"enabled"`
	Stability   string     `yaml:"stability"`
	Description string     `yaml:"description"`
	Unit        string     `yaml:"unit"`
	Sum         *sumDecl   `yaml:"sum"`
	Gauge       *gaugeDecl `yaml:"gauge"`
	Histogram   *histDecl  `yaml:"histogram"`
	Attributes  []string   `yaml:"attributes"`
}

type sumDecl struct {
	ValueType string `yaml:"value_type"`
	Monotonic bool   `yaml:"monotonic"`
	Async     bool   `yaml:"async"`
}

type gaugeDecl struct {
	ValueType string `yaml:"value_type"`
	Async     bool   `yaml:"async"`
}

type histDecl struct {
	ValueType        string    `yaml:"value_type"`
	BucketBoundaries []float64 `yaml:"bucket_boundaries"`
}

type attributeDecl struct {
	Description string   `yaml:"description"`
	Type        string   `yaml:"type"`
	Enum        []string `yaml:"enum"`
}

// instrumentKind is the metric API method that metadata.yaml's declaration calls for, such
// as "Int64Counter".
func (m metricDecl) instrumentKind() (string, error) {
	number := func(valueType string) (string, error) {
		switch valueType {
		case "int":
			return "Int64", nil
		case "double":
			return "Float64", nil
		}
		return "", fmt.Errorf("value_type %q is neither int nor double", valueType)
	}
	declared := 0
	for _, set := range []bool{m.Sum != nil, m.Gauge != nil, m.Histogram != nil} {
		if set {
			declared++
		}
	}
	if declared != 1 {
		return "", fmt.Errorf("exactly one of sum, gauge or histogram is required, got %d", declared)
	}
	switch {
	case m.Sum != nil:
		n, err := number(m.Sum.ValueType)
		kind := "Counter"
		if !m.Sum.Monotonic {
			kind = "UpDownCounter"
		}
		if m.Sum.Async {
			kind = "Observable" + kind
		}
		return n + kind, err
	case m.Gauge != nil:
		n, err := number(m.Gauge.ValueType)
		if m.Gauge.Async {
			return n + "ObservableGauge", err
		}
		return n + "Gauge", err
	default:
		n, err := number(m.Histogram.ValueType)
		return n + "Histogram", err
	}
}

// CheckMetadata parses the metadata.yaml at path and fails t where it disagrees with the
// hand-written internal/metadata package described by want: type, stability, scope name,
// and, metric by metric, name, unit, description, instrument kind, bucket boundaries and
// attributes.
func CheckMetadata(t *testing.T, path string, want Metadata) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var md metadataFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&md), "%s", path)

	assert.Equal(t, want.Type.String(), md.Type, "type")
	assert.NotEmpty(t, md.GitHubProject, "github_project")
	assert.Contains(t, []string{"receiver", "processor", "exporter", "extension", "connector"}, md.Status.Class, "status::class")

	stability := map[string]string{}
	for level, signals := range md.Status.Stability {
		for _, s := range signals {
			assert.NotContains(t, stability, s, "status::stability: %s listed twice", s)
			stability[s] = level
		}
	}
	wantStability := map[string]string{}
	for s, level := range want.Stability {
		wantStability[s] = strings.ToLower(level.String())
	}
	assert.Equal(t, wantStability, stability, "status::stability")

	if want.ScopeName != "" {
		assert.Equal(t, importPath(t), want.ScopeName, "metadata.ScopeName is the component's import path")
	}

	checkAttributeDecls(t, md)

	if want.NewTelemetryBuilder == nil {
		assert.Empty(t, md.Telemetry.Metrics, "telemetry::metrics declared, but the check was given no TelemetryBuilder")
		return
	}
	rec := newRecordingProvider()
	set := componenttest.NewNopTelemetrySettings()
	set.MeterProvider = rec
	require.NoError(t, want.NewTelemetryBuilder(set), "NewTelemetryBuilder")
	if want.ScopeName != "" {
		assert.Equal(t, []string{want.ScopeName}, rec.meterNames(), "meters the TelemetryBuilder asked for")
	}
	checkInstruments(t, md, rec.instrumentsByName())

	if want.Component != nil {
		checkRecordedSeries(t, md, want)
	}
}

// checkAttributeDecls checks that the metrics and the attributes sections agree.
func checkAttributeDecls(t *testing.T, md metadataFile) {
	t.Helper()
	used := map[string]bool{}
	for name, m := range md.Telemetry.Metrics {
		for _, a := range m.Attributes {
			assert.Contains(t, md.Attributes, a, "telemetry::metrics::%s::attributes: %q is not declared under attributes", name, a)
			used[a] = true
		}
	}
	for name, a := range md.Attributes {
		assert.True(t, used[name], "attributes::%s: no metric uses it", name)
		assert.NotEmpty(t, a.Description, "attributes::%s::description", name)
		assert.Equal(t, "string", a.Type, "attributes::%s::type", name)
	}
}

// checkInstruments compares the instruments the TelemetryBuilder created with the metrics
// metadata.yaml declares, both ways.
func checkInstruments(t *testing.T, md metadataFile, got map[string]instrument) {
	t.Helper()
	for name, m := range md.Telemetry.Metrics {
		t.Run(name, func(t *testing.T) {
			inst, ok := got[metricName(name)]
			if !assert.True(t, ok, "the TelemetryBuilder creates no instrument %q", metricName(name)) {
				return
			}
			assert.True(t, m.Enabled, "enabled: metrics that can be turned off are not supported")
			kind, err := m.instrumentKind()
			if assert.NoError(t, err) {
				assert.Equal(t, kind, inst.kind, "instrument kind")
			}
			assert.Equal(t, m.Unit, inst.unit, "unit")
			assert.NotEmpty(t, m.Stability, "stability")
			// mdatagen appends the metric's stability to the description it generates.
			wantDesc := fmt.Sprintf("%s [%s]", m.Description, titleCase(m.Stability))
			assert.Equal(t, wantDesc, inst.description, "description")
			if m.Histogram != nil {
				assert.Equal(t, m.Histogram.BucketBoundaries, inst.buckets, "bucket_boundaries")
			}
		})
	}
	for name := range got {
		_, ok := md.Telemetry.Metrics[strings.TrimPrefix(name, "otelcol_")]
		assert.True(t, ok && strings.HasPrefix(name, "otelcol_"),
			"the TelemetryBuilder creates %q, which telemetry::metrics does not declare", name)
	}
}

// checkRecordedSeries runs the component with a real meter and checks the attributes of
// every series it records against the declarations.
func checkRecordedSeries(t *testing.T, md metadataFile, want Metadata) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { require.NoError(t, mp.Shutdown(context.Background())) }()
	set := componenttest.NewNopTelemetrySettings()
	set.MeterProvider = mp

	c, err := want.Component.Create(t, set)
	require.NoError(t, err)
	require.NoError(t, c.Start(context.Background(), want.Component.host()))
	if want.Exercise != nil {
		want.Exercise(t, c)
	}
	require.NoError(t, c.Shutdown(context.Background()))

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	// One report per metric and problem, not one per series.
	problems := map[string]bool{}
	series := 0
	for _, sm := range rm.ScopeMetrics {
		if want.ScopeName != "" && sm.Scope.Name != want.ScopeName {
			continue // collector helpers (obsreport, exporterhelper) record their own metrics
		}
		for _, m := range sm.Metrics {
			decl, ok := md.Telemetry.Metrics[strings.TrimPrefix(m.Name, "otelcol_")]
			if !ok {
				continue // reported by checkInstruments
			}
			wantKeys := slices.Clone(decl.Attributes)
			sort.Strings(wantKeys)
			for _, attrs := range attributeSets(m.Data) {
				series++
				var keys []string
				for _, kv := range attrs.ToSlice() {
					keys = append(keys, string(kv.Key))
					if enum := md.Attributes[string(kv.Key)].Enum; len(enum) > 0 && !slices.Contains(enum, kv.Value.Emit()) {
						problems[fmt.Sprintf("%s: attribute %s has the value %q, which is not in its enum %v",
							m.Name, kv.Key, kv.Value.Emit(), enum)] = true
					}
				}
				if !slices.Equal(wantKeys, keys) {
					problems[fmt.Sprintf("%s: recorded with attributes %v, declared with %v", m.Name, keys, wantKeys)] = true
				}
			}
		}
	}
	t.Logf("checked the attributes of %d series recorded from Start to Shutdown", series)
	for _, p := range slices.Sorted(maps.Keys(problems)) {
		t.Error(p)
	}
}

func attributeSets(data metricdata.Aggregation) []attribute.Set {
	var sets []attribute.Set
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Sum[float64]:
		for _, p := range d.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Histogram[int64]:
		for _, p := range d.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			sets = append(sets, p.Attributes)
		}
	}
	return sets
}

// metricName is the name mdatagen gives the instrument of a metric declared as key.
func metricName(key string) string { return "otelcol_" + key }

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// importPath is the import path of the package in the working directory, which is the
// package under test.
func importPath(t *testing.T) string {
	t.Helper()
	root := RepoRoot()
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(mod), "\n")
	module := strings.TrimSpace(strings.TrimPrefix(first, "module"))
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(root, wd)
	require.NoError(t, err)
	return module + "/" + filepath.ToSlash(rel)
}

// instrument is what a TelemetryBuilder passed to the metric API for one instrument.
type instrument struct {
	kind        string
	description string
	unit        string
	buckets     []float64
}

// recordingProvider records the meters and instruments created through it; the instruments
// it returns do nothing.
type recordingProvider struct {
	metric.MeterProvider
	mu          sync.Mutex
	meters      []string
	instruments map[string]instrument
}

func newRecordingProvider() *recordingProvider {
	return &recordingProvider{
		MeterProvider: componenttest.NewNopTelemetrySettings().MeterProvider,
		instruments:   map[string]instrument{},
	}
}

func (p *recordingProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.meters, name) {
		p.meters = append(p.meters, name)
	}
	return &recordingMeter{Meter: p.MeterProvider.Meter(name, opts...), p: p}
}

func (p *recordingProvider) record(name string, inst instrument) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.instruments[name] = inst
}

func (p *recordingProvider) meterNames() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.meters)
}

func (p *recordingProvider) instrumentsByName() map[string]instrument {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]instrument, len(p.instruments))
	for k, v := range p.instruments {
		out[k] = v
	}
	return out
}

type recordingMeter struct {
	metric.Meter
	p *recordingProvider
}

// describer is the part every instrument config shares.
type describer interface {
	Description() string
	Unit() string
}

func (m *recordingMeter) note(kind, name string, cfg describer, buckets []float64) {
	m.p.record(name, instrument{kind: kind, description: cfg.Description(), unit: cfg.Unit(), buckets: buckets})
}

func (m *recordingMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	m.note("Int64Counter", name, metric.NewInt64CounterConfig(opts...), nil)
	return m.Meter.Int64Counter(name, opts...)
}

func (m *recordingMeter) Int64UpDownCounter(name string, opts ...metric.Int64UpDownCounterOption) (metric.Int64UpDownCounter, error) {
	m.note("Int64UpDownCounter", name, metric.NewInt64UpDownCounterConfig(opts...), nil)
	return m.Meter.Int64UpDownCounter(name, opts...)
}

func (m *recordingMeter) Int64Histogram(name string, opts ...metric.Int64HistogramOption) (metric.Int64Histogram, error) {
	cfg := metric.NewInt64HistogramConfig(opts...)
	m.note("Int64Histogram", name, cfg, cfg.ExplicitBucketBoundaries())
	return m.Meter.Int64Histogram(name, opts...)
}

func (m *recordingMeter) Int64Gauge(name string, opts ...metric.Int64GaugeOption) (metric.Int64Gauge, error) {
	m.note("Int64Gauge", name, metric.NewInt64GaugeConfig(opts...), nil)
	return m.Meter.Int64Gauge(name, opts...)
}

func (m *recordingMeter) Int64ObservableCounter(name string, opts ...metric.Int64ObservableCounterOption) (metric.Int64ObservableCounter, error) {
	m.note("Int64ObservableCounter", name, metric.NewInt64ObservableCounterConfig(opts...), nil)
	return m.Meter.Int64ObservableCounter(name, opts...)
}

func (m *recordingMeter) Int64ObservableUpDownCounter(name string, opts ...metric.Int64ObservableUpDownCounterOption) (metric.Int64ObservableUpDownCounter, error) {
	m.note("Int64ObservableUpDownCounter", name, metric.NewInt64ObservableUpDownCounterConfig(opts...), nil)
	return m.Meter.Int64ObservableUpDownCounter(name, opts...)
}

func (m *recordingMeter) Int64ObservableGauge(name string, opts ...metric.Int64ObservableGaugeOption) (metric.Int64ObservableGauge, error) {
	m.note("Int64ObservableGauge", name, metric.NewInt64ObservableGaugeConfig(opts...), nil)
	return m.Meter.Int64ObservableGauge(name, opts...)
}

func (m *recordingMeter) Float64Counter(name string, opts ...metric.Float64CounterOption) (metric.Float64Counter, error) {
	m.note("Float64Counter", name, metric.NewFloat64CounterConfig(opts...), nil)
	return m.Meter.Float64Counter(name, opts...)
}

func (m *recordingMeter) Float64UpDownCounter(name string, opts ...metric.Float64UpDownCounterOption) (metric.Float64UpDownCounter, error) {
	m.note("Float64UpDownCounter", name, metric.NewFloat64UpDownCounterConfig(opts...), nil)
	return m.Meter.Float64UpDownCounter(name, opts...)
}

func (m *recordingMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	cfg := metric.NewFloat64HistogramConfig(opts...)
	m.note("Float64Histogram", name, cfg, cfg.ExplicitBucketBoundaries())
	return m.Meter.Float64Histogram(name, opts...)
}

func (m *recordingMeter) Float64Gauge(name string, opts ...metric.Float64GaugeOption) (metric.Float64Gauge, error) {
	m.note("Float64Gauge", name, metric.NewFloat64GaugeConfig(opts...), nil)
	return m.Meter.Float64Gauge(name, opts...)
}

func (m *recordingMeter) Float64ObservableCounter(name string, opts ...metric.Float64ObservableCounterOption) (metric.Float64ObservableCounter, error) {
	m.note("Float64ObservableCounter", name, metric.NewFloat64ObservableCounterConfig(opts...), nil)
	return m.Meter.Float64ObservableCounter(name, opts...)
}

func (m *recordingMeter) Float64ObservableUpDownCounter(name string, opts ...metric.Float64ObservableUpDownCounterOption) (metric.Float64ObservableUpDownCounter, error) {
	m.note("Float64ObservableUpDownCounter", name, metric.NewFloat64ObservableUpDownCounterConfig(opts...), nil)
	return m.Meter.Float64ObservableUpDownCounter(name, opts...)
}

func (m *recordingMeter) Float64ObservableGauge(name string, opts ...metric.Float64ObservableGaugeOption) (metric.Float64ObservableGauge, error) {
	m.note("Float64ObservableGauge", name, metric.NewFloat64ObservableGaugeConfig(opts...), nil)
	return m.Meter.Float64ObservableGauge(name, opts...)
}
