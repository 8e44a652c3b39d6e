package auditwebhookreceiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/otelcol-audit/otelcol-audit/internal/envelope"
	"github.com/otelcol-audit/otelcol-audit/internal/inflight"
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
	// Status is the answer: 0 for 400, or 413 for a body beyond a per-request limit.
	Status  int
	Message string
	Items   []itemError
	// Events is how many events the body held, when that could be told.
	Events int
}

func (b *badRequest) status() int {
	if b.Status != 0 {
		return b.Status
	}
	return http.StatusBadRequest
}

func (b *badRequest) add(e itemError) {
	if len(b.Items) < maxListedErrors {
		b.Items = append(b.Items, e)
	}
}

// event is one decoded event: a JSON object with numbers converted for pcommon.
type event = map[string]any

var errTrailingData = errors.New("unexpected data after the JSON value")

// parser reads one request body and hands each event to emit as soon as it is decoded, so
// that one event at most is held as a decoded tree. Arrays, NDJSON and envelopes are walked
// with json.Decoder's tokens; values outside the events are skipped token by token.
type parser struct {
	// maxEvents caps the array elements and NDJSON values of the body, valid or not.
	maxEvents int
	// maxNodes caps the objects and arrays of the body, counted before anything is decoded.
	maxNodes int
	emit     func(event)
	count    int
}

// parse reads the body of an endpoint kind. On a refusal, the events already emitted are to be
// dropped: nothing of a refused request is accepted.
func (p *parser) parse(kind, githubEvent string, data []byte) *badRequest {
	if exceedsNodes(data, p.maxNodes) {
		return &badRequest{
			Status:  http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("request holds more than %d JSON objects and arrays (max_json_nodes_per_request)", p.maxNodes),
		}
	}
	switch kind {
	case kindOkta:
		return p.parseOkta(data)
	case kindKubernetes:
		return p.parseKubernetes(data)
	case kindCloudTrail:
		return p.parseCloudTrail(data)
	case kindGitHub:
		switch githubEvent {
		case "":
			return p.parseMulti(data, unwrapHEC)
		case "ping":
			// Sent once when a webhook is created: proof of reachability, not an audit event.
			quiet := *p
			quiet.emit = func(event) {}
			return quiet.parseGitHubWebhook(data)
		default:
			return p.parseGitHubWebhook(data)
		}
	default:
		return p.parseMulti(data, noUnwrap)
	}
}

// element counts one event toward max_events_per_request.
func (p *parser) element() *badRequest {
	p.count++
	if p.count > p.maxEvents {
		return &badRequest{
			Status:  http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("request holds more than %d events (max_events_per_request)", p.maxEvents),
		}
	}
	return nil
}

// exceedsNodes reports whether data holds more than limit objects and arrays. The scan
// allocates nothing, so that a body of a million tiny objects costs a scan, not a tree.
func exceedsNodes(data []byte, limit int) bool {
	return inflight.CountJSONNodes(data, limit) > limit
}

func newDecoder(data []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec
}

// decodeValue decodes the decoder's next value. Numbers that are integers become int64, the
// others float64, so that ids and epoch milliseconds keep every digit.
func decodeValue(dec *json.Decoder) (any, error) {
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return convertNumbers(v), nil
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

// discard is a json.Unmarshaler that keeps nothing: decoding into it only checks syntax.
type discard struct{}

func (*discard) UnmarshalJSON([]byte) error { return nil }

// checkDocument returns the error that decoding data as exactly one JSON value gives, without
// building the value. It runs only on bodies that json.Valid refused, to say where.
func checkDocument(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&discard{}); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailingData
	}
	return errors.New("invalid JSON")
}

// firstByte is the first byte of data that is not JSON whitespace, or 0.
func firstByte(data []byte) byte {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// kindOf names the type of the JSON value that starts with c.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// skipValue reads past the decoder's next value token by token, so that nothing of it is kept
// however large it is.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		return skipRest(dec)
	}
	return nil
}

// skipRest reads past the rest of a container whose opening delimiter was just read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// openContainer reads the next token and reports whether it opens a container of the wanted
// kind ('{' or '['). Any other value is read past, and its type is returned.
func openContainer(dec *json.Decoder, want json.Delim) (bool, string, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, "", err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return false, typeName(tok), nil
	}
	if d == want {
		return true, "", nil
	}
	return false, kindOf(byte(d)), skipRest(dec)
}

// smallValue reads a scalar checked by an envelope ("kind", "eventName"). A container is read
// past and stands for its type only.
func smallValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		return map[string]any(nil), skipRest(dec)
	case json.Delim('['):
		return []any(nil), skipRest(dec)
	}
	return tok, nil
}

// members walks the object whose '{' was just read, calling member with the decoder at each
// key's value; member must read the value. A non-nil result of member stops the walk.
func members(dec *json.Decoder, data []byte, member func(key string) *badRequest) *badRequest {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return documentError(data, err)
		}
		key, _ := tok.(string)
		if bad := member(key); bad != nil {
			return bad
		}
	}
	if _, err := dec.Token(); err != nil {
		return documentError(data, err)
	}
	return nil
}

// array reads the elements of the array whose '[' was just read, and emits the objects
// (unwrapped) while every element so far is one. items lists the elements that are not
// objects; abort is a refusal that stops the whole body (a limit, a decoding failure).
func (p *parser) array(dec *json.Decoder, data []byte, path string, unwrap func(event) event) (items, abort *badRequest) {
	n, invalid := 0, 0
	for ; dec.More(); n++ {
		if bad := p.element(); bad != nil {
			return nil, bad
		}
		v, err := decodeValue(dec)
		if err != nil {
			return nil, documentError(data, err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			if items == nil {
				items = &badRequest{}
			}
			items.add(itemError{Index: intPtr(n), Path: fmt.Sprintf("%s[%d]", path, n), Message: "expected a JSON object, got " + typeName(v)})
			invalid++
			continue
		}
		if items == nil {
			p.emit(unwrap(obj))
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, documentError(data, err)
	}
	if items != nil {
		items.Events = n
		items.Message = fmt.Sprintf("%d of %d events are not JSON objects", invalid, n)
	}
	return items, nil
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

func documentError(data []byte, err error) *badRequest {
	if errors.Is(err, errTrailingData) {
		return &badRequest{Message: "body holds more than one JSON value", Items: []itemError{{Message: err.Error()}}}
	}
	return &badRequest{Message: "body is not valid JSON", Items: []itemError{syntaxError(data, err, 0)}}
}

// invalidDocument explains why json.Valid refused data.
func invalidDocument(data []byte) *badRequest {
	return documentError(data, checkDocument(data))
}

// parseMulti reads a JSON object, an array of objects, or NDJSON (one or more objects per
// line). The whole body is refused when any event is bad.
func (p *parser) parseMulti(data []byte, unwrap func(event) event) *badRequest {
	if !json.Valid(data) {
		if looksLikeNDJSON(data, p.maxEvents) {
			return p.parseNDJSON(data, unwrap)
		}
		return invalidDocument(data)
	}
	dec := newDecoder(data)
	switch first := firstByte(data); first {
	case '{':
		return p.object(dec, data, unwrap)
	case '[':
		if _, err := dec.Token(); err != nil {
			return documentError(data, err)
		}
		items, abort := p.array(dec, data, "$", unwrap)
		if abort != nil {
			return abort
		}
		return items
	default:
		return &badRequest{Message: "expected a JSON object, an array of objects or NDJSON", Items: []itemError{{Path: "$", Message: "got " + kindOf(first)}}}
	}
}

// object decodes the decoder's next value, an object, as one event.
func (p *parser) object(dec *json.Decoder, data []byte, unwrap func(event) event) *badRequest {
	if bad := p.element(); bad != nil {
		return bad
	}
	v, err := decodeValue(dec)
	if err != nil {
		return documentError(data, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return envelopeError("expected a JSON object", "$", "got "+typeName(v))
	}
	p.emit(unwrap(obj))
	return nil
}

// looksLikeNDJSON tells NDJSON from a pretty-printed document with an error in it: in NDJSON
// the first non-blank line is one or more complete JSON values on their own. Beyond limit
// values the answer is yes: parsing then stops at the limit.
func looksLikeNDJSON(data []byte, limit int) bool {
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		for n := 0; ; n++ {
			err := dec.Decode(&discard{})
			if errors.Is(err, io.EOF) {
				return n > 0
			}
			if err != nil {
				return false
			}
			if n >= limit {
				return true
			}
		}
	}
	return false
}

func (p *parser) parseNDJSON(data []byte, unwrap func(event) event) *badRequest {
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
		dec := newDecoder(line)
		for {
			// More is false at the end of the line, and at a stray '}' or ']', which Decode
			// then reports.
			counted := dec.More()
			if counted {
				if tooMany := p.element(); tooMany != nil {
					return tooMany
				}
			}
			v, err := decodeValue(dec)
			if !counted && errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if !counted {
					if tooMany := p.element(); tooMany != nil {
						return tooMany
					}
				}
				e := syntaxError(line, err, lineNo-1)
				e.Index = intPtr(index)
				bad.add(e)
				invalid++
				index++
				break
			}
			obj, ok := v.(map[string]any)
			switch {
			case !ok:
				bad.add(itemError{Index: intPtr(index), Line: lineNo, Message: "expected a JSON object, got " + typeName(v)})
				invalid++
			case invalid == 0:
				p.emit(unwrap(obj))
			}
			index++
		}
	}
	if invalid > 0 {
		bad.Events = index
		bad.Message = fmt.Sprintf("%d of %d NDJSON events are invalid", invalid, index)
		return bad
	}
	return nil
}

func noUnwrap(e event) event { return e }

// unwrapHEC opens a Splunk HEC envelope posted to the github endpoint. The endpoint knows its
// events are audit-log entries, so any object without an entry's "action" is an envelope; the
// normaliser, which cannot know the sender, also wants nothing but HEC keys (envelope.Open).
func unwrapHEC(e event) event {
	if _, hasAction := e["action"]; hasAction {
		return e
	}
	if inner, ok := e[envelope.KeyHECEvent].(map[string]any); ok {
		return inner
	}
	return e
}

// objectDocument checks that data is exactly one JSON value, an object.
func objectDocument(data []byte, what string) *badRequest {
	if !json.Valid(data) {
		return invalidDocument(data)
	}
	if first := firstByte(data); first != '{' {
		return envelopeError("expected "+what, "$", "expected an object, got "+kindOf(first))
	}
	return nil
}

// openObject checks data like objectDocument and returns a decoder past its '{'.
func openObject(data []byte, what string) (*json.Decoder, *badRequest) {
	if bad := objectDocument(data, what); bad != nil {
		return nil, bad
	}
	dec := newDecoder(data)
	if _, err := dec.Token(); err != nil {
		return nil, documentError(data, err)
	}
	return dec, nil
}

func duplicateKey(msg, path string) *badRequest {
	return envelopeError(msg, path, "the key appears more than once")
}

// parseOkta reads an Okta event hook: {"data": {"events": [LogEvent, ...]}, ...}.
func (p *parser) parseOkta(data []byte) *badRequest {
	const msg = "expected an Okta event hook"
	dec, bad := openObject(data, "an Okta event hook object")
	if bad != nil {
		return bad
	}
	dataType, eventsType := "null", "null"
	seenData, seenEvents := false, false
	var items *badRequest
	bad = members(dec, data, func(key string) *badRequest {
		if key != envelope.KeyOktaData {
			return skipOrFail(dec, data)
		}
		if seenData {
			return duplicateKey(msg, "$.data")
		}
		seenData = true
		isObject, typ, err := openContainer(dec, '{')
		if err != nil {
			return documentError(data, err)
		}
		if !isObject {
			dataType = typ
			return nil
		}
		dataType = "object"
		return members(dec, data, func(key string) *badRequest {
			if key != envelope.KeyOktaEvents {
				return skipOrFail(dec, data)
			}
			if seenEvents {
				return duplicateKey(msg, "$.data.events")
			}
			seenEvents = true
			isArray, typ, err := openContainer(dec, '[')
			if err != nil {
				return documentError(data, err)
			}
			if !isArray {
				eventsType = typ
				return nil
			}
			eventsType = "array"
			var abort *badRequest
			items, abort = p.array(dec, data, "$.data.events", noUnwrap)
			return abort
		})
	})
	if bad != nil {
		return bad
	}
	if dataType != "object" {
		return envelopeError(msg, "$.data", "expected an object, got "+dataType)
	}
	if eventsType != "array" {
		return envelopeError(msg, "$.data.events", "expected an array, got "+eventsType)
	}
	return items
}

func skipOrFail(dec *json.Decoder, data []byte) *badRequest {
	if err := skipValue(dec); err != nil {
		return documentError(data, err)
	}
	return nil
}

// parseKubernetes reads an audit.k8s.io/v1 EventList as the webhook backend posts it. Items
// are emitted as they are read, before kind and apiVersion may have been seen; a wrong kind
// refuses the body all the same.
func (p *parser) parseKubernetes(data []byte) *badRequest {
	const msg = "expected an audit.k8s.io/v1 EventList"
	dec, bad := openObject(data, "an audit.k8s.io/v1 EventList")
	if bad != nil {
		return bad
	}
	var kind, apiVersion any
	itemsType := "null"
	seen := map[string]bool{}
	var items *badRequest
	bad = members(dec, data, func(key string) *badRequest {
		switch key {
		case envelope.KeyKind, envelope.KeyAPIVersion, envelope.KeyItems:
		default:
			return skipOrFail(dec, data)
		}
		if seen[key] {
			return duplicateKey(msg, "$."+key)
		}
		seen[key] = true
		var err error
		switch key {
		case envelope.KeyKind:
			kind, err = smallValue(dec)
		case envelope.KeyAPIVersion:
			apiVersion, err = smallValue(dec)
		default:
			var isArray bool
			var typ string
			isArray, typ, err = openContainer(dec, '[')
			if err == nil && !isArray {
				itemsType = typ
			}
			if err == nil && isArray {
				itemsType = "array"
				var abort *badRequest
				items, abort = p.array(dec, data, "$.items", noUnwrap)
				return abort
			}
		}
		if err != nil {
			return documentError(data, err)
		}
		return nil
	})
	if bad != nil {
		return bad
	}
	if k, _ := kind.(string); k != envelope.KindEventList {
		return envelopeError(msg, "$.kind", fmt.Sprintf("expected %q, got %s", envelope.KindEventList, describe(kind)))
	}
	if api, _ := apiVersion.(string); api != envelope.KubernetesAuditV1 {
		return envelopeError(msg, "$.apiVersion", fmt.Sprintf("expected %q (set --audit-webhook-version=audit.k8s.io/v1), got %s", envelope.KubernetesAuditV1, describe(apiVersion)))
	}
	if itemsType != "array" && itemsType != "null" {
		return envelopeError(msg, "$.items", "expected an array, got "+itemsType)
	}
	return items
}

// parseCloudTrail reads {"Records": [...]} as CloudTrail delivers it, a single EventBridge
// event whose "detail" is the record, or a single bare record. Records are streamed; the other
// two shapes are one event each and decoded whole.
func (p *parser) parseCloudTrail(data []byte) *badRequest {
	dec, bad := openObject(data, "CloudTrail Records or an EventBridge event")
	if bad != nil {
		return bad
	}
	recordsType := "" // "" while absent
	var detail any
	seenDetail, seenEventName, eventNameIsString := false, false, false
	var items *badRequest
	bad = members(dec, data, func(key string) *badRequest {
		var err error
		switch key {
		case envelope.KeyCloudTrailRecords:
			if recordsType != "" {
				return duplicateKey("expected CloudTrail Records", "$.Records")
			}
			var isArray bool
			isArray, recordsType, err = openContainer(dec, '[')
			if err == nil && isArray {
				recordsType = "array"
				var abort *badRequest
				items, abort = p.array(dec, data, "$.Records", noUnwrap)
				return abort
			}
		case envelope.KeyEventBridgeDetail:
			if seenDetail {
				return duplicateKey("expected an EventBridge event", "$.detail")
			}
			seenDetail = true
			if recordsType != "" {
				// Records win: the detail would be dropped.
				err = skipValue(dec)
			} else {
				detail, err = decodeValue(dec)
			}
		case "eventName":
			if seenEventName {
				return duplicateKey("expected a CloudTrail record", "$.eventName")
			}
			seenEventName = true
			var v any
			v, err = smallValue(dec)
			_, eventNameIsString = v.(string)
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return documentError(data, err)
		}
		return nil
	})
	if bad != nil {
		return bad
	}
	switch {
	case recordsType != "":
		if recordsType != "array" {
			return envelopeError("expected CloudTrail Records", "$.Records", "expected an array, got "+recordsType)
		}
		return items
	case seenDetail:
		obj, ok := detail.(map[string]any)
		if !ok {
			return envelopeError("expected an EventBridge event", "$.detail", "expected an object, got "+typeName(detail))
		}
		if bad := p.element(); bad != nil {
			return bad
		}
		p.emit(obj)
		return nil
	case eventNameIsString:
		return p.object(newDecoder(data), data, noUnwrap)
	default:
		return envelopeError("expected CloudTrail Records, an EventBridge event or a CloudTrail record", "$", "none of \"Records\", \"detail\" or \"eventName\" is present")
	}
}

// parseGitHubWebhook reads one webhook delivery: the payload object is the event.
func (p *parser) parseGitHubWebhook(data []byte) *badRequest {
	if bad := objectDocument(data, "a GitHub webhook payload object"); bad != nil {
		return bad
	}
	return p.object(newDecoder(data), data, noUnwrap)
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
