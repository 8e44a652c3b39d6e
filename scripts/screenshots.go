//go:build ignore

// Writes the HTML body of a scheduled report email, rendered by internal/reportmail from
// sample events, for scripts/screenshots.sh:
//
//	go run scripts/screenshots.go -out report-email.html
//
// The counts come from a Tally over the sample rows and the file sizes from rendering those
// rows with internal/reportrender, as the audit_reporter extension does; file names follow the
// extension's <report>_<tenant>_<from>.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
)

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func main() {
	out := flag.String("out", "report-email.html", "HTML file to write")
	flag.Parse()

	loc, err := time.LoadLocation("Europe/Dublin")
	if err != nil {
		log.Fatal(err)
	}
	from := time.Date(2026, 11, 16, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 7)
	rows := sampleRows(from, to)

	tally := reportmail.NewTally(0)
	sizes := map[string]int64{}
	for _, format := range []string{reportrender.FormatCSV, reportrender.FormatXLSX} {
		cw := &countWriter{}
		w, err := reportrender.New(format, cw, loc)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range rows {
			if err := w.WriteRow(r); err != nil {
				log.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
		sizes[format] = cw.n
	}
	for _, r := range rows {
		tally.Add(r.Category, r.Summary, r.Author, r.Outcome)
	}

	// Below attach_max_size (10 MiB) both files are attached.
	files := []reportmail.FileRef{
		{Name: "weekly_demo_2026-11-16.csv", Size: sizes[reportrender.FormatCSV]},
		{Name: "weekly_demo_2026-11-16.xlsx", Size: sizes[reportrender.FormatXLSX]},
	}
	s := reportmail.ReportSummary{Title: "Audit report weekly", Tenant: "demo", From: from, To: to, Location: loc, Files: files}
	tally.Fill(&s, 10)
	_, html, err := reportmail.Summary(s)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, []byte(html), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "%s: %d events\n", *out, len(rows))
}

// sampleRows is a week of a small tenant: logins (some failing, one burst against one
// account), user and role changes, settings and content edits.
func sampleRows(from, to time.Time) []audit.Row {
	rng := rand.New(rand.NewPCG(1, 2))
	authors := []string{"alice@demo.example", "bob@demo.example", "carol@demo.example", "dave@demo.example",
		"erin@demo.example", "frank@demo.example", "grace@demo.example", "heidi@demo.example"}
	kinds := []struct {
		category, summary, outcome string
		weight                     int
	}{
		{audit.CategoryAuthentication, "Login", audit.OutcomeSuccess, 40},
		{audit.CategoryAuthentication, "Login failed", audit.OutcomeFailure, 6},
		{audit.CategoryAuthentication, "Logout", audit.OutcomeSuccess, 20},
		{audit.CategoryUsers, "User created", audit.OutcomeSuccess, 4},
		{audit.CategoryUsers, "User updated", audit.OutcomeSuccess, 6},
		{audit.CategoryAccessControl, "Role assigned", audit.OutcomeSuccess, 3},
		{audit.CategorySettings, "Setting changed", audit.OutcomeSuccess, 3},
		{audit.CategoryContent, "Document published", audit.OutcomeSuccess, 10},
		{audit.CategoryCourses, "Course enrolment", audit.OutcomeSuccess, 8},
	}
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	var rows []audit.Row
	span := to.Sub(from)
	for i := range 1400 {
		pick := rng.IntN(total)
		k := kinds[0]
		for _, c := range kinds {
			if pick < c.weight {
				k = c
				break
			}
			pick -= c.weight
		}
		// A few authors do most of the work.
		author := authors[min(rng.IntN(len(authors)), rng.IntN(len(authors)))]
		at := from.Add(time.Duration(rng.Int64N(int64(span))))
		rows = append(rows, audit.Row{
			Time: at, Author: author, Category: k.category, Summary: k.summary, Outcome: k.outcome,
			Description: author + " " + k.summary, SourceIP: fmt.Sprintf("198.51.100.%d", 10+rng.IntN(40)),
			Target: "lms", EventID: fmt.Sprintf("sample-%05d", i), Tenant: "demo",
		})
	}
	// A brute-force burst against one account from one address.
	burst := from.Add(2*24*time.Hour + 3*time.Hour)
	for i := range 60 {
		rows = append(rows, audit.Row{
			Time: burst.Add(time.Duration(i) * 7 * time.Second), Author: "victim@demo.example",
			Category: audit.CategoryAuthentication, Summary: "Login failed", Outcome: audit.OutcomeFailure,
			Description: "victim@demo.example failed to log in", SourceIP: "203.0.113.66", Target: "lms",
			EventID: fmt.Sprintf("burst-%03d", i), Tenant: "demo",
		})
	}
	return rows
}
