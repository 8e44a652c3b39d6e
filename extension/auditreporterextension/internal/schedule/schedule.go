// Package schedule computes a report's fire times and the periods they cover, in the report's
// time zone, from a cron expression.
package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	// The IANA database is compiled in so that report zones work on minimal images that
	// have no /usr/share/zoneinfo.
	_ "time/tzdata"
)

// maxPeriod bounds the search for a previous fire time: cron itself looks at most five
// years ahead (0 0 29 2 * fires every four).
const maxPeriod = 5 * 366 * 24 * time.Hour

// Schedule computes fire times and report windows in one zone.
type Schedule struct {
	spec   cron.Schedule
	loc    *time.Location
	window time.Duration
}

// Location returns the schedule's zone.
func (s *Schedule) Location() *time.Location { return s.loc }

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse parses a 5-field cron expression or a descriptor (@daily, @weekly, @monthly,
// @yearly, @hourly) evaluated in loc. window, when positive, fixes the period a run covers;
// zero means the previous schedule period. Errors start with "schedule: ".
func Parse(expr string, loc *time.Location, window time.Duration) (*Schedule, error) {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("schedule: %q: set the zone with timezone, not in the expression", expr)
	}
	if strings.HasPrefix(expr, "@every") {
		return nil, fmt.Errorf("schedule: %q: @every has no calendar period; use a cron expression", expr)
	}
	spec, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("schedule: invalid cron expression %q: %w", expr, err)
	}
	ss, ok := spec.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("schedule: %q is not a calendar schedule", expr)
	}
	ss.Location = loc
	s := &Schedule{spec: ss, loc: loc, window: window}
	// cron returns the zero time for expressions that never fire (0 0 30 2 *).
	ref := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
	if s.Next(ref).IsZero() {
		return nil, fmt.Errorf("schedule: %q never fires", expr)
	}
	return s, nil
}

// Next returns the first fire time strictly after t, or the zero time.
func (s *Schedule) Next(t time.Time) time.Time {
	return s.spec.Next(t.In(s.loc))
}

// Prev returns the last fire time strictly before t. cron only walks forward, so this steps
// back by growing amounts until a fire time is found and then walks forward to the last one
// before t.
func (s *Schedule) Prev(t time.Time) (time.Time, bool) {
	for d := time.Minute; d <= 2*maxPeriod; d *= 2 {
		x := s.Next(t.Add(-d))
		if x.IsZero() || !x.Before(t) {
			continue
		}
		for {
			y := s.Next(x)
			if y.IsZero() || !y.Before(t) {
				return x, true
			}
			x = y
		}
	}
	return time.Time{}, false
}

// Window returns the half-open period [from, to) a run firing at fire covers: the
// previous schedule period by default, so that a daily report on a 23- or 25-hour local day
// covers that whole day; or window before fire when set.
func (s *Schedule) Window(fire time.Time) (from, to time.Time) {
	if s.window > 0 {
		return fire.Add(-s.window), fire
	}
	p, ok := s.Prev(fire)
	if !ok {
		return fire.Add(-24 * time.Hour), fire
	}
	return p, fire
}

// DueFires returns, oldest first, the fire times in (after, now], at most limit of them,
// the most recent ones.
func (s *Schedule) DueFires(after, now time.Time, limit int) []time.Time {
	var out []time.Time
	t := now.Add(time.Nanosecond)
	for len(out) < limit {
		p, ok := s.Prev(t)
		if !ok || !p.After(after) {
			break
		}
		out = append(out, p)
		t = p
	}
	slices.Reverse(out)
	return out
}
