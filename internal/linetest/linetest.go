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
	OneLine(t, pyTokensAsNull(b))
}

// pyTokensAsNull replaces, by the text alone, each NaN, Infinity and
// -Infinity outside strings with null.
func pyTokensAsNull(raw []byte) []byte {
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
		case !in:
			for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
				if bytes.HasPrefix(raw[i:], []byte(tok)) {
					out = append(out, "null"...)
					i += len(tok) - 1
					c = 0
					break
				}
			}
			if c == 0 {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}
