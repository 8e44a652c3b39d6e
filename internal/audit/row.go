package audit

import "time"

// Row is one normalised audit event as the report spool stores it and as reports, exports
// and the Loki report source yield it: the report columns, plus the service for filters.
type Row struct {
	Time        time.Time
	Tenant      string
	EventID     string
	Author      string
	Category    string
	Summary     string
	Description string
	Outcome     string
	SourceIP    string
	Target      string
	// Service is the resource's service.name. It is not a column: exports filter on it.
	Service string
}
