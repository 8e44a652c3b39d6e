package audit

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
)

// MaxEventIDLength bounds event ids. The normaliser never writes a longer one; the spool keeps
// ids as bbolt keys, so the bound is part of the contract.
const MaxEventIDLength = 1024

// ReasonNotNormalized is the reason (metric attribute, dead-letter reason) exporters give a
// record that reached them without the facts the normaliser writes.
const ReasonNotNormalized = "not_normalized"

// ErrNotNormalized is wrapped by RecordFacts when a record lacks a fact the normaliser always
// writes: the record bypassed the normaliser (a pipeline without audit_normalizer).
var ErrNotNormalized = errors.New("record was not normalised")

// Facts are the values the normaliser derives once for every record: the tenant, the event id
// and the event time. Exporters read them through RecordFacts and never derive them again.
type Facts struct {
	Tenant  string
	EventID string
	Time    time.Time
}

// RecordFacts reads a normalised record's facts. A record without a valid tenant, without an
// event id (or with one longer than MaxEventIDLength) or without a timestamp was not
// normalised: the error wraps ErrNotNormalized and names what is missing. Exporters count such
// a record under ReasonNotNormalized and do not guess the missing value.
func RecordFacts(lr plog.LogRecord) (Facts, error) {
	attrs := lr.Attributes()
	var f Facts
	if v, ok := attrs.Get(AttrTenant); ok {
		f.Tenant = v.Str()
	}
	if err := ValidateTenant(f.Tenant); err != nil {
		return f, fmt.Errorf("%w: %s: %w", ErrNotNormalized, AttrTenant, err)
	}
	if v, ok := attrs.Get(AttrEventID); ok {
		f.EventID = v.Str()
	}
	switch {
	case f.EventID == "":
		return f, fmt.Errorf("%w: %s is missing", ErrNotNormalized, AttrEventID)
	case len(f.EventID) > MaxEventIDLength:
		return f, fmt.Errorf("%w: %s is longer than %d bytes", ErrNotNormalized, AttrEventID, MaxEventIDLength)
	}
	if lr.Timestamp() == 0 {
		return f, fmt.Errorf("%w: the record has no timestamp", ErrNotNormalized)
	}
	f.Time = lr.Timestamp().AsTime()
	return f, nil
}
