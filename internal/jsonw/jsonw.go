// Package jsonw appends JSON values to byte slices without reflection.
//
// Strings are written the way a human reading a JSONL audit file wants them:
// non-ASCII text and the characters <, > and & stay as they are, while every
// control character (C0, DEL and C1, which a terminal may obey), U+2028
// and U+2029 (which, with U+0085, Python's str.splitlines treats as line
// breaks), the bidirectional controls and each byte of invalid UTF-8 (as
// U+FFFD) are escaped, so a value can never break a line and the output is
// always valid JSON that Python's json.loads accepts.
package jsonw

import (
	"math"
	"strconv"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// plain[c] is true for the ASCII bytes a JSON string holds as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != 0x7f
	}
	return t
}()

// plainLen returns the length of the longest prefix of s whose bytes a
// JSON string holds as they are (see plain): eight bytes at a time while it
// can, then one by one.
func plainLen(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if special8(x) {
			break
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// special8 reports whether one of the eight bytes of x is not plain: below
// 0x20, a quote, a backslash, DEL, or not ASCII. Each term sets a byte's
// high bit for such a byte (a zero byte in x^q for the byte q); a borrow
// can only spread from a byte that already set it.
func special8(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, bs, del := x^(lo*'"'), x^(lo*'\\'), x^(lo*0x7f)
	return ((x-lo*0x20)&^x|(q-lo)&^q|(bs-lo)&^bs|(del-lo)&^del|x)&hi != 0
}

// AppendString appends s as a quoted JSON string.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	n := plainLen(s)
	if n == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, s[:n]...)
	s = s[n:]
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if mustEscape(r) {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hex[r>>12], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendFloat appends f as a JSON number the way encoding/json writes it.
// NaN and the infinities have no JSON form; they are written as the strings
// "NaN", "+Inf" and "-Inf" so that the output stays valid JSON.
func AppendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, NaNString...)
	case math.IsInf(f, 1):
		return append(b, InfString...)
	case math.IsInf(f, -1):
		return append(b, NegInfString...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// mustEscape reports whether a non-ASCII code point is written as \uXXXX:
// C1 controls (U+0080 to U+009F, among them U+0085 NEL and U+009B CSI),
// U+2028 and U+2029, and the bidirectional embeddings, overrides and
// isolates (U+202A to U+202E, U+2066 to U+2069), which can make a line
// read differently from what it holds.
func mustEscape(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= '\u2028' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}
