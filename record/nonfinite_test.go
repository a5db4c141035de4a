package record

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseNonFinite reads the tokens Python's json module writes for
// NaN and the infinities, on the fast path and on the encoding/json one,
// and refuses anything looser.
func TestParseNonFinite(t *testing.T) {
	ok := []struct {
		line, args string
		dur        time.Duration
	}{
		{`{"tool":"a","args":{"x":NaN,"y":[Infinity,-Infinity]},"result_chars":1}`, `{"x":NaN,"y":[Infinity,-Infinity]}`, NoDuration},
		{`{"tool": "a", "args": {"x": [1, {"y": [NaN, {"z": -Infinity}]}], "s": "NaN"}, "status": "ok"}`, `{"x": [1, {"y": [NaN, {"z": -Infinity}]}], "s": "NaN"}`, NoDuration},
		// encoding/json's path: an unknown field, a key in other case, a
		// key seen twice (the last wins), an escaped key.
		{`{"tool":"a","extra":NaN,"args":{"x":Infinity}}`, `{"x":Infinity}`, NoDuration},
		{`{"tool":"a","ARGS":{"x":NaN},"duration_ms":2}`, `{"x":NaN}`, 2 * time.Millisecond},
		{`{"tool":"a","args":{"x":1},"args":{"x":-Infinity}}`, `{"x":-Infinity}`, NoDuration},
		{`{"tool":"a","args":{"x":-Infinity},"Args":{"x":NaN},"\u0061rgs":{"y":Infinity}}`, `{"y":Infinity}`, NoDuration},
		{`{"tool":"a","args":{"x":NaN},"user":"\ud83d"}`, `{"x":NaN}`, NoDuration},
		// duration_ms is a float: these read as unknown, as a negative does.
		{`{"tool":"a","args":{},"duration_ms":NaN}`, `{}`, NoDuration},
		{`{"tool":"a","args":{},"duration_ms":Infinity}`, `{}`, NoDuration},
		{`{"tool":"a","args":{},"duration_ms":-Infinity}`, `{}`, NoDuration},
		{`{"tool":"a","extra":1,"args":{},"duration_ms":NaN}`, `{}`, NoDuration},
	}
	for _, c := range ok {
		e, err := Parse([]byte(c.line), time.UTC)
		require.NoError(t, err, c.line)
		assert.Equal(t, "a", e.Tool, c.line)
		assert.Equal(t, c.args, string(e.Args), c.line)
		assert.Equal(t, c.dur, e.Duration, c.line)
		checkParseFast(t, []byte(c.line))
	}

	bad := []string{
		// result_chars is an integer: NaN is no more one than 1.5 is.
		`{"args":{},"result_chars":NaN}`, `{"args":{},"result_chars":-Infinity}`, `{"extra":1,"result_chars":Infinity}`,
		// Strings hold no numbers.
		`{"tool":NaN}`, `{"extra":1,"user":Infinity}`,
		// Only Python's three spellings.
		`{"args":{"x":nan}}`, `{"args":{"x":Inf}}`, `{"args":{"x":+Infinity}}`, `{"args":{"x":-NaN}}`,
		`{"args":{"x":infinity}}`, `{"args":{"x":-Inf}}`, `{"args":{"x":NaNa}}`, `{"args":{"x":Infinit}}`,
		`{"args":{"x":1NaN}}`, `{"args":{"x":NaN1}}`, `{"args":{"x":NaN NaN}}`, `{"args":{NaN:1}}`,
		`{"args":{"x":[NaN,]}}`, `{"extra":-Infinity1,"args":{}}`, `{"extra":+Infinity}`, `{"duration_ms":nan}`,
		`{"duration_ms":+Infinity}`, `{"duration_ms":-NaN}`, `{"extra":1,"duration_ms":Inf}`, `NaN`,
	}
	for _, line := range bad {
		_, err := Parse([]byte(line), time.UTC)
		assert.ErrorIs(t, err, ErrMalformed, line)
		checkParseFast(t, []byte(line))
	}
}

// TestAppendJSONNonFinite checks that a line with the tokens is written
// back as it was read, and that MarshalJSON, for encoding/json, writes
// them as the strings jsonw.AppendFloat writes for such floats.
func TestAppendJSONNonFinite(t *testing.T) {
	line := `{"ts":"2026-11-27T09:30:00+01:00","user":"alice","engine":"","model":"","tool":"t","args":{"a":[NaN,{"b":Infinity}],"c":-Infinity,"s":"NaN"},"status":"ok","result_chars":0,"result_snippet":""}`
	e, err := Parse([]byte(line), time.UTC)
	require.NoError(t, err)
	assert.Equal(t, line, string(e.AppendJSON(nil)))

	m, err := json.Marshal(e)
	require.NoError(t, err)
	var back struct{ Args any }
	require.NoError(t, json.Unmarshal(m, &back), string(m))
	assert.Equal(t, map[string]any{"a": []any{"NaN", map[string]any{"b": "+Inf"}}, "c": "-Inf", "s": "NaN"}, back.Args)
	assert.Equal(t, line, string(e.AppendJSON(nil)), "MarshalJSON leaves the entry as it was")

	// Arguments in Go hold no such token: recorded as text, as before.
	e.Args = json.RawMessage(`{"a":nan}`)
	assert.Contains(t, string(e.AppendJSON(nil)), `"args":{"_unparsed":"{\"a\":nan}"}`)
}
