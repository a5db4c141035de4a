package toolaudit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/internal/linetest"
	"github.com/toolaudit/toolaudit/internal/redact"
)

func FuzzArgs(f *testing.F) {
	f.Add("café", "password", `{"a":[1,"x"]}`, 3)
	f.Add(strings.Repeat("é", 600), "max_tokens", `{"cookie":{"a":1}}`, 500)
	f.Add("a\x00\xff\u2028", "X-Api-Key", `[1,2`, 1)
	f.Add("", "", `{"a":"\u2028"}`, 0)
	f.Add("", "", `{"n":1E700}`, 5) // valid JSON whose number does not fit a float64
	// Python's tokens are not JSON: the middleware records them as text.
	f.Add("NaN", "Infinity", `{"n":[NaN,Infinity,-Infinity]}`, 5)
	f.Fuzz(func(t *testing.T, s, key, raw string, limit int) {
		limit = max(1, limit%1000)
		ae := argEncoder{limit: limit, red: redact.New(redact.DefaultKeys, nil)}
		args := map[string]any{"s": s, "k:" + key: key, "raw": json.RawMessage(raw), "list": []any{s, map[string]any{key: s}}}
		out := ae.appendValue(nil, args, 0)
		linetest.OneLine(t, out)
		// Numbers as json.Number: a valid number such as 1E700 in raw does
		// not fit a float64, and it is recorded as it is.
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(out))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if utf8.ValidString(s) && utf8.RuneCountInString(s) <= limit && m["s"] != s {
			t.Fatalf("short value changed: %q became %q", s, m["s"])
		}
		if n := utf8.RuneCountInString(s); n > limit && !strings.HasSuffix(m["s"].(string), " chars total]") {
			t.Fatalf("long value not truncated: %q", m["s"])
		}
		// The key as JSON reads it back: each byte of invalid UTF-8 is U+FFFD.
		if ae.red.Sensitive("k:"+key) && m["k:"+string([]rune(key))] != redact.Placeholder {
			t.Fatalf("sensitive key %q not redacted: %s", key, out)
		}
		typed := ae.appendArgsAny(nil, struct {
			S   string
			Raw json.RawMessage `json:",omitempty"`
		}{S: s})
		linetest.OneLine(t, typed)
	})
}
