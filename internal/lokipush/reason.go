package lokipush // import "github.com/otelcol-audit/otelcol-audit/internal/lokipush"

import (
	"regexp"
	"strconv"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Reasons an entry is refused. They use Loki's own names (loki_discarded_samples_total{reason})
// where Loki has one, so that a refusal found before sending and one answered by Loki read
// alike; they are the reason of a dead-letter record and of the exporter's dead-letter metric.
const (
	ReasonLineTooLong         = "line_too_long"
	ReasonTooFarInFuture      = "too_far_in_future"
	ReasonTooOld              = "greater_than_max_sample_age"
	ReasonTooFarBehind        = "too_far_behind"
	ReasonInvalidLabels       = "invalid_labels"
	ReasonLabelNameTooLong    = "label_name_too_long"
	ReasonLabelValueTooLong   = "label_value_too_long"
	ReasonMaxLabelNames       = "max_label_names_per_series"
	ReasonDuplicateLabelNames = "duplicate_label_names"
	ReasonMetadataTooLarge    = "structured_metadata_too_large"
	ReasonMetadataDisallowed  = "disallowed_structured_metadata"
	ReasonOutOfOrder          = "out_of_order"
	// ReasonNotNormalized: the record lacks the tenant, event id or time the normaliser
	// writes (audit.ReasonNotNormalized).
	ReasonNotNormalized    = audit.ReasonNotNormalized
	ReasonNoOrgID          = "no_org_id"
	ReasonMissingTimestamp = "missing_timestamp"
	// ReasonHTTPPrefix starts the reason of a 4xx whose body names no known reason:
	// http_<code>.
	ReasonHTTPPrefix = "http_"
	// ReasonUnknown is the reason of a refusal outside 4xx that names no known reason.
	ReasonUnknown = "http_4xx"
)

// Reasons returns the fixed set of reasons, besides http_<code>.
func Reasons() []string {
	return []string{
		ReasonLineTooLong, ReasonTooFarInFuture, ReasonTooOld, ReasonTooFarBehind, ReasonInvalidLabels,
		ReasonLabelNameTooLong, ReasonLabelValueTooLong, ReasonMaxLabelNames, ReasonDuplicateLabelNames,
		ReasonMetadataTooLarge, ReasonMetadataDisallowed, ReasonOutOfOrder, ReasonNotNormalized,
		ReasonNoOrgID, ReasonMissingTimestamp,
	}
}

// lokiReasons match the error messages of Loki's validation package to the reason Loki counts
// in loki_discarded_samples_total.
var lokiReasons = []struct {
	re     *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`(?i)max entry size .* exceeded|line too long`), ReasonLineTooLong},
	{regexp.MustCompile(`(?i)timestamp too new`), ReasonTooFarInFuture},
	{regexp.MustCompile(`(?i)too far behind`), ReasonTooFarBehind},
	{regexp.MustCompile(`(?i)timestamp too old`), ReasonTooOld},
	{regexp.MustCompile(`(?i)out of order`), ReasonOutOfOrder},
	{regexp.MustCompile(`(?i)label name too long`), ReasonLabelNameTooLong},
	{regexp.MustCompile(`(?i)label value too long`), ReasonLabelValueTooLong},
	{regexp.MustCompile(`(?i)label names; limit`), ReasonMaxLabelNames},
	{regexp.MustCompile(`(?i)duplicate label name`), ReasonDuplicateLabelNames},
	{regexp.MustCompile(`(?i)structured metadata too large`), ReasonMetadataTooLarge},
	{regexp.MustCompile(`(?i)structured metadata, but this feature is disallowed`), ReasonMetadataDisallowed},
	{regexp.MustCompile(`(?i)error parsing labels|invalid labels`), ReasonInvalidLabels},
	{regexp.MustCompile(`(?i)no org id`), ReasonNoOrgID},
}

// Reason turns a refusal into a bounded reason: Loki's own reason when the body names one,
// else http_<code> for a 4xx, else ReasonUnknown.
func Reason(code int, body string) string {
	for _, r := range lokiReasons {
		if r.re.MatchString(body) {
			return r.reason
		}
	}
	if code >= 400 && code < 500 {
		return ReasonHTTPPrefix + strconv.Itoa(code)
	}
	return ReasonUnknown
}
