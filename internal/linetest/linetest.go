// Package linetest checks, in tests, that bytes are one audit line that
// Python's json.loads reads and its str.splitlines keeps whole.
package linetest

import (
	"bytes"
	"encoding/json"
	"testing"
)

// OneLine fails unless b is one line of valid JSON that Python's
// splitlines keeps whole.
func OneLine(t testing.TB, b []byte) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not valid JSON: %q", b)
	}
	for _, bad := range []string{"\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\u0085", "\u2028", "\u2029"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Fatalf("line break %q in %q", bad, b)
		}
	}
}

// OnePyLine fails unless b is one line that Python's json.loads reads and
// splitlines keeps whole: valid JSON once the tokens NaN, Infinity and
// -Infinity that Python writes for such floats are taken for numbers.
func OnePyLine(t testing.TB, b []byte) {
	t.Helper()
	OneLine(t, PyTokens(b, "null", "null", "null"))
}

// PyTokens replaces, outside strings, the tokens Python writes for NaN and
// the infinities by nan, inf and negInf, by the text alone: with "null"
// for all three, encoding/json then says whether raw is valid to Python.
func PyTokens(raw []byte, nan, inf, negInf string) []byte {
	var out []byte
	in := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case in && c == '\\' && i+1 < len(raw):
			out = append(out, c, raw[i+1])
			i++
			continue
		case c == '"':
			in = !in
		case !in && bytes.HasPrefix(raw[i:], []byte("-Infinity")):
			out = append(out, negInf...)
			i += len("-Infinity") - 1
			continue
		case !in && bytes.HasPrefix(raw[i:], []byte("Infinity")):
			out = append(out, inf...)
			i += len("Infinity") - 1
			continue
		case !in && bytes.HasPrefix(raw[i:], []byte("NaN")):
			out = append(out, nan...)
			i += len("NaN") - 1
			continue
		}
		out = append(out, c)
	}
	return out
}
