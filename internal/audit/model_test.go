package audit

import (
	"strings"
	"testing"
)

func TestNormalizeOutcome(t *testing.T) {
	for in, want := range map[string]string{
		"success": OutcomeSuccess, "SUCCESS": OutcomeSuccess, "Successful": OutcomeSuccess, "Allow": OutcomeSuccess,
		"ok": OutcomeSuccess, "True": OutcomeSuccess, "PASSED": OutcomeSuccess,
		"FAILURE": OutcomeFailure, "Denied": OutcomeFailure, "error": OutcomeFailure, "Blocked": OutcomeFailure,
		"": OutcomeUnknown, "unknown": OutcomeUnknown, "successfully": OutcomeUnknown, " success": OutcomeUnknown,
		"succès": OutcomeUnknown, strings.Repeat("x", 1000): OutcomeUnknown,
	} {
		if got := NormalizeOutcome(in); got != want {
			t.Errorf("NormalizeOutcome(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeOutcomeDoesNotAllocate(t *testing.T) {
	for _, in := range []string{"SUCCESS", "Denied", "Unknown-Value"} {
		if n := testing.AllocsPerRun(100, func() { _ = NormalizeOutcome(in) }); n != 0 {
			t.Errorf("NormalizeOutcome(%q): %v allocations", in, n)
		}
	}
}
