package toolaudit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/internal/jsonw"
	"github.com/toolaudit/toolaudit/internal/redact"
)

// oneSafeLine fails unless b is one line of valid JSON that Python's
// splitlines keeps whole.
func oneSafeLine(t *testing.T, b []byte) {
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

// onePyLine fails unless b is one line that Python's json.loads reads and
// splitlines keeps whole: valid JSON once the tokens NaN, Infinity and
// -Infinity that Python writes for such floats are taken for numbers.
func onePyLine(t *testing.T, b []byte) {
	t.Helper()
	oneSafeLine(t, pyTokensAsNull(b))
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
		oneSafeLine(t, out)
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
		oneSafeLine(t, typed)
	})
}

func FuzzEntryLine(f *testing.F) {
	f.Add("alice", "search", `{"q":"x"}`, "ok", "snippet", int64(1_800_000_000), int64(1500))
	f.Add("\xff", "\u2028", `{"a":`, "", "\x00", int64(-1), int64(0))
	f.Add("bob", "NaN", `{"a": [NaN, {"b": Infinity}], "c": -Infinity}`, "ok", "Infinity", int64(1_800_000_000), int64(0))
	f.Add("bob", "t", `{"a":nan,"b":-Inf}`, "ok", "", int64(0), int64(0))
	f.Fuzz(func(t *testing.T, user, tool, args, status, snippet string, unix, us int64) {
		e := Entry{
			Time: time.Unix(unix%(1<<35), 0).UTC(), User: user, Tool: tool, Args: json.RawMessage(args),
			Status: Status(status), ResultSnippet: snippet, Duration: time.Duration(us%(1<<40)) * time.Microsecond,
			TraceID: tool, CallID: user,
		}
		line := e.AppendJSON(nil)
		onePyLine(t, line)
		strict, _ := e.MarshalJSON()
		oneSafeLine(t, strict)
		back, err := ParseEntry(line, time.UTC)
		if err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		if valid, clean := jsonw.ScanObject(e.Args); valid && clean && !bytes.Equal(back.Args, e.Args) {
			t.Fatalf("args %q read back as %q", e.Args, back.Args)
		}
		if utf8.ValidString(user) && back.User != user || utf8.ValidString(tool) && back.Tool != tool {
			t.Fatalf("round trip changed %q/%q into %q/%q", user, tool, back.User, back.Tool)
		}
		if y := e.Time.Year(); y >= 0 && y <= 9999 && !back.Time.Equal(e.Time) {
			t.Fatalf("time %v read back as %v from %q", e.Time, back.Time, line)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	f.Add([]byte(`{"ts": "2026-11-27T09:30:00", "user": "bob", "args": {"a": 1}, "result_chars": 4}`))
	f.Add([]byte(`{"ts":"2026-11-27T09:30:00+01:00","duration_ms":1e308}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"ts":"x","user":"a\u00e9\n\"","args":[1,{"b":null}],"result_chars":-0,"duration_ms":-1.5e-3}`))
	f.Add([]byte(`{"user":"\ud83d\ude00","TS":"y","user":1}`))
	// The reference module's json.dumps of float("nan") and the infinities.
	f.Add([]byte(`{"ts": "2026-11-27T09:30:00", "tool": "t", "args": {"a": [1, NaN, {"b": Infinity}], "c": -Infinity}, "status": "ok", "result_chars": 4}`))
	f.Add([]byte(`{"tool":"t","extra":NaN,"Args":{"a":-Infinity},"args":{"a":Infinity},"duration_ms":NaN}`))
	f.Add([]byte(`{"args":{"a":nan,"b":+Infinity,"c":-NaN,"d":Inf},"result_chars":NaN}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		checkParseFast(t, line)
		e, err := ParseEntry(line, time.Local)
		if err != nil {
			return
		}
		ours := e.AppendJSON(nil)
		onePyLine(t, ours)
		strict, _ := e.MarshalJSON()
		oneSafeLine(t, strict)
		again, err := ParseEntry(ours, time.Local)
		if err != nil {
			t.Fatalf("our line %q of %q does not read back: %v", ours, line, err)
		}
		if b := again.AppendJSON(nil); !bytes.Equal(b, ours) {
			t.Fatalf("our line %q read back and written again is %q", ours, b)
		}
	})
}
