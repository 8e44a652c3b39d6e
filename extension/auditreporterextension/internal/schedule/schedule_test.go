package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func TestWindowAcrossDST(t *testing.T) {
	dublin, newYork := zone(t, "Europe/Dublin"), zone(t, "America/New_York")
	tests := []struct {
		name     string
		expr     string
		loc      *time.Location
		fire     time.Time // a fire time of expr
		wantFrom time.Time
		wantLen  time.Duration
	}{
		{"dublin daily, 23h spring-forward day", "@daily", dublin,
			time.Date(2026, 3, 30, 0, 0, 0, 0, dublin), time.Date(2026, 3, 29, 0, 0, 0, 0, dublin), 23 * time.Hour},
		{"dublin daily, 25h fall-back day", "@daily", dublin,
			time.Date(2026, 10, 26, 0, 0, 0, 0, dublin), time.Date(2026, 10, 25, 0, 0, 0, 0, dublin), 25 * time.Hour},
		{"dublin daily, ordinary day", "0 0 * * *", dublin,
			time.Date(2026, 6, 2, 0, 0, 0, 0, dublin), time.Date(2026, 6, 1, 0, 0, 0, 0, dublin), 24 * time.Hour},
		{"new york daily, 23h spring-forward day", "@daily", newYork,
			time.Date(2026, 3, 9, 0, 0, 0, 0, newYork), time.Date(2026, 3, 8, 0, 0, 0, 0, newYork), 23 * time.Hour},
		{"new york daily, 25h fall-back day", "@daily", newYork,
			time.Date(2026, 11, 2, 0, 0, 0, 0, newYork), time.Date(2026, 11, 1, 0, 0, 0, 0, newYork), 25 * time.Hour},
		{"new york daily 08:00 after the change is a full 24h", "0 8 * * *", newYork,
			time.Date(2026, 3, 9, 8, 0, 0, 0, newYork), time.Date(2026, 3, 8, 8, 0, 0, 0, newYork), 24 * time.Hour},
		{"new york daily 08:00 spanning the change", "0 8 * * *", newYork,
			time.Date(2026, 3, 8, 8, 0, 0, 0, newYork), time.Date(2026, 3, 7, 8, 0, 0, 0, newYork), 23 * time.Hour},
		{"dublin weekly Monday 08:00 across spring-forward", "0 8 * * 1", dublin,
			time.Date(2026, 3, 30, 8, 0, 0, 0, dublin), time.Date(2026, 3, 23, 8, 0, 0, 0, dublin), 7*24*time.Hour - time.Hour},
		{"dublin weekly Monday 08:00 across fall-back", "0 8 * * 1", dublin,
			time.Date(2026, 10, 26, 8, 0, 0, 0, dublin), time.Date(2026, 10, 19, 8, 0, 0, 0, dublin), 7*24*time.Hour + time.Hour},
		{"new york @weekly across fall-back", "@weekly", newYork,
			time.Date(2026, 11, 8, 0, 0, 0, 0, newYork), time.Date(2026, 11, 1, 0, 0, 0, 0, newYork), 7*24*time.Hour + time.Hour},
		{"@monthly over leap February 2028", "@monthly", dublin,
			time.Date(2028, 3, 1, 0, 0, 0, 0, dublin), time.Date(2028, 2, 1, 0, 0, 0, 0, dublin), 29 * 24 * time.Hour},
		{"@monthly over February 2027", "@monthly", newYork,
			time.Date(2027, 3, 1, 0, 0, 0, 0, newYork), time.Date(2027, 2, 1, 0, 0, 0, 0, newYork), 28 * 24 * time.Hour},
		{"@monthly over March with spring-forward", "@monthly", dublin,
			time.Date(2026, 4, 1, 0, 0, 0, 0, dublin), time.Date(2026, 3, 1, 0, 0, 0, 0, dublin), 31*24*time.Hour - time.Hour},
		{"day 31 skips 30-day months", "0 9 31 * *", dublin,
			time.Date(2026, 5, 31, 9, 0, 0, 0, dublin), time.Date(2026, 3, 31, 9, 0, 0, 0, dublin), 61 * 24 * time.Hour},
		{"leap day only: previous is four years back", "0 0 29 2 *", dublin,
			time.Date(2028, 2, 29, 0, 0, 0, 0, dublin), time.Date(2024, 2, 29, 0, 0, 0, 0, dublin), 1461 * 24 * time.Hour},
		{"last day of February 2028 at 23:00", "0 23 28,29 2 *", newYork,
			time.Date(2028, 2, 29, 23, 0, 0, 0, newYork), time.Date(2028, 2, 28, 23, 0, 0, 0, newYork), 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.expr, tt.loc, 0)
			require.NoError(t, err)
			// The fire time is one the schedule produces.
			require.True(t, s.Next(tt.fire.Add(-time.Second)).Equal(tt.fire), "fixture fire time: got %s", s.Next(tt.fire.Add(-time.Second)))
			from, to := s.Window(tt.fire)
			assert.True(t, from.Equal(tt.wantFrom), "from %s, want %s", from, tt.wantFrom)
			assert.True(t, to.Equal(tt.fire))
			assert.Equal(t, tt.wantLen, to.Sub(from))
			assert.Equal(t, tt.loc, from.Location(), "windows are in the report's zone")
		})
	}
}

func TestSpringForwardGapDoesNotLoseTheDay(t *testing.T) {
	// 02:30 does not exist in New York on 2026-03-08. Whatever cron picks that day, the
	// windows on either side must tile: no gap, no overlap.
	newYork := zone(t, "America/New_York")
	s, err := Parse("30 2 * * *", newYork, 0)
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 6, 0, 0, 0, 0, newYork)
	prevTo := time.Time{}
	for fire := s.Next(t0); fire.Before(time.Date(2026, 3, 11, 0, 0, 0, 0, newYork)); fire = s.Next(fire) {
		from, to := s.Window(fire)
		if !prevTo.IsZero() {
			assert.True(t, from.Equal(prevTo), "window starting %s follows the previous end %s", from, prevTo)
		}
		prevTo = to
	}
}

func TestExplicitWindow(t *testing.T) {
	s, err := Parse("0 8 * * 1", time.UTC, 24*time.Hour)
	require.NoError(t, err)
	fire := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	from, to := s.Window(fire)
	assert.Equal(t, fire.Add(-24*time.Hour), from)
	assert.Equal(t, fire, to)
}

func TestDueFires(t *testing.T) {
	s, err := Parse("@daily", time.UTC, 0)
	require.NoError(t, err)
	after := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := time.Date(2026, 1, 5, 0, 30, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	assert.Equal(t, []time.Time{day(3), day(4), day(5)}, s.DueFires(after, now, 3), "only the newest limit fires")
	assert.Equal(t, []time.Time{day(2), day(3), day(4), day(5)}, s.DueFires(after, now, 10), "nothing at or before after")
	assert.Equal(t, []time.Time{day(5)}, s.DueFires(after, day(5), 10)[3:], "a fire exactly at now is due")
	assert.Empty(t, s.DueFires(now, now, 3))
}

func TestParseErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"* *":                   `schedule: invalid cron expression "* *": `,
		"@every 1h":             `schedule: "@every 1h": @every has no calendar period`,
		"CRON_TZ=UTC 0 0 * * *": "set the zone with timezone",
		"0 0 30 2 *":            `schedule: "0 0 30 2 *" never fires`,
		"0 0 0 * * *":           `schedule: invalid cron expression "0 0 0 * * *"`,
		"":                      `schedule: invalid cron expression ""`,
	} {
		_, err := Parse(expr, time.UTC, 0)
		if assert.Error(t, err, expr) {
			assert.Contains(t, err.Error(), want)
		}
	}
	for _, expr := range []string{"@daily", "@weekly", "@monthly", "@yearly", "@hourly", "0 8 * * 1-5", "*/15 * * * *"} {
		_, err := Parse(expr, time.UTC, 0)
		assert.NoError(t, err, expr)
	}
}
