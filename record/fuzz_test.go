package record

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/internal/jsonw"
	"github.com/toolaudit/toolaudit/internal/linetest"
)

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
		linetest.OnePyLine(t, line)
		strict, _ := e.MarshalJSON()
		linetest.OneLine(t, strict)
		back, err := Parse(line, time.UTC)
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

func FuzzParse(f *testing.F) {
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
		e, err := Parse(line, time.Local)
		if err != nil {
			return
		}
		ours := e.AppendJSON(nil)
		linetest.OnePyLine(t, ours)
		strict, _ := e.MarshalJSON()
		linetest.OneLine(t, strict)
		again, err := Parse(ours, time.Local)
		if err != nil {
			t.Fatalf("our line %q of %q does not read back: %v", ours, line, err)
		}
		if b := again.AppendJSON(nil); !bytes.Equal(b, ours) {
			t.Fatalf("our line %q read back and written again is %q", ours, b)
		}
	})
}
