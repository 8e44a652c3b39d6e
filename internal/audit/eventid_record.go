package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// HashRecordEventID is HashEventID for an event carried by a log record's fields rather than
// by one raw payload (OpenTelemetry semantic-convention events): it hashes the source, the
// timestamp, the event name, the body and the attributes (keys sorted). Attributes under
// "audit." are skipped, so that a normalised record hashes like the record it came from.
func HashRecordEventID(source string, timestampUnixNano int64, eventName string, body pcommon.Value, attrs pcommon.Map) string {
	var bufArr [512]byte
	buf := appendString(bufArr[:0], source)
	buf = strconv.AppendInt(buf, timestampUnixNano, 10)
	buf = appendString(buf, eventName)
	buf = appendCanonical(buf, body)
	var keysArr [32]string
	keys := keysArr[:0]
	attrs.Range(func(k string, _ pcommon.Value) bool {
		if !strings.HasPrefix(k, "audit.") {
			keys = append(keys, k)
		}
		return true
	})
	sort.Strings(keys)
	buf = strconv.AppendInt(append(buf, '{'), int64(len(keys)), 10)
	for _, k := range keys {
		v, _ := attrs.Get(k)
		buf = appendCanonical(appendString(buf, k), v)
	}
	buf = append(buf, '}')
	sum := sha256.Sum256(buf)
	return "h-" + hex.EncodeToString(sum[:16])
}
