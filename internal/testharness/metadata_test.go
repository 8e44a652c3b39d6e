package testharness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/metric"
)

func TestInstrumentKind(t *testing.T) {
	tests := []struct {
		decl metricDecl
		want string
	}{
		{metricDecl{Sum: &sumDecl{ValueType: "int", Monotonic: true}}, "Int64Counter"},
		{metricDecl{Sum: &sumDecl{ValueType: "double"}}, "Float64UpDownCounter"},
		{metricDecl{Sum: &sumDecl{ValueType: "int", Monotonic: true, Async: true}}, "Int64ObservableCounter"},
		{metricDecl{Gauge: &gaugeDecl{ValueType: "int"}}, "Int64Gauge"},
		{metricDecl{Gauge: &gaugeDecl{ValueType: "double", Async: true}}, "Float64ObservableGauge"},
		{metricDecl{Histogram: &histDecl{ValueType: "double"}}, "Float64Histogram"},
	}
	for _, tt := range tests {
		got, err := tt.decl.instrumentKind()
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
	_, err := metricDecl{}.instrumentKind()
	assert.ErrorContains(t, err, "exactly one of sum, gauge or histogram")
	_, err = metricDecl{Sum: &sumDecl{}, Gauge: &gaugeDecl{}}.instrumentKind()
	assert.ErrorContains(t, err, "exactly one of sum, gauge or histogram")
	_, err = metricDecl{Sum: &sumDecl{ValueType: "long"}}.instrumentKind()
	assert.ErrorContains(t, err, `value_type "long"`)
}

func TestRecordingProvider(t *testing.T) {
	p := newRecordingProvider()
	m := p.Meter("scope")
	_, err := m.Int64Counter("c", metric.WithDescription("d"), metric.WithUnit("{x}"))
	require.NoError(t, err)
	_, err = m.Float64Histogram("h", metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(1, 2))
	require.NoError(t, err)
	assert.Equal(t, []string{"scope"}, p.meterNames())
	assert.Equal(t, map[string]instrument{
		"c": {kind: "Int64Counter", description: "d", unit: "{x}"},
		"h": {kind: "Float64Histogram", unit: "s", buckets: []float64{1, 2}},
	}, p.instrumentsByName())
}
