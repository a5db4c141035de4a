package toolaudit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/toolaudit/toolaudit/internal/jsonw"
	"github.com/toolaudit/toolaudit/internal/redact"
)

// maxArgDepth bounds the nesting of recorded arguments; deeper values are
// replaced by a placeholder so hostile input costs bounded time and stack.
const maxArgDepth = 64

// argEncoder records arguments: string values truncated to limit code
// points, members whose key red finds sensitive redacted, nesting cut at
// maxArgDepth.
type argEncoder struct {
	limit int
	red   *redact.Redactor
}

// appendMember appends the value of the member k, redacted if k is
// sensitive.
func (ae argEncoder) appendMember(b []byte, k string, v any, depth int) []byte {
	if !ae.red.Sensitive(k) {
		return ae.appendValue(b, v, depth)
	}
	if s, ok := v.(string); ok {
		return ae.red.AppendReplacement(b, []byte(s))
	}
	return ae.red.AppendReplacement(b, argEncoder{limit: -1}.appendValue(nil, v, depth))
}

// appendArgsAny appends v, the input of a typed tool, as a JSON object: v
// is marshalled as encoding/json does, its string values truncated; a value
// that is not a JSON object is recorded as {"input": value}.
func (ae argEncoder) appendArgsAny(b []byte, v any) []byte {
	if m, ok := v.(map[string]any); ok {
		return ae.appendValue(b, m, 0)
	}
	start := len(b)
	b = ae.appendValue(b, v, 0)
	if len(b) > start && b[start] == '{' {
		return b
	}
	val := slices.Clone(b[start:])
	b = append(b[:start], `{"input":`...)
	b = append(b, val...)
	return append(b, '}')
}

func (ae argEncoder) appendValue(b []byte, v any, depth int) []byte {
	limit := ae.limit
	if depth > maxArgDepth {
		return append(b, `"[too deep]"`...)
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return jsonw.AppendTruncated(b, x, limit)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		return jsonw.AppendFloat(b, x, 64)
	case float32:
		return jsonw.AppendFloat(b, float64(x), 32)
	case json.Number:
		if json.Valid([]byte(x)) && len(x) > 0 && x[0] != '"' {
			return append(b, x...)
		}
		return jsonw.AppendTruncated(b, string(x), limit)
	case json.RawMessage:
		return ae.appendRaw(b, x, depth)
	case map[string]any:
		var small [8]member[any]
		b = append(b, '{')
		for i, m := range sortedMembers(small[:0], x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, m.k)
			b = append(b, ':')
			b = ae.appendMember(b, m.k, m.v, depth+1)
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = ae.appendValue(b, e, depth+1)
		}
		return append(b, ']')
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendTruncated(b, e, limit)
		}
		return append(b, ']')
	case map[string]string:
		var small [8]member[string]
		b = append(b, '{')
		for i, m := range sortedMembers(small[:0], x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, m.k)
			b = append(b, ':')
			if ae.red.Sensitive(m.k) {
				b = ae.red.AppendReplacement(b, []byte(m.v))
			} else {
				b = jsonw.AppendTruncated(b, m.v, limit)
			}
		}
		return append(b, '}')
	}
	return ae.appendMarshalled(b, v, depth)
}

// member is one key and value of a map being encoded.
type member[V any] struct {
	k string
	v V
}

// sortedMembers appends the members of m to dst in key order, reading the
// map once (no lookup per key).
func sortedMembers[V any](dst []member[V], m map[string]V) []member[V] {
	for k, v := range m {
		dst = append(dst, member[V]{k, v})
	}
	slices.SortFunc(dst, func(a, b member[V]) int { return strings.Compare(a.k, b.k) })
	return dst
}

// appendMarshalled records a value of any other type the way encoding/json
// marshals it, or a placeholder naming its type when it cannot be marshalled
// (channels, functions, cycles, a MarshalJSON that fails or panics).
func (ae argEncoder) appendMarshalled(b []byte, v any, depth int) []byte {
	raw, ok := marshal(v)
	if !ok {
		return jsonw.AppendString(b, fmt.Sprintf("[unencodable %s]", reflect.TypeOf(v)))
	}
	return ae.appendRaw(b, raw, depth)
}

// marshal is v as encoding/json marshals it, without HTML escaping, and
// false when it cannot be marshalled, also when marshalling panics.
func marshal(v any) (raw []byte, ok bool) {
	defer func() {
		if recover() != nil {
			raw, ok = nil, false
		}
	}()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), true
}

// appendRaw appends raw JSON compacted, its string values truncated.
// Invalid JSON is recorded as a string holding the text.
func (ae argEncoder) appendRaw(b []byte, raw []byte, depth int) []byte {
	if !json.Valid(raw) {
		return jsonw.AppendTruncated(b, string(raw), ae.limit)
	}
	return jsonw.AppendRawOptions(b, raw, jsonw.RawOptions{Limit: ae.limit, MaxDepth: maxArgDepth + 1 - depth, Redact: ae.red})
}
