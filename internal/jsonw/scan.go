package jsonw

import (
	"strconv"
	"unicode/utf8"
)

// maxScanDepth bounds the nesting ScanObject accepts; deeper input is
// reported invalid. The middleware never nests arguments deeper than 64.
const maxScanDepth = 256

// ScanObject reports whether raw is one valid JSON object, in which a
// number may also be NaN, Infinity or -Infinity as Python writes them
// (valid), and whether it can be copied into a line as it is (clean): no whitespace
// outside strings, valid UTF-8, and none of the code points Python splits
// lines on. It is one pass over raw without allocation, several times
// faster than json.Valid; objects nested deeper than 256 levels are
// reported invalid.
func ScanObject(raw []byte) (valid, clean bool) {
	s := scanner{b: raw, clean: true}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false, false
	}
	if !s.value() {
		return false, false
	}
	s.ws()
	if s.i != len(s.b) {
		return false, false
	}
	return true, s.clean
}

type scanner struct {
	b     []byte
	i     int
	clean bool
	depth int
	objs  [maxScanDepth / 64]uint64 // bit set: the open container at that depth is an object
}

func (s *scanner) push(obj bool) {
	d := uint(s.depth)
	if obj {
		s.objs[d/64] |= 1 << (d % 64)
	} else {
		s.objs[d/64] &^= 1 << (d % 64)
	}
	s.depth++
}

func (s *scanner) topIsObject() bool {
	d := uint(s.depth - 1)
	return s.objs[d/64]&(1<<(d%64)) != 0
}

func (s *scanner) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return // the usual case: no whitespace at all
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.clean = false
			s.i++
		default:
			return
		}
	}
}

// value scans one JSON value, iteratively so depth costs no Go stack.
func (s *scanner) value() bool {
	for {
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		// Scan a scalar or open a container.
		switch c := s.b[s.i]; c {
		case '{', '[':
			if s.depth >= maxScanDepth {
				return false
			}
			s.push(c == '{')
			s.i++
			s.ws()
			if s.i < len(s.b) && (c == '{' && s.b[s.i] == '}' || c == '[' && s.b[s.i] == ']') {
				s.i++
				s.depth--
				break
			}
			if c == '{' {
				if !s.key() {
					return false
				}
			}
			continue
		case '"':
			if !s.str() {
				return false
			}
		case 't':
			if !s.lit("true") {
				return false
			}
		case 'f':
			if !s.lit("false") {
				return false
			}
		case 'n':
			if !s.lit("null") {
				return false
			}
		case 'N':
			if !s.lit(PyNaN) {
				return false
			}
		case 'I':
			if !s.lit(PyInf) {
				return false
			}
		default:
			if !s.num() {
				return false
			}
		}
		// After a value: close containers or move to the next element.
		for {
			if s.depth == 0 {
				return true
			}
			s.ws()
			if s.i >= len(s.b) {
				return false
			}
			obj := s.topIsObject()
			c := s.b[s.i]
			if c == ',' {
				s.i++
				if obj && !s.key() {
					return false
				}
				break
			}
			if obj && c == '}' || !obj && c == ']' {
				s.i++
				s.depth--
				continue
			}
			return false
		}
	}
}

// key scans `"name":` inside an object.
func (s *scanner) key() bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' || !s.str() {
		return false
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return false
	}
	s.i++
	return true
}

func (s *scanner) lit(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// strPlain[c] is true for the bytes a string scan passes over without a
// second look: the ASCII ones a JSON string holds as they are, and DEL.
var strPlain = func() [256]bool {
	t := plain
	t[0x7f] = true
	return t
}()

func (s *scanner) str() bool {
	s.i++ // opening quote
	for s.i < len(s.b) {
		// Plain ASCII first, in locals: most of a string is that.
		b, i := s.b, s.i
		for i < len(b) && strPlain[b[i]] {
			i++
		}
		s.i = i
		if i == len(b) {
			return false
		}
		c := b[i]
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				s.i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 || mustEscape(r) {
				s.clean = false
			}
			s.i += size
		}
	}
	return false
}

func (s *scanner) num() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
		if i < len(b) && b[i] == 'I' {
			return s.lit(PyNegInf)
		}
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	s.i = i
	return true
}

// SkipValue checks the JSON value that starts at raw[i], after optional
// whitespace, and returns the index just past it. ok is false when raw
// holds no valid JSON value there or it nests deeper than 256 levels. It
// accepts what encoding/json accepts (invalid UTF-8 inside strings
// included), bar that depth, and NaN, Infinity and -Infinity as numbers.
func SkipValue(raw []byte, i int) (end int, ok bool) {
	s := scanner{b: raw, i: i, clean: true}
	if !s.value() {
		return 0, false
	}
	return s.i, true
}

// AppendUnquoted appends the JSON string at line[i], decoded, to buf, and
// returns the index past it. It reports false, for the caller to use
// encoding/json, for anything it does not decode exactly as encoding/json
// would: invalid UTF-8, a surrogate escape, or not a string.
func AppendUnquoted(buf, line []byte, i int) ([]byte, int, bool) {
	if i >= len(line) || line[i] != '"' {
		return buf, 0, false
	}
	i++
	start := i
	from := len(buf)
	for i < len(line) {
		c := line[i]
		switch {
		case c == '"':
			buf = append(buf, line[start:i]...)
			if !utf8.Valid(buf[from:]) {
				return buf, 0, false
			}
			return buf, i + 1, true
		case c < 0x20:
			return buf, 0, false
		case c == '\\':
			if i+1 >= len(line) {
				return buf, 0, false
			}
			buf = append(buf, line[start:i]...)
			switch e := line[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				if i+6 > len(line) {
					return buf, 0, false
				}
				r, err := strconv.ParseUint(string(line[i+2:i+6]), 16, 16)
				if err != nil || 0xd800 <= r && r < 0xe000 {
					return buf, 0, false // surrogates: left to encoding/json
				}
				buf = utf8.AppendRune(buf, rune(r))
				i += 4
			default:
				return buf, 0, false
			}
			i += 2
			start = i
		default:
			i++
		}
	}
	return buf, 0, false
}

// NumberEnd returns the end of the JSON number at raw[i]: false for
// anything else, NaN, Infinity and -Infinity among them.
func NumberEnd(raw []byte, i int) (int, bool) {
	end, ok := SkipValue(raw, i)
	if !ok || end == i || !(raw[i] == '-' || '0' <= raw[i] && raw[i] <= '9') || raw[i] == '-' && raw[i+1] == 'I' {
		return 0, false
	}
	return end, true
}
