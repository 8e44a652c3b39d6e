package lokiqueries

// What Grafana does to a Loki query before it reaches Loki: template variables are replaced
// in the browser (templateSrv, with the variable's format), then the Loki datasource's backend
// replaces the interval and range variables and picks the step. This file reproduces both for
// the variable types and formats the generated dashboards use, and fails on anything else, so
// that a new kind of variable cannot slip through unexpanded.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// dashboard is the part of a dashboard JSON the queries depend on.
type dashboard struct {
	path      string
	title     string
	timeFrom  string
	variables []variable
	targets   []target
}

type variable struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Query      any    `json:"query"`
	IncludeAll bool   `json:"includeAll"`
	Multi      bool   `json:"multi"`
	AllValue   string `json:"allValue"`
	// hasAllValue tells an absent allValue from an empty one.
	hasAllValue bool
}

// target is one Loki query of a panel.
type target struct {
	panel string
	// maxDataPoints and minInterval are the panel's query options, when set.
	maxDataPoints int
	minInterval   string
	Expr          string `json:"expr"`
	QueryType     string `json:"queryType"`
	Instant       bool   `json:"instant"`
	MaxLines      int    `json:"maxLines"`
	Direction     string `json:"direction"`
	Step          string `json:"step"`
	// LegendFormat names the labels of each series: {{category}}.
	LegendFormat string `json:"legendFormat"`
	// Datasource is the target's own datasource, or the panel's.
	Datasource struct {
		Type string `json:"type"`
	} `json:"datasource"`
}

// instant reports whether Grafana sends the target to Loki's instant query endpoint.
func (tg target) instant() bool {
	if tg.QueryType != "" {
		return tg.QueryType == "instant"
	}
	return tg.Instant
}

// loadDashboards reads every generated dashboard under dashboards/grafana/.
func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(testharness.RepoRoot(), "dashboards", "grafana", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	out := make([]dashboard, 0, len(paths))
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		out = append(out, parseDashboard(t, filepath.Base(path), raw))
	}
	return out
}

func parseDashboard(t *testing.T, name string, raw []byte) dashboard {
	t.Helper()
	var doc struct {
		Title string `json:"title"`
		Time  struct {
			From string `json:"from"`
		} `json:"time"`
		Templating struct {
			List []json.RawMessage `json:"list"`
		} `json:"templating"`
		Panels []json.RawMessage `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc), name)
	d := dashboard{path: name, title: doc.Title, timeFrom: doc.Time.From}
	for _, rawVar := range doc.Templating.List {
		var v variable
		require.NoError(t, json.Unmarshal(rawVar, &v), name)
		var fields map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(rawVar, &fields), name)
		_, v.hasAllValue = fields["allValue"]
		d.variables = append(d.variables, v)
	}
	var walk func(panels []json.RawMessage)
	walk = func(panels []json.RawMessage) {
		for _, rawPanel := range panels {
			var p struct {
				Type    string            `json:"type"`
				Title   string            `json:"title"`
				Panels  []json.RawMessage `json:"panels"`
				Targets []json.RawMessage `json:"targets"`
				// Query options: Grafana divides the range by maxDataPoints (else the panel's
				// width) and keeps the interval at least at interval.
				MaxDataPoints int    `json:"maxDataPoints"`
				Interval      string `json:"interval"`
				Datasource    struct {
					Type string `json:"type"`
				} `json:"datasource"`
			}
			require.NoError(t, json.Unmarshal(rawPanel, &p), name)
			walk(p.Panels) // rows
			for _, rawTarget := range p.Targets {
				tg := target{panel: p.Title, maxDataPoints: p.MaxDataPoints, minInterval: p.Interval}
				require.NoError(t, json.Unmarshal(rawTarget, &tg), name)
				if tg.Datasource.Type == "" {
					tg.Datasource.Type = p.Datasource.Type
				}
				if tg.Datasource.Type == "loki" {
					d.targets = append(d.targets, tg)
				}
			}
		}
	}
	walk(doc.Panels)
	return d
}

// timeRange is a dashboard time range as Grafana resolves it.
type timeRange struct {
	from, to time.Time
}

func (r timeRange) duration() time.Duration { return r.to.Sub(r.from) }

// relativeRange resolves "now-24h" style starts; only now-<n><unit> is supported.
func relativeRange(t *testing.T, from string, now time.Time) timeRange {
	t.Helper()
	m := regexp.MustCompile(`^now-(\d+)([smhdw])$`).FindStringSubmatch(from)
	require.NotNil(t, m, "time.from %q is not now-<n><unit>", from)
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	return timeRange{from: now.Add(-time.Duration(n) * unit), to: now}
}

// panelMaxDataPoints stands for the width in pixels of a panel, which is what Grafana divides
// the time range by when the panel sets no maxDataPoints.
const panelMaxDataPoints = 1000

// roundInterval is Grafana's rangeutil.roundInterval: the interval it derives from the time
// range and the number of data points, rounded to a readable value.
func roundInterval(d time.Duration) time.Duration {
	steps := []struct{ below, to time.Duration }{
		{15 * time.Millisecond, 10 * time.Millisecond},
		{35 * time.Millisecond, 20 * time.Millisecond},
		{75 * time.Millisecond, 50 * time.Millisecond},
		{150 * time.Millisecond, 100 * time.Millisecond},
		{350 * time.Millisecond, 200 * time.Millisecond},
		{750 * time.Millisecond, 500 * time.Millisecond},
		{1500 * time.Millisecond, time.Second},
		{3500 * time.Millisecond, 2 * time.Second},
		{7500 * time.Millisecond, 5 * time.Second},
		{12500 * time.Millisecond, 10 * time.Second},
		{17500 * time.Millisecond, 15 * time.Second},
		{25 * time.Second, 20 * time.Second},
		{45 * time.Second, 30 * time.Second},
		{90 * time.Second, time.Minute},
		{210 * time.Second, 2 * time.Minute},
		{450 * time.Second, 5 * time.Minute},
		{750 * time.Second, 10 * time.Minute},
		{1050 * time.Second, 15 * time.Minute},
		{1500 * time.Second, 20 * time.Minute},
		{2700 * time.Second, 30 * time.Minute},
		{5400 * time.Second, time.Hour},
		{9000 * time.Second, 2 * time.Hour},
		{16200 * time.Second, 3 * time.Hour},
		{32400 * time.Second, 6 * time.Hour},
		{24 * time.Hour, 12 * time.Hour},
		{7 * 24 * time.Hour, 24 * time.Hour},
		{14 * 24 * time.Hour, 7 * 24 * time.Hour},
		{30 * 24 * time.Hour, 30 * 24 * time.Hour},
	}
	for _, s := range steps {
		if d < s.below {
			return s.to
		}
	}
	return 365 * 24 * time.Hour
}

// formatInterval is Grafana's gtime.FormatInterval: the largest whole unit.
func formatInterval(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d >= 365*day:
		return fmt.Sprintf("%dy", d/(365*day))
	case d >= day:
		return fmt.Sprintf("%dd", d/day)
	case d >= time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d >= time.Second:
		return fmt.Sprintf("%ds", d/time.Second)
	case d >= time.Millisecond:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	}
	return "1ms"
}

// lokiRequest is what the Loki datasource sends for one target.
type lokiRequest struct {
	expr    string
	instant bool
	// step is the query_range step; interval the $__interval it was derived from.
	step, interval time.Duration
	rng            timeRange
	limit          int
	direction      string
}

// interpolateBuiltins replaces the interval and range variables as the Loki datasource's
// backend does (pkg/tsdb/loki: interpolateVariables, calculateStep), with the interval the
// browser derived from the range (rangeutil.calculateInterval).
func interpolateBuiltins(tg target, expr string, rng timeRange) (lokiRequest, error) {
	points := panelMaxDataPoints
	if tg.maxDataPoints > 0 {
		points = tg.maxDataPoints
	}
	interval := roundInterval(rng.duration() / time.Duration(points))
	if tg.minInterval != "" {
		lowest, err := time.ParseDuration(tg.minInterval)
		if err != nil {
			return lokiRequest{}, fmt.Errorf("panel interval %q is not reproduced by this test: %w", tg.minInterval, err)
		}
		interval = max(interval, lowest)
	}
	step := max(interval, rng.duration()/11000)
	if tg.Step != "" {
		// A query's own step replaces the computed one (resolution 1).
		fixed, err := time.ParseDuration(tg.Step)
		if err != nil {
			return lokiRequest{}, fmt.Errorf("query step %q is not reproduced by this test: %w", tg.Step, err)
		}
		step = fixed
	}
	step = time.Duration(math.Ceil(float64(step)/float64(time.Millisecond))) * time.Millisecond
	rangeS := strconv.FormatInt(int64(math.Round(float64(rng.duration().Milliseconds())/1000)), 10)
	auto := formatInterval(step)
	if tg.instant() {
		auto = rangeS + "s"
	}
	expr = strings.NewReplacer(
		"${__interval_ms}", strconv.FormatInt(interval.Milliseconds(), 10),
		"$__interval_ms", strconv.FormatInt(interval.Milliseconds(), 10),
		"${__interval}", formatInterval(interval),
		"$__interval", formatInterval(interval),
		"${__range_ms}", strconv.FormatInt(rng.duration().Milliseconds(), 10),
		"$__range_ms", strconv.FormatInt(rng.duration().Milliseconds(), 10),
		"${__range_s}", rangeS,
		"$__range_s", rangeS,
		"${__range}", rangeS+"s",
		"$__range", rangeS+"s",
		"$__auto", auto,
	).Replace(expr)
	direction := tg.Direction
	if direction == "" {
		direction = "backward"
	}
	limit := tg.MaxLines
	if limit == 0 {
		limit = 1000 // the datasource's default maxLines
	}
	return lokiRequest{expr: expr, instant: tg.instant(), step: step, interval: interval, rng: rng, limit: limit, direction: direction}, nil
}

// selection is the value of one variable: allSelected, a list of chosen values, or the text
// of a text box.
type selection struct {
	all    bool
	values []string
}

var allSelected = selection{all: true}

func pick(values ...string) selection { return selection{values: values} }

// regexEscape is Grafana's kbn.regexEscape.
var regexSpecial = regexp.MustCompile(`[\\^$*+?.()|\[\]{}/]`)

func regexEscape(s string) string { return regexSpecial.ReplaceAllString(s, `\$0`) }

// formatRegex is Grafana's "regex" variable format: each value escaped, several values as
// (a|b|c).
func formatRegex(values []string) string {
	escaped := make([]string, len(values))
	for i, v := range values {
		escaped[i] = regexEscape(v)
	}
	if len(escaped) == 1 {
		return escaped[0]
	}
	return "(" + strings.Join(escaped, "|") + ")"
}

var variableRef = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\}|\[\[([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\]\]|\$([A-Za-z0-9_]+)`)

// interpolateVariables replaces the dashboard variables of expr as Grafana's templateSrv
// does. options are the values a query variable offers (what "All" stands for); chosen are
// the selections. Variables starting with __ are left to interpolateBuiltins.
func interpolateVariables(expr string, vars []variable, options, chosen map[string][]string, all map[string]bool) (string, error) {
	byName := map[string]variable{}
	for _, v := range vars {
		byName[v.Name] = v
	}
	var failure error
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name, format := m[1]+m[3]+m[5], m[2]+m[4]
		if strings.HasPrefix(name, "__") {
			return ref
		}
		v, ok := byName[name]
		if !ok {
			failure = fmt.Errorf("%s: no such variable", ref)
			return ref
		}
		var values []string
		switch {
		case all[name] && v.AllValue != "":
			values = []string{v.AllValue}
		case all[name]:
			values = options[name]
			if len(values) == 0 {
				failure = fmt.Errorf("%s: \"All\" of a variable without values", ref)
			}
		default:
			values = chosen[name]
		}
		if values == nil {
			values = []string{""}
		}
		switch format {
		case "regex":
			if all[name] && v.AllValue != "" {
				return v.AllValue // a custom all value is inserted as it is
			}
			return formatRegex(values)
		default:
			failure = fmt.Errorf("%s: format %q is not reproduced by this test; add it to interpolateVariables", ref, format)
			return ref
		}
	})
	if failure != nil {
		return "", failure
	}
	return out, nil
}

// leftoverVariable finds a variable reference left in a fully expanded query; a regex's
// own $ anchor or an escaped \$ is not one.
var leftoverVariable = regexp.MustCompile(`(?:^|[^\\])(\$[A-Za-z_{]|\[\[[A-Za-z_])`)

func TestGrafanaInterpolation(t *testing.T) {
	vars := []variable{
		{Name: "category", Type: "query", IncludeAll: true, Multi: true},
		{Name: "author", Type: "textbox"},
		{Name: "custom", Type: "query", IncludeAll: true, AllValue: ".+"},
	}
	options := map[string][]string{"category": {"Access control", "Audit log", "Users"}, "custom": {"a"}}
	expr := "{category=~`${category:regex}`} | author=~`(?i).*${author:regex}.*` [$__interval]"

	for name, tc := range map[string]struct {
		chosen map[string][]string
		all    map[string]bool
		want   string
	}{
		"all and empty text": {
			all:  map[string]bool{"category": true},
			want: "{category=~`(Access control|Audit log|Users)`} | author=~`(?i).*.*` [$__interval]",
		},
		"one value and escaped text": {
			chosen: map[string][]string{"category": {"Users"}, "author": {"bob.smith+x@example.com"}},
			want:   "{category=~`Users`} | author=~`(?i).*bob\\.smith\\+x@example\\.com.*` [$__interval]",
		},
		"two values": {
			chosen: map[string][]string{"category": {"Users", "Audit log"}},
			want:   "{category=~`(Users|Audit log)`} | author=~`(?i).*.*` [$__interval]",
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := interpolateVariables(expr, vars, options, tc.chosen, tc.all)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}

	got, err := interpolateVariables("{c=~`${custom:regex}`}", vars, options, nil, map[string]bool{"custom": true})
	require.NoError(t, err)
	assert.Equal(t, "{c=~`.+`}", got, "a custom all value is inserted unescaped")

	for _, bad := range []string{"{a=~`${nope:regex}`}", "{a=~`${author:csv}`}", "{a=`$author`}"} {
		_, err := interpolateVariables(bad, vars, options, nil, nil)
		assert.Error(t, err, bad)
	}
	assert.True(t, leftoverVariable.MatchString("{a=`$__rate_interval`}"))
	assert.True(t, leftoverVariable.MatchString("{a=`[[x]]`}"))
	assert.False(t, leftoverVariable.MatchString("{a=~`^x$`} | b=~`\\$y`"))

	day := timeRange{from: time.Unix(0, 0), to: time.Unix(86400, 0)}
	hour := timeRange{from: time.Unix(0, 0), to: time.Unix(3600, 0)}
	for name, tc := range map[string]struct {
		tg        target
		expr      string
		rng       timeRange
		want      string
		wantStep  time.Duration
		wantError bool
	}{
		"a day": {
			tg: target{QueryType: "range"}, rng: day,
			expr: "count_over_time({a=\"b\"} [$__interval]) [$__range] [${__range_s}] [$__auto] $__interval_ms",
			want: "count_over_time({a=\"b\"} [1m]) [86400s] [86400] [1m] 60000", wantStep: time.Minute,
		},
		"instant auto is the range": {tg: target{QueryType: "instant"}, rng: day, expr: "[$__auto]", want: "[86400s]", wantStep: time.Minute},
		"an hour":                   {rng: hour, expr: "[$__interval]", want: "[5s]", wantStep: 5 * time.Second},
		"fewer data points":         {tg: target{maxDataPoints: 100}, rng: hour, expr: "[$__interval]", want: "[30s]", wantStep: 30 * time.Second},
		"minimum interval":          {tg: target{minInterval: "1m"}, rng: hour, expr: "[$__interval]", want: "[1m]", wantStep: time.Minute},
		"query step":                {tg: target{Step: "2m"}, rng: hour, expr: "[$__interval]", want: "[5s]", wantStep: 2 * time.Minute},
		"grafana duration syntax":   {tg: target{minInterval: "1d"}, rng: hour, wantError: true},
	} {
		t.Run(name, func(t *testing.T) {
			req, err := interpolateBuiltins(tc.tg, tc.expr, tc.rng)
			if tc.wantError {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, req.expr)
			assert.Equal(t, tc.wantStep, req.step)
		})
	}
}

// TestNoVariableMatchesEverythingByAllValue: Loki refuses a stream selector whose matchers
// all match the empty string, so a custom allValue such as ".*" would break every panel on
// "All". Grafana's default "All" (every value, as (a|b|c)) is what the dashboards rely on.
func TestNoVariableMatchesEverythingByAllValue(t *testing.T) {
	dashboards := loadDashboards(t)
	var checked int
	for _, d := range dashboards {
		for _, v := range d.variables {
			if !v.IncludeAll {
				continue
			}
			checked++
			if !v.hasAllValue || v.AllValue == "" {
				continue
			}
			re, err := regexp.Compile("^(?:" + v.AllValue + ")$")
			if assert.NoError(t, err, "%s variable %s allValue", d.path, v.Name) {
				assert.False(t, re.MatchString(""), "%s variable %s: allValue %q matches the empty string; Loki refuses such selectors", d.path, v.Name, v.AllValue)
			}
		}
	}
	assert.Positive(t, checked, "no variable with \"All\" found")
}
