package inflight

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

var errMalformed = errors.New("malformed protobuf")

// CountOTLPItems counts the innermost items (log records, spans or metrics) of a protobuf
// OTLP export request without decoding it: logs, traces and metrics share the nesting
// request{1: resource{2: scope{2: item}}}. It stops counting at limit+1, so that a hostile
// body costs no more than the walk. A malformed body returns an error; the receiver's own
// decoder then answers it.
func CountOTLPItems(body []byte, limit int) (int, error) {
	n := 0
	err := eachField(body, 1, func(resource []byte) error {
		return eachField(resource, 2, func(scope []byte) error {
			return eachField(scope, 2, func([]byte) error {
				n++
				if n > limit {
					return errStop
				}
				return nil
			})
		})
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return n, err
}

var errStop = errors.New("stop")

// eachField calls fn with the payload of every length-delimited field numbered num.
func eachField(b []byte, num protowire.Number, fn func([]byte) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return errMalformed
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return errMalformed
			}
			if err := fn(v); err != nil {
				return err
			}
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return errMalformed
		}
		b = b[l:]
	}
	return nil
}

// CountJSONNodes counts the objects and arrays of a JSON text without decoding it, stopping at
// limit+1. Brackets inside strings do not count. It bounds what a decoder would allocate for
// deep nesting and for many tiny objects alike.
func CountJSONNodes(body []byte, limit int) int {
	n := 0
	inString, escaped := false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			n++
			if n > limit {
				return n
			}
		}
	}
	return n
}
