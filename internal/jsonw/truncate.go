package jsonw

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/internal/redact"
)

// Prefix returns the first n code points of s and whether s was longer.
func Prefix(s string, n int) (string, bool) {
	if len(s) <= n { // a code point takes at least one byte
		return s, false
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i], true
		}
		count++
	}
	return s, false
}

// Cut returns s when it has at most n code points, else its first n code
// points followed by "…": how every name, snippet and message too long to
// record is shortened.
func Cut(s string, n int) string {
	if p, long := Prefix(s, n); long {
		return p + "…"
	}
	return s
}

// AppendTruncated appends s as a JSON string, truncated as the reference
// module does: past limit code points, the first limit code points followed
// by " …[N chars total]", N being the full length in code points. A
// negative limit means no truncation.
func AppendTruncated(b []byte, s string, limit int) []byte {
	if limit < 0 {
		return AppendString(b, s)
	}
	p, cut := Prefix(s, limit)
	if !cut {
		return AppendString(b, s)
	}
	b = AppendString(b, p)
	b = b[:len(b)-1] // reopen the string
	b = append(b, " …["...)
	b = strconv.AppendInt(b, int64(utf8.RuneCountInString(s)), 10)
	return append(b, ` chars total]"`...)
}

// RawOptions says how AppendRawOptions rewrites JSON.
type RawOptions struct {
	// Limit truncates string values (not keys) as AppendTruncated does;
	// negative means never.
	Limit int
	// MaxDepth replaces containers nested deeper than it by the string
	// "[too deep]"; 0 means no limit.
	MaxDepth int
	// Redact, when not nil, replaces the value of every object member
	// whose key it finds sensitive.
	Redact *redact.Redactor
}

// TooDeep replaces a value nested deeper than the limit.
const TooDeep = `"[too deep]"`

// AppendRaw is AppendRawOptions with only a truncation limit.
func AppendRaw(b []byte, raw []byte, limit int) []byte {
	return AppendRawOptions(b, raw, RawOptions{Limit: limit})
}

// AppendRawOptions appends the valid JSON raw with its insignificant
// whitespace removed, every string written as AppendString writes it (so
// the result is one safe line), and string values truncated, deep values
// cut and sensitive members redacted as o says. The caller must have
// checked raw with json.Valid.
func AppendRawOptions(b []byte, raw []byte, o RawOptions) []byte {
	depth := 0
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		case '{', '[':
			if o.MaxDepth > 0 && depth >= o.MaxDepth {
				b = append(b, TooDeep...)
				i = skipValue(raw, i)
				continue
			}
			depth++
			b = append(b, c)
			i++
			continue
		case '}', ']':
			depth--
			b = append(b, c)
			i++
			continue
		case '"':
		default:
			b = append(b, c)
			i++
			continue
		}
		end := stringEnd(raw, i)
		lit := raw[i:end]
		next := SkipSpace(raw, end)
		isKey := next < len(raw) && raw[next] == ':'
		// A literal of n bytes holds at most n-2 code points.
		redact := false
		if isKey {
			safe := safeLiteral(lit)
			if safe {
				b = append(b, lit...)
			}
			if !safe || o.Redact != nil {
				key := unquote(lit)
				if !safe {
					b = AppendString(b, key)
				}
				redact = o.Redact != nil && o.Redact.Sensitive(key)
			}
		} else if safeLiteral(lit) && (o.Limit < 0 || len(lit)-2 <= o.Limit) {
			b = append(b, lit...)
		} else {
			b = AppendTruncated(b, unquote(lit), o.Limit)
		}
		i = end
		if redact {
			b = append(b, ':')
			start := SkipSpace(raw, next+1)
			stop := skipValue(raw, start)
			b = o.Redact.AppendReplacement(b, redactedText(raw[start:stop]))
			i = stop
		}
	}
	return b
}

// redactedText is what a redacted value is hashed as: a string's text, or
// any other value's compact JSON.
func redactedText(v []byte) []byte {
	if len(v) > 0 && v[0] == '"' {
		return []byte(unquote(v))
	}
	return AppendRaw(nil, v, -1)
}

// unquote returns the text of a valid string literal.
func unquote(lit []byte) string {
	inner := lit[1 : len(lit)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner) // no escape to decode, no byte to replace
	}
	var s string
	if json.Unmarshal(lit, &s) != nil {
		s = string(lit[1 : len(lit)-1])
	}
	return s
}

// stringEnd returns the index just past the string literal starting at i.
func stringEnd(raw []byte, i int) int {
	end := i + 1
	for end < len(raw) && raw[end] != '"' {
		if raw[end] == '\\' {
			end++
		}
		end++
	}
	return min(end+1, len(raw))
}

// SkipSpace returns the index of the first byte at or after i that is not
// JSON whitespace (space, tab, line feed, carriage return), or len(raw).
func SkipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the valid JSON value starting at i.
func skipValue(raw []byte, i int) int {
	if i >= len(raw) {
		return i
	}
	switch raw[i] {
	case '"':
		return stringEnd(raw, i)
	case '{', '[':
		depth := 0
		for i < len(raw) {
			switch raw[i] {
			case '"':
				i = stringEnd(raw, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(raw) {
		switch raw[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// safeLiteral reports whether a JSON string literal can be copied as it is:
// valid UTF-8 without the code points AppendString escapes.
func safeLiteral(lit []byte) bool {
	for i := 0; i < len(lit); i++ {
		if lit[i] >= utf8.RuneSelf {
			return utf8.Valid(lit) && !hasLineBreakRune(lit)
		}
	}
	return true
}

func hasLineBreakRune(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		switch {
		case b[i] == 0xc2 && b[i+1] >= 0x80 && b[i+1] <= 0x9f: // C1 controls
			return true
		case b[i] == 0xe2 && i+2 < len(b) && b[i+1] == 0x80 && b[i+2] >= 0xa8 && b[i+2] <= 0xae: // U+2028 to U+202E
			return true
		case b[i] == 0xe2 && i+2 < len(b) && b[i+1] == 0x81 && b[i+2] >= 0xa6 && b[i+2] <= 0xa9: // U+2066 to U+2069
			return true
		}
	}
	return false
}
