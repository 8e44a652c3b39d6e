package auditnormalizerprocessor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TestDetectionGates checks the gate keys against every vendor's detect on every golden
// input: a profile that accepts an event must be gated in, and must refuse the event once
// its gate keys are gone.
func TestDetectionGates(t *testing.T) {
	s := newProfileSet(mappingConfig())
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	detected := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var raw map[string]any
		if json.Unmarshal(data, &raw) != nil {
			continue // text and arrays
		}
		m := pcommon.NewMap()
		require.NoError(t, m.FromRaw(raw))
		events := []pcommon.Map{m}
		if d, ok := sub(m, "detail"); ok {
			events = append(events, d)
		}
		for _, ev := range events {
			gates := detectionGates(ev)
			for i := 0; i < profileGeneric; i++ {
				if !s.all[i].detect(ev) {
					continue
				}
				detected++
				assert.NotZero(t, gates&(1<<i), "%s: %s not gated in", f, profileNames[i])
				stripped := pcommon.NewMap()
				ev.CopyTo(stripped)
				stripped.RemoveIf(func(k string, _ pcommon.Value) bool {
					return detectionGates(singleKey(k))&(1<<i) != 0
				})
				assert.False(t, s.all[i].detect(stripped), "%s: %s detects without its gate keys", f, profileNames[i])
			}
		}
	}
	assert.Greater(t, detected, 50)
}

func singleKey(k string) pcommon.Map {
	m := pcommon.NewMap()
	m.PutStr(k, "x")
	return m
}
