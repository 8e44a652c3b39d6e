package auditnormalizerprocessor

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/envelope"
)

// Envelope labels of lists that have no key of their own, besides the envelope shapes.
const (
	// envelopeJSONArray is a JSON array of events: a slice body, or its JSON text.
	envelopeJSONArray = "json_array"
	// envelopeJSONLines is NDJSON, or JSON objects one after another, in a string body.
	envelopeJSONLines = "json_lines"
)

// envelopeLabels are the values of the envelopes metric's envelope attribute.
var envelopeLabels = func() []string {
	labels := make([]string, 0, len(envelope.MultiShapes)+2)
	for _, s := range envelope.MultiShapes {
		labels = append(labels, s.String())
	}
	return append(labels, envelopeJSONArray, envelopeJSONLines)
}()

// envelopeSplit tells what to do with a record whose body may hold several events.
type envelopeSplit struct {
	// kind is the envelope label when the record is to be split, else "".
	kind string
	// events are the events, every one a map, when kind is set.
	events pcommon.Slice
	// tooLarge is set when the body is an envelope of more than max_events_per_record events:
	// the record is normalised whole, with the reason envelope_too_large.
	tooLarge bool
}

// readEvents reads the record's raw event, and tells whether its body is an envelope of
// events to split into one record per event. Envelopes are recognised only in the body of a
// record not normalised before (one with audit.original holds one event already):
//   - an envelope of events with a key (envelope.Open): CloudTrail Records, Azure records, a
//     Kubernetes EventList, an Okta event hook; as a map body or the JSON text of one;
//   - a list without a key: a slice body, the JSON text of an array, NDJSON, or JSON objects
//     one after another. Its elements must all be objects that map with one profile: the one
//     audit.source or the profile setting pins, else the same detected profile for every
//     element (a GitHub audit-log page, a batch of Okta events).
//
// A record of any other kind costs what it did before: the check is a type switch, and for a
// map one walk of its top-level keys.
func (n *normalizer) readEvents(lr plog.LogRecord) (rawEvent, envelopeSplit) {
	body := lr.Body()
	// The JSON text of an array is tried before the body is read as one event, which would
	// take the array's first object for an event after a log prefix.
	if body.Type() == pcommon.ValueTypeStr && firstNonSpace(body.Str()) == '[' && !has(lr.Attributes(), audit.AttrOriginal) {
		if sp, ok := n.splitText(body.Str(), '[', lr.Attributes()); ok {
			return rawEvent{value: body}, sp
		}
	}
	raw := readRawEvent(lr)
	if raw.fromOriginal {
		return raw, envelopeSplit{}
	}
	switch {
	case raw.hasSrc && !raw.srcIsAttrs:
		shape, v := envelope.Open(raw.src)
		if shape.Multi() {
			return raw, n.bound(shape.String(), v.Slice())
		}
		raw.plain = shape == envelope.None
	case raw.value.Type() == pcommon.ValueTypeSlice:
		list := raw.value.Slice()
		if list.Len() > n.cfg.MaxEventsPerRecord && allMaps(list) {
			return raw, envelopeSplit{tooLarge: true}
		}
		if n.oneProfile(list, lr.Attributes()) {
			return raw, n.bound(envelopeJSONArray, list)
		}
	case raw.unparsable && raw.value.Type() == pcommon.ValueTypeStr && firstNonSpace(raw.value.Str()) == '{':
		sp, _ := n.splitText(raw.value.Str(), '{', lr.Attributes())
		return raw, sp
	}
	return raw, envelopeSplit{}
}

// bound splits list unless it is empty (nothing to split: the record stays whole) or holds
// more than max_events_per_record events.
func (n *normalizer) bound(kind string, list pcommon.Slice) envelopeSplit {
	switch {
	case list.Len() == 0:
		return envelopeSplit{}
	case list.Len() > n.cfg.MaxEventsPerRecord:
		return envelopeSplit{tooLarge: true}
	}
	return envelopeSplit{kind: kind, events: list}
}

// splitText reads a string body as a list of events: a JSON array (open '[') or JSON objects
// one after another (open '{', at least two). The objects are counted on the bytes before
// anything is decoded, so that a body beyond the bound costs a scan, not a tree. It reports
// false when the text is not such a list.
func (n *normalizer) splitText(s string, open byte, attrs pcommon.Map) (envelopeSplit, bool) {
	count := countObjects(s, open, n.cfg.MaxEventsPerRecord)
	switch {
	case count == 0 || (open == '{' && count < 2):
		return envelopeSplit{}, false
	case count > n.cfg.MaxEventsPerRecord:
		return envelopeSplit{tooLarge: true}, true
	}
	list, ok := decodeObjects(s, open, count)
	if !ok || !n.oneProfile(list, attrs) {
		return envelopeSplit{}, false
	}
	return envelopeSplit{kind: textLabel(open), events: list}, true
}

func textLabel(open byte) string {
	if open == '[' {
		return envelopeJSONArray
	}
	return envelopeJSONLines
}

// oneProfile reports whether every element of list is an object, and all map with one
// profile: the pinned one, else one detected in each element (inside its single-event
// envelope, such as a Splunk HEC one).
func (n *normalizer) oneProfile(list pcommon.Slice, attrs pcommon.Map) bool {
	if list.Len() == 0 {
		return false
	}
	pin, conventional := n.pinnedProfile(attrs)
	if pin == profileOTel {
		// The otel profile reads the record, not its body.
		return false
	}
	pinned := pin >= 0 || conventional
	want := -1
	for i := 0; i < list.Len(); i++ {
		e := list.At(i)
		if e.Type() != pcommon.ValueTypeMap {
			return false
		}
		if pinned {
			continue
		}
		p := n.detectEvent(unwrapEnvelope(e.Map()))
		if p < 0 || (want >= 0 && p != want) {
			return false
		}
		want = p
	}
	return true
}

func allMaps(list pcommon.Slice) bool {
	for i := 0; i < list.Len(); i++ {
		if list.At(i).Type() != pcommon.ValueTypeMap {
			return false
		}
	}
	return true
}

// firstNonSpace is the first byte of s that is not JSON whitespace, or 0.
func firstNonSpace(s string) byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return s[i]
		}
	}
	return 0
}

// countObjects counts the objects that are elements of a JSON array (open '[') or top-level
// values of a sequence (open '{'), reading bytes only, and stops once past limit. It does not
// validate: decodeObjects does.
func countObjects(s string, open byte, limit int) int {
	base := 0
	if open == '[' {
		base = 1
	}
	n, depth := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			// Jump to the closing quote, past escaped ones.
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '{':
			if depth == base {
				n++
				if n > limit {
					return n
				}
			}
			depth++
		case '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return 0
			}
		}
	}
	return n
}

var errNotObjectList = errors.New("not a list of JSON objects")

// decodeObjects decodes a JSON array of objects (open '[') or a sequence of JSON objects
// (open '{') into a slice of maps, integers kept as Int values like parseJSONObject.
func decodeObjects(s string, open byte, count int) (pcommon.Slice, bool) {
	list := pcommon.NewSlice()
	list.EnsureCapacity(count)
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	err := func() error {
		if open == '[' {
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return errNotObjectList
			}
		}
		for dec.More() {
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				return err
			}
			if obj == nil {
				return errNotObjectList
			}
			putJSON(list.AppendEmpty(), obj)
		}
		if open == '[' {
			if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
				return errNotObjectList
			}
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return errNotObjectList
		}
		return nil
	}()
	return list, err == nil
}

// appendEvents appends one record per event to out, in order: each a copy of lr (attributes,
// timestamps, trace context, flags, severity, event name) with the event as its body. lr is
// spent: the last event's record is lr itself, moved.
func appendEvents(out plog.LogRecordSlice, lr plog.LogRecord, events pcommon.Slice) {
	// The events leave the body first, so that copying the record copies its metadata only.
	list := pcommon.NewSlice()
	events.MoveAndAppendTo(list)
	lr.Body().SetEmptyMap()
	if list.Len() > 1 {
		// An id names one event: the envelope's is not copied onto each of its events.
		lr.Attributes().Remove(audit.AttrEventID)
	}
	last := list.Len() - 1
	for i := 0; i <= last; i++ {
		nr := out.AppendEmpty()
		if i < last {
			lr.CopyTo(nr)
		} else {
			lr.MoveTo(nr)
		}
		list.At(i).Map().MoveTo(nr.Body().SetEmptyMap())
	}
}
