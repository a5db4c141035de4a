package record

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkParseFast checks that when parseFast decodes line, parseSlow
// (encoding/json) accepts it and decodes the same fields.
func checkParseFast(t *testing.T, line []byte) {
	t.Helper()
	var fast wireEntry
	if !parseFast(line, &fast) {
		return
	}
	var slow wireEntry
	require.NoError(t, parseSlow(line, &slow), "parseFast accepted a line parseSlow refuses: %q", line)
	require.Equal(t, slow, fast, "%q", line)
}

// TestParseFastAgreesWithEncodingJSON runs lines of every shape through both
// decoders, and checks that the usual lines do take the fast path.
func TestParseFastAgreesWithEncodingJSON(t *testing.T) {
	usual := []string{
		// ours
		`{"ts":"2026-11-27T09:30:00.123+01:00","user":"alice","engine":"anthropic","model":"claude-sonnet-4-5","tool":"search","args":{"limit":10,"query":"caf\u00e9 \"near\"\nthe station"},"status":"ok","result_chars":9,"result_snippet":"3 results\u202e","duration_ms":0.024,"trace_id":"0123456789abcdef0123456789abcdef","span_id":"0123456789abcdef","call_id":"call_1"}`,
		// the reference module's json.dumps: spaces, \uXXXX escapes, no offset
		`{"ts": "2026-11-27T09:30:00.123456", "user": "bob", "engine": "openai", "model": "gpt-4o", "tool": "fetch", "args": {"url": "https://example.com/\u00e9"}, "status": "error", "result_chars": 12, "result_snippet": "caf\u00e9 \u2014 ok"}`,
		`{}`,
		` { "args" : null } `,
		`{"args":"text","result_chars":-0,"duration_ms":1e3}`,
		`{"user":"\t\\\/\b\f\r"}`,
	}
	for _, line := range usual[:2] {
		var w wireEntry
		assert.True(t, parseFast([]byte(line), &w), "fast path not taken: %s", line)
	}
	odd := []string{
		`{"user":"a","user":"b"}`, `{"User":"a"}`, `{"user":null}`, `{"user":1}`, `{"result_chars":1.5}`,
		`{"result_chars":1e2}`, `{"result_chars":99999999999999999999}`, `{"duration_ms":1e400}`,
		`{"user":"\ud83d\ude00"}`, `{"user":"\ud83d"}`, "{\"user\":\"a\xffb\"}", "{\"user\":\"a\x01\"}",
		`{"extra":1,"user":"a"}`, `{"user":"a"} x`, `{"user":"a",}`, `{"args":[1,2}`, `{"args":01}`,
		`{"user":"a\u00"}`, `{"user":"a\x"}`, `{"ts":"a"`, `{`, `[]`, `{"user" "a"}`, `{"args":{"a":tru}}`,
		`{"result_chars":-}`, `{"duration_ms":"1"}`, `{"user":"a"}` + "\n", `{"\u0075ser":"a"}`,
	}
	for _, line := range append(usual, odd...) {
		checkParseFast(t, []byte(line))
		fast, errFast := Parse([]byte(line), nil)
		var w wireEntry
		if err := json.Unmarshal([]byte(line), &w); err != nil {
			assert.ErrorIs(t, errFast, ErrMalformed, line)
			continue
		}
		require.NoError(t, errFast, line)
		assert.Equal(t, w.User, fast.User, line)
		assert.Equal(t, w.ResultChars, fast.ResultChars, line)
	}
}

// BenchmarkParse parses a typical line of ours; the baseline decodes it
// with encoding/json, as Parse did before its fast path.
func BenchmarkParse(b *testing.B) {
	line := []byte(`{"ts":"2026-11-27T09:30:00.123+01:00","user":"alice","engine":"anthropic","model":"claude-sonnet-4-5","tool":"search","args":{"limit":10,"query":"opening hours of the café near the station"},"status":"ok","result_chars":9,"result_snippet":"3 results","duration_ms":0.024,"trace_id":"0123456789abcdef0123456789abcdef","span_id":"0123456789abcdef"}`)
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(line, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w wireEntry
			if err := json.Unmarshal(line, &w); err != nil {
				b.Fatal(err)
			}
		}
	})
}
