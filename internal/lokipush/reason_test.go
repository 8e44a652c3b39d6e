package lokipush

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReason(t *testing.T) {
	tests := map[string]string{
		"Max entry size '262144' bytes exceeded for stream '{a=\"b\"}' while adding an entry with length '300000' bytes": ReasonLineTooLong,
		"entry with timestamp 2020-01-01 ignored, reason: 'entry too far behind, entry timestamp is: x'":                 ReasonTooFarBehind,
		"entry for stream '{a=\"b\"}' has timestamp too old: 2020-01-01, oldest acceptable timestamp is: 2024-01-01":     ReasonTooOld,
		"stream '{a=\"b\"}' has label value too long: 'xxx'":                                                             ReasonLabelValueTooLong,
		"stream '{a=\"b\"}' has 16 label names; limit 15":                                                                ReasonMaxLabelNames,
		"error parsing labels '{a=b}' with error: parse error":                                                           ReasonInvalidLabels,
		"stream '{a=\"b\"}' includes structured metadata, but this feature is disallowed. Please see":                    ReasonMetadataDisallowed,
		"something else": "http_400",
	}
	for body, want := range tests {
		assert.Equal(t, want, Reason(http.StatusBadRequest, body), body)
	}
	assert.Equal(t, ReasonNoOrgID, Reason(http.StatusUnauthorized, "no org id\n"))
	assert.Equal(t, ReasonUnknown, Reason(http.StatusMultipleChoices, "moved"), "a refusal outside 4xx")
}

func TestReasonsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		assert.False(t, seen[r], r)
		seen[r] = true
	}
}
