package auditwebhookreceiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxListedErrors caps the per-event errors of one 400 response.
const maxListedErrors = 100

// itemError locates one problem in a request body. Index is the event's position in the
// request (0-based), Line the body line (1-based), Path a JSONPath into the document.
type itemError struct {
	Index   *int   `json:"index,omitempty"`
	Line    int    `json:"line,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// badRequest is a refused request body: the whole request is refused, and Items says where.
type badRequest struct {
	Message string
	Items   []itemError
	// Events is how many events the body held, when that could be told.
	Events int
}

func (b *badRequest) add(e itemError) {
	if len(b.Items) < maxListedErrors {
		b.Items = append(b.Items, e)
	}
}

// event is one decoded event: a JSON object with numbers converted for pcommon.
type event = map[string]any

var errTrailingData = errors.New("unexpected data after the JSON value")

// decodeOne decodes exactly one JSON value. Numbers that are integers become int64, the others
// float64, so that ids and epoch milliseconds keep every digit.
func decodeOne(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errTrailingData
	}
	return convertNumbers(v), nil
}

// decodeStream decodes one or more concatenated JSON values (NDJSON lines, or Splunk HEC's
// stacked objects).
func decodeStream(data []byte) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, convertNumbers(v))
	}
}

func convertNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			// Out of float64 range: keep the digits rather than lose the value.
			return string(t)
		}
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = convertNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = convertNumbers(e)
		}
		return t
	default:
		return v
	}
}

// syntaxError reports a JSON error of a document with its line and column.
func syntaxError(data []byte, err error, lineOffset int) itemError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return itemError{Line: line + lineOffset, Message: fmt.Sprintf("invalid JSON at column %d: %s", col, se.Error())}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		line, _ := lineCol(data, int64(len(data)))
		return itemError{Line: line + lineOffset, Message: "invalid JSON: unexpected end of input"}
	}
	return itemError{Line: 1 + lineOffset, Message: "invalid JSON: " + err.Error()}
}

func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line = 1 + bytes.Count(data[:offset], []byte{'\n'})
	col = int(offset) - (bytes.LastIndexByte(data[:offset], '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	default:
		return "number"
	}
}

func intPtr(i int) *int { return &i }

// objectsAt checks that every element of arr is an object; path is the array's JSONPath.
func objectsAt(arr []any, path string) ([]event, *badRequest) {
	events := make([]event, 0, len(arr))
	var bad *badRequest
	for i, v := range arr {
		obj, ok := v.(map[string]any)
		if !ok {
			if bad == nil {
				bad = &badRequest{}
			}
			bad.add(itemError{Index: intPtr(i), Path: fmt.Sprintf("%s[%d]", path, i), Message: "expected a JSON object, got " + typeName(v)})
			continue
		}
		events = append(events, obj)
	}
	if bad != nil {
		bad.Events = len(arr)
		bad.Message = fmt.Sprintf("%d of %d events are not JSON objects", len(arr)-len(events), len(arr))
		return nil, bad
	}
	return events, nil
}

func documentError(data []byte, err error) *badRequest {
	if errors.Is(err, errTrailingData) {
		return &badRequest{Message: "body holds more than one JSON value", Items: []itemError{{Message: err.Error()}}}
	}
	return &badRequest{Message: "body is not valid JSON", Items: []itemError{syntaxError(data, err, 0)}}
}

// parseMulti reads a JSON object, an array of objects, or NDJSON (one or more objects per
// line). The whole body is refused when any event is bad.
func parseMulti(data []byte, unwrap func(event) event) ([]event, *badRequest) {
	v, err := decodeOne(data)
	if err == nil {
		switch t := v.(type) {
		case map[string]any:
			return []event{unwrap(t)}, nil
		case []any:
			events, bad := objectsAt(t, "$")
			for i := range events {
				events[i] = unwrap(events[i])
			}
			return events, bad
		default:
			return nil, &badRequest{Message: "expected a JSON object, an array of objects or NDJSON", Items: []itemError{{Path: "$", Message: "got " + typeName(v)}}}
		}
	}
	if !looksLikeNDJSON(data) {
		return nil, documentError(data, err)
	}
	return parseNDJSON(data, unwrap)
}

// looksLikeNDJSON tells NDJSON from a pretty-printed document with an error in it: in NDJSON
// the first non-blank line is a complete JSON value on its own.
func looksLikeNDJSON(data []byte) bool {
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		vals, err := decodeStream(line)
		return err == nil && len(vals) > 0
	}
	return false
}

func parseNDJSON(data []byte, unwrap func(event) event) ([]event, *badRequest) {
	var events []event
	bad := &badRequest{}
	invalid, index := 0, 0
	lineNo := 0
	for rest := data; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		lineNo++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		vals, err := decodeStream(line)
		for _, v := range vals {
			obj, ok := v.(map[string]any)
			if !ok {
				bad.add(itemError{Index: intPtr(index), Line: lineNo, Message: "expected a JSON object, got " + typeName(v)})
				invalid++
			} else {
				events = append(events, unwrap(obj))
			}
			index++
		}
		if err != nil {
			e := syntaxError(line, err, lineNo-1)
			e.Index = intPtr(index)
			bad.add(e)
			invalid++
			index++
		}
	}
	if invalid > 0 {
		bad.Events = index
		bad.Message = fmt.Sprintf("%d of %d NDJSON events are invalid", invalid, index)
		return nil, bad
	}
	return events, nil
}

func noUnwrap(e event) event { return e }

// parseGeneric reads the generic endpoint's body.
func parseGeneric(data []byte) ([]event, *badRequest) {
	return parseMulti(data, noUnwrap)
}

// parseOkta reads an Okta event hook: {"data": {"events": [LogEvent, ...]}, ...}.
func parseOkta(data []byte) ([]event, *badRequest) {
	root, bad := decodeObject(data, "an Okta event hook object")
	if bad != nil {
		return nil, bad
	}
	d, ok := root["data"].(map[string]any)
	if !ok {
		return nil, envelopeError("expected an Okta event hook", "$.data", "expected an object, got "+typeName(root["data"]))
	}
	arr, ok := d["events"].([]any)
	if !ok {
		return nil, envelopeError("expected an Okta event hook", "$.data.events", "expected an array, got "+typeName(d["events"]))
	}
	return objectsAt(arr, "$.data.events")
}

const (
	k8sEventListKind = "EventList"
	k8sAuditV1       = "audit.k8s.io/v1"
)

// parseKubernetes reads an audit.k8s.io/v1 EventList as the webhook backend posts it.
func parseKubernetes(data []byte) ([]event, *badRequest) {
	root, bad := decodeObject(data, "an audit.k8s.io/v1 EventList")
	if bad != nil {
		return nil, bad
	}
	if kind, _ := root["kind"].(string); kind != k8sEventListKind {
		return nil, envelopeError("expected an audit.k8s.io/v1 EventList", "$.kind", fmt.Sprintf("expected %q, got %s", k8sEventListKind, describe(root["kind"])))
	}
	if api, _ := root["apiVersion"].(string); api != k8sAuditV1 {
		return nil, envelopeError("expected an audit.k8s.io/v1 EventList", "$.apiVersion", fmt.Sprintf("expected %q (set --audit-webhook-version=audit.k8s.io/v1), got %s", k8sAuditV1, describe(root["apiVersion"])))
	}
	items, present := root["items"]
	if !present || items == nil {
		return []event{}, nil
	}
	arr, ok := items.([]any)
	if !ok {
		return nil, envelopeError("expected an audit.k8s.io/v1 EventList", "$.items", "expected an array, got "+typeName(items))
	}
	return objectsAt(arr, "$.items")
}

// parseCloudTrail reads {"Records": [...]} as CloudTrail delivers it, a single EventBridge
// event whose "detail" is the record, or a single bare record.
func parseCloudTrail(data []byte) ([]event, *badRequest) {
	root, bad := decodeObject(data, "CloudTrail Records or an EventBridge event")
	if bad != nil {
		return nil, bad
	}
	if records, ok := root["Records"]; ok {
		arr, ok := records.([]any)
		if !ok {
			return nil, envelopeError("expected CloudTrail Records", "$.Records", "expected an array, got "+typeName(records))
		}
		return objectsAt(arr, "$.Records")
	}
	if detail, ok := root["detail"]; ok {
		obj, ok := detail.(map[string]any)
		if !ok {
			return nil, envelopeError("expected an EventBridge event", "$.detail", "expected an object, got "+typeName(detail))
		}
		return []event{obj}, nil
	}
	if _, ok := root["eventName"].(string); ok {
		return []event{root}, nil
	}
	return nil, envelopeError("expected CloudTrail Records, an EventBridge event or a CloudTrail record", "$", "none of \"Records\", \"detail\" or \"eventName\" is present")
}

// parseGitHubStream reads audit-log stream entries: an object, an array, NDJSON, or Splunk
// HEC envelopes ({"event": {...}}) as GitHub's Splunk stream sends them.
func parseGitHubStream(data []byte) ([]event, *badRequest) {
	return parseMulti(data, unwrapHEC)
}

func unwrapHEC(e event) event {
	if _, hasAction := e["action"]; hasAction {
		return e
	}
	if inner, ok := e["event"].(map[string]any); ok {
		return inner
	}
	return e
}

// parseGitHubWebhook reads one webhook delivery: the payload object is the event.
func parseGitHubWebhook(data []byte) ([]event, *badRequest) {
	root, bad := decodeObject(data, "a GitHub webhook payload object")
	if bad != nil {
		return nil, bad
	}
	return []event{root}, nil
}

func decodeObject(data []byte, what string) (map[string]any, *badRequest) {
	v, err := decodeOne(data)
	if err != nil {
		return nil, documentError(data, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, envelopeError("expected "+what, "$", "expected an object, got "+typeName(v))
	}
	return obj, nil
}

func envelopeError(msg, path, detail string) *badRequest {
	return &badRequest{Message: msg, Items: []itemError{{Path: path, Message: detail}}}
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		if len(s) > 64 {
			s = s[:64] + "..."
		}
		return strconv.Quote(s)
	}
	return typeName(v)
}
