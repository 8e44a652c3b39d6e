package reportmail

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTallyAndSummary(t *testing.T) {
	tally := NewTally(2)
	tally.Add("Authentication", "Login", "alice", "success")
	tally.Add("Authentication", "Login failed", "alice", "failure")
	tally.Add("Authentication", "Login", "bob", "failure")
	tally.Add("Users", "User created", "alice", "success")
	tally.Add("Users", "User created", "<script>alert(1)</script>", "success") // third author: not tracked

	loc, err := time.LoadLocation("Europe/Dublin")
	require.NoError(t, err)
	s := ReportSummary{
		Title: "Weekly audit report", Tenant: "acme", Location: loc,
		From: time.Date(2026, 11, 16, 0, 0, 0, 0, loc), To: time.Date(2026, 11, 23, 0, 0, 0, 0, loc),
		Files: []FileRef{
			{Name: "weekly.csv", Size: 1536},
			{Name: "weekly.xlsx", Size: 20 << 20, URL: "https://reports.example/d?sig=a&kid=b", Expires: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		},
	}
	tally.Fill(&s, 5)
	assert.EqualValues(t, 5, s.Total)
	assert.EqualValues(t, 2, s.FailedLogins)
	assert.Equal(t, []Count{{"Authentication", 3}, {"Users", 2}}, s.ByCategory)
	assert.Equal(t, []Count{{"alice", 3}, {"bob", 1}}, s.TopAuthors)

	text, html, err := Summary(s)
	require.NoError(t, err)
	for _, want := range []string{
		"Weekly audit report for tenant acme",
		"Period: 2026-11-16 00:00 GMT (+00:00) to 2026-11-23 00:00 GMT (+00:00)",
		"Total events: 5", "Failed logins: 2", "Authentication: 3", "alice: 3",
		"weekly.csv (1.5 KiB): attached", "weekly.xlsx (20 MiB)", "Download: https://reports.example/d?sig=a&kid=b",
	} {
		assert.Contains(t, text, want)
	}
	assert.Contains(t, html, `<a href="https://reports.example/d?sig=a&amp;kid=b">weekly.xlsx</a>`)
	assert.Contains(t, html, "<td>Authentication</td><td align=\"right\">3</td>")

	s.TopAuthors = []Count{{"<script>alert(1)</script>", 1}}
	_, html, err = Summary(s)
	require.NoError(t, err)
	assert.NotContains(t, html, "<script>")
	assert.Contains(t, html, "&lt;script&gt;")
}

func TestSummaryShowsManifests(t *testing.T) {
	digest := "3f1e0c6b5a4d2e1f00112233445566778899aabbccddeeff0011223344556677"
	s := ReportSummary{
		Title: "Daily audit report", Tenant: "acme",
		From: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC),
		Files: []FileRef{
			{Name: "daily.csv", Size: 10, Manifest: &ManifestRef{Name: "daily.csv.manifest.json", Digest: digest, KeyID: "k2026"}},
			{Name: "daily.xlsx", Size: 10, URL: "https://r.example/x", Expires: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
				Manifest: &ManifestRef{Name: "daily.xlsx.manifest.json", URL: "https://r.example/m", Digest: digest, Previous: "ab12"}},
		},
	}
	text, html, err := Summary(s)
	require.NoError(t, err)
	for _, want := range []string{
		"Manifest: daily.csv.manifest.json, attached", "Manifest SHA-256: " + digest,
		"Previous manifest: none, first of its chain", "Signed with key: k2026",
		"Manifest: daily.xlsx.manifest.json\n    Download: https://r.example/m", "Previous manifest: ab12", "Signed with key: unsigned",
	} {
		assert.Contains(t, text, want)
	}
	assert.Contains(t, html, "<code>"+digest+"</code>")
	assert.Contains(t, html, "<code>k2026</code>")
	assert.Contains(t, html, `<a href="https://r.example/m">daily.xlsx.manifest.json</a>`)
}

func TestSummaryStatesDeadLetteredEvents(t *testing.T) {
	s := ReportSummary{
		Title: "Daily audit report", Tenant: "acme", Total: 10,
		From: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC),
	}
	const missing = "events of this period could not be stored and are missing"
	text, html, err := Summary(s)
	require.NoError(t, err)
	assert.Contains(t, text, "Missing events (could not be stored): 0", "the count is always stated")
	assert.NotContains(t, text, missing)
	assert.NotContains(t, html, missing)

	s.DeadLettered = 3
	text, html, err = Summary(s)
	require.NoError(t, err)
	assert.Contains(t, text, "Missing events (could not be stored): 3")
	assert.Contains(t, text, "3 "+missing+" from this report.")
	assert.Contains(t, html, "<b>3 "+missing+" from this report.</b>")
}
