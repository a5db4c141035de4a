package jsonw

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
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

// AppendRaw appends the valid JSON raw with its insignificant whitespace
// removed, its string values (not object keys) truncated as AppendTruncated
// does, and every string written as AppendString writes it, so that the
// result is one safe line. The caller must have checked raw with json.Valid.
func AppendRaw(b []byte, raw []byte, limit int) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		case '"':
		default:
			b = append(b, c)
			i++
			continue
		}
		end := i + 1
		for raw[end] != '"' {
			if raw[end] == '\\' {
				end++
			}
			end++
		}
		end++ // past the closing quote
		lit := raw[i:end]
		next := end
		for next < len(raw) && (raw[next] == ' ' || raw[next] == '\t' || raw[next] == '\n' || raw[next] == '\r') {
			next++
		}
		isKey := next < len(raw) && raw[next] == ':'
		// A literal of n bytes holds at most n-2 code points.
		if safeLiteral(lit) && (isKey || limit < 0 || len(lit)-2 <= limit) {
			b = append(b, lit...)
		} else {
			var s string
			if json.Unmarshal(lit, &s) != nil {
				s = string(lit[1 : len(lit)-1])
			}
			if isKey {
				b = AppendString(b, s)
			} else {
				b = AppendTruncated(b, s, limit)
			}
		}
		i = end
	}
	return b
}

// safeLiteral reports whether a JSON string literal can be copied as it is:
// valid UTF-8 without the code points Python splits lines on.
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
		case b[i] == 0xc2 && b[i+1] == 0x85: // U+0085
			return true
		case b[i] == 0xe2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xa8 || b[i+2] == 0xa9): // U+2028, U+2029
			return true
		}
	}
	return false
}

// ValidObject reports whether raw is valid JSON whose value is an object.
func ValidObject(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return json.Valid(raw)
		}
		return false
	}
	return false
}
