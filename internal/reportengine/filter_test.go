package reportengine

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func TestMatcher(t *testing.T) {
	row := audit.Row{Author: "Alice@Acme.test", Category: "Users", Summary: "User created", Outcome: "failure", SourceIP: "10.1.2.3", Description: "Created Bob", Service: "LMS"}
	for _, tc := range []struct {
		f    Filters
		want bool
	}{
		{Filters{}, true},
		{Filters{Authors: []string{"alice@acme.test"}}, true},
		{Filters{Authors: []string{"bob"}}, false},
		{Filters{Categories: []string{"users", "roles"}, Outcomes: []string{"failure"}}, true},
		{Filters{Outcomes: []string{"success"}}, false},
		{Filters{Contains: "BOB"}, true},
		{Filters{Contains: "carol"}, false},
		{Filters{AuthorContains: "alice", SummaryContains: "created", SourceIPContains: "10.1."}, true},
		{Filters{SourceIPContains: "192."}, false},
		{Filters{Services: []string{"web"}}, false},
		{Filters{Services: []string{"web", "lms"}}, true},
	} {
		assert.Equal(t, tc.want, NewMatcher(tc.f).Match(&row), "%+v", tc.f)
	}
	assert.Nil(t, NewMatcher(Filters{}), "no filter, no matcher: every row passes")
}
