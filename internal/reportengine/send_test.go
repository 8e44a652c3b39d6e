package reportengine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
)

type answer struct {
	retry bool
	err   error
}

// scripted answers each Send with the next answer, then success.
type scripted struct {
	answers []answer
	sends   int
}

func (s *scripted) Send(context.Context, reportmail.Message) (bool, error) {
	s.sends++
	if len(s.answers) == 0 {
		return false, nil
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a.retry, a.err
}

func TestSendRetriesWhatARetryCanFix(t *testing.T) {
	bo := configretry.BackOffConfig{Enabled: true, InitialInterval: time.Second, Multiplier: 2, MaxInterval: 3 * time.Second, MaxElapsedTime: time.Minute}
	down := answer{true, errors.New("421 try later")}
	for name, tc := range map[string]struct {
		answers []answer
		bo      configretry.BackOffConfig
		waits   []time.Duration
		err     string
	}{
		"retried until sent":   {[]answer{down, down, down}, bo, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, ""},
		"permanent at once":    {[]answer{{false, errors.New("550 no such user")}}, bo, nil, "send: 550 no such user"},
		"retry disabled":       {[]answer{down}, configretry.BackOffConfig{}, nil, "send: 421 try later"},
		"gives up after bound": {[]answer{down, down, down}, configretry.BackOffConfig{Enabled: true, InitialInterval: time.Second, Multiplier: 1, MaxElapsedTime: 2 * time.Second}, []time.Duration{time.Second, time.Second}, "send: giving up after 2s: 421 try later"},
	} {
		t.Run(name, func(t *testing.T) {
			var waits []time.Duration
			s := &scripted{answers: tc.answers}
			err := Send(context.Background(), s, reportmail.Message{}, tc.bo, func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			})
			assert.Equal(t, tc.waits, waits)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.err)
		})
	}
}

func TestSendStopsWhenTheWaitIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &scripted{answers: []answer{{true, errors.New("connection refused")}}}
	bo := configretry.BackOffConfig{Enabled: true, InitialInterval: time.Hour}
	err := Send(context.Background(), s, reportmail.Message{}, bo, func(context.Context, time.Duration) error { return Sleep(ctx, time.Hour) })
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "connection refused")
	assert.Equal(t, 1, s.sends)
}
