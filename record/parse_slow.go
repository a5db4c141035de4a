package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/internal/jsonw"
)

// parseSlow decodes a line that parseFast declined, with encoding/json.
//
// Python's json module writes a float NaN or infinity as the bare token
// NaN, Infinity or -Infinity, and the reference module reads such lines
// back; encoding/json refuses them. A line it refuses that is valid with
// these tokens is decoded again with each of them read as -1.5: a float
// field (duration_ms) then holds no usable value, as for a negative one,
// an integer (result_chars) or string field is of the wrong type as for
// 1.5, and an unknown field is ignored. The arguments are then taken from
// the line itself, so that they keep the tokens byte for byte.
func parseSlow(line []byte, w *wireEntry) error {
	err := decodeSlow(line, w)
	if w.DurationMS != nil {
		w.durationMS, w.hasDuration, w.DurationMS = *w.DurationMS, true, nil
	}
	return err
}

func decodeSlow(line []byte, w *wireEntry) error {
	err := json.Unmarshal(line, w)
	if err == nil || !bytes.ContainsAny(line, "NI") {
		return err
	}
	if end, ok := jsonw.SkipValue(line, 0); !ok || jsonw.SkipSpace(line, end) != len(line) {
		return err
	}
	*w = wireEntry{}
	// -1.5: what a float field (duration_ms) reads as no value, and an
	// integer or string field as the wrong type.
	if err := json.Unmarshal(jsonw.ReplaceNonFinite(nil, line, "-1.5", "-1.5", "-1.5"), w); err != nil {
		return fmt.Errorf("%v (NaN, Infinity and -Infinity read as -1.5)", err)
	}
	if from, to, ok := argsSpan(line); ok {
		w.Args = json.RawMessage(append([]byte(nil), line[from:to]...))
	}
	return nil
}

// argsSpan returns where, in a valid object line, is the value that
// encoding/json decodes into the args field: that of the last member whose
// key equals "args" under Unicode case folding.
func argsSpan(line []byte) (from, to int, ok bool) {
	i := jsonw.SkipSpace(line, 0) + 1 // past the {
	for {
		i = jsonw.SkipSpace(line, i)
		if i >= len(line) || line[i] != '"' {
			return from, to, ok // the closing }
		}
		keyEnd, _ := jsonw.SkipValue(line, i)
		key := line[i:keyEnd]
		start := jsonw.SkipSpace(line, jsonw.SkipSpace(line, keyEnd)+1) // past the :
		end, _ := jsonw.SkipValue(line, start)
		if isArgsKey(key) {
			from, to, ok = start, end, true
		}
		i = jsonw.SkipSpace(line, end)
		if i < len(line) && line[i] == ',' {
			i++
		}
	}
}

// isArgsKey reports whether the string literal lit matches the field args
// as encoding/json matches keys to fields.
func isArgsKey(lit []byte) bool {
	s := lit[1 : len(lit)-1]
	if bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s) {
		var key string
		if json.Unmarshal(lit, &key) != nil {
			return false
		}
		s = []byte(key)
	}
	return bytes.EqualFold(s, []byte("args"))
}
