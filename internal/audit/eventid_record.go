package audit

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// HashRecordEventID is HashEventID for an event carried by a log record's fields rather than
// by one raw payload (OpenTelemetry semantic-convention events): it hashes the source, the
// timestamp, the event name, the body and the attributes (keys sorted). Attributes under
// "audit." are skipped, so that a normalised record hashes like the record it came from.
func HashRecordEventID(source string, timestampUnixNano int64, eventName string, body pcommon.Value, attrs pcommon.Map) string {
	bp := getHashBuf()
	buf := appendString(*bp, source)
	buf = strconv.AppendInt(buf, timestampUnixNano, 10)
	buf = appendString(buf, eventName)
	buf = appendCanonical(buf, body)
	buf = appendMap(buf, attrs, true, 0)
	return finishID(bp, buf)
}
