package lokipush // import "github.com/otelcol-audit/otelcol-audit/internal/lokipush"

import (
	"sort"
	"strings"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/s2"
)

// DefaultPushPath is Loki's push path, appended to a base URL.
const DefaultPushPath = "/loki/api/v1/push"

// URL returns the push URL of endpoint: endpoint as it is when it already names a push path
// (ends in /push), else endpoint joined with pushPath.
func URL(endpoint, pushPath string) string {
	if strings.HasSuffix(endpoint, "/push") {
		return endpoint
	}
	return strings.TrimSuffix(endpoint, "/") + "/" + strings.TrimPrefix(pushPath, "/")
}

// Entry is one log entry and the stream it belongs to.
type Entry struct {
	// Labels is the stream selector, `{a="b", c="d"}`, names sorted.
	Labels string
	// Timestamp is the entry time.
	Timestamp time.Time
	// Line is the log line.
	Line string
	// StructuredMetadata is sent in this order.
	StructuredMetadata push.LabelsAdapter
}

// entryOverhead approximates the protobuf framing of an entry (tags, lengths, timestamp).
const entryOverhead = 32

// Size approximates the entry's share of an uncompressed push request, to split batches
// under a request size limit.
func (e *Entry) Size() int {
	n := len(e.Line) + len(e.Labels) + entryOverhead
	for _, m := range e.StructuredMetadata {
		n += len(m.Name) + len(m.Value) + 4
	}
	return n
}

// NewRequest groups entries into streams by labels. Streams are sorted by labels and the
// entries of a stream keep their order in entries, so that the same entries always encode to
// the same bytes: a retried request is an exact duplicate, which Loki drops.
func NewRequest(entries []Entry) *push.PushRequest {
	idx := map[string]int{}
	var streams []push.Stream
	for i := range entries {
		en := &entries[i]
		s, ok := idx[en.Labels]
		if !ok {
			s = len(streams)
			idx[en.Labels] = s
			streams = append(streams, push.Stream{Labels: en.Labels})
		}
		streams[s].Entries = append(streams[s].Entries, push.Entry{Timestamp: en.Timestamp, Line: en.Line, StructuredMetadata: en.StructuredMetadata})
	}
	sort.SliceStable(streams, func(i, j int) bool { return streams[i].Labels < streams[j].Labels })
	return &push.PushRequest{Streams: streams}
}

// Encode marshals req as protobuf and compresses it with snappy (block format), the body
// Loki expects with Content-Type application/x-protobuf.
func Encode(req *push.PushRequest) ([]byte, error) {
	raw, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	// The fast mode writes the same snappy block format as the "better" mode, at a fraction of
	// the CPU; Loki decodes either.
	return s2.EncodeSnappy(nil, raw), nil
}
