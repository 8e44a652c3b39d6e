package lokipush // import "github.com/otelcol-audit/otelcol-audit/internal/lokipush"

import (
	"bytes"
	"sort"
	"strings"
	"sync"
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
	// Two passes: count each stream's entries, then fill one array that every stream's
	// entries are a slice of, instead of growing a slice per stream.
	idx := map[string]int{}
	var streams []push.Stream
	of := make([]int, len(entries))
	var counts []int
	for i := range entries {
		s, ok := idx[entries[i].Labels]
		if !ok {
			s = len(streams)
			idx[entries[i].Labels] = s
			streams = append(streams, push.Stream{Labels: entries[i].Labels})
			counts = append(counts, 0)
		}
		of[i] = s
		counts[s]++
	}
	all := make([]push.Entry, len(entries))
	next := 0
	for s := range streams {
		streams[s].Entries = all[next : next : next+counts[s]]
		next += counts[s]
	}
	for i := range entries {
		en := &entries[i]
		s := &streams[of[i]]
		s.Entries = append(s.Entries, push.Entry{Timestamp: en.Timestamp, Line: en.Line, StructuredMetadata: en.StructuredMetadata})
	}
	sort.SliceStable(streams, func(i, j int) bool { return streams[i].Labels < streams[j].Labels })
	return &push.PushRequest{Streams: streams}
}

// maxPooledBuffer bounds the encoding buffers kept for reuse, so that one huge request does not
// pin its buffers.
const maxPooledBuffer = 16 << 20

// bufferPool holds the scratch buffers of Encode: the protobuf and the compressed block are
// only needed until the compressed bytes are copied out at their exact size.
var bufferPool = sync.Pool{New: func() any { return new([]byte) }}

func getBuffer(size int) *[]byte {
	b := bufferPool.Get().(*[]byte)
	if cap(*b) < size {
		*b = make([]byte, size)
	}
	*b = (*b)[:size]
	return b
}

func putBuffer(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		bufferPool.Put(b)
	}
}

// Encode marshals req as protobuf and compresses it with snappy (block format), the body
// Loki expects with Content-Type application/x-protobuf.
func Encode(req *push.PushRequest) ([]byte, error) {
	size := req.Size()
	rawBuf := getBuffer(size)
	defer putBuffer(rawBuf)
	n, err := req.MarshalToSizedBuffer(*rawBuf)
	if err != nil {
		return nil, err
	}
	raw := (*rawBuf)[size-n:]
	// The fast mode writes the same snappy block format as the "better" mode, at a fraction of
	// the CPU; Loki decodes either.
	maxLen := s2.MaxEncodedLen(len(raw))
	if maxLen < 0 {
		return nil, s2.ErrTooLarge
	}
	dstBuf := getBuffer(maxLen)
	defer putBuffer(dstBuf)
	return bytes.Clone(s2.EncodeSnappy(*dstBuf, raw)), nil
}
