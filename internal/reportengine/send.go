package reportengine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
)

// Send delivers msg through s, retrying with bo's exponential backoff while the sender says
// a retry can help (a connection failure, a 4xx answer). sleep waits between attempts;
// Sleep in production, instant in tests. The bound on retries is the sum of the waits, so it
// does not depend on the clock.
func Send(ctx context.Context, s reportmail.Sender, msg reportmail.Message, bo configretry.BackOffConfig, sleep func(context.Context, time.Duration) error) error {
	interval := bo.InitialInterval
	var elapsed time.Duration
	for {
		retry, err := s.Send(ctx, msg)
		if err == nil {
			return nil
		}
		if !retry || !bo.Enabled || ctx.Err() != nil {
			return fmt.Errorf("send: %w", err)
		}
		wait := interval
		if bo.RandomizationFactor > 0 {
			delta := bo.RandomizationFactor * float64(wait)
			wait = time.Duration(float64(wait) - delta + rand.Float64()*2*delta)
		}
		elapsed += wait
		if bo.MaxElapsedTime > 0 && elapsed > bo.MaxElapsedTime {
			return fmt.Errorf("send: giving up after %s: %w", bo.MaxElapsedTime, err)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return fmt.Errorf("send: %w", errors.Join(err, serr))
		}
		interval = time.Duration(float64(interval) * max(bo.Multiplier, 1))
		if bo.MaxInterval > 0 && interval > bo.MaxInterval {
			interval = bo.MaxInterval
		}
	}
}

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
