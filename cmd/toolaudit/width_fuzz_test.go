package main

import (
	"encoding/json"
	"testing"
)

// FuzzShowJSON checks that showJSON keeps what valid JSON means, and that
// what the table prints of any input holds no character a terminal obeys.
func FuzzShowJSON(f *testing.F) {
	for _, s := range []string{`{"q":"caf\u00e9"}`, `"\ud83d\ude00"`, `"\ud83d"`, `"\\u00e9"`, `"\u0022\u005c\u001b\u202e"`, `\u12`, `\`, `"\uDBFF\uDFFF\uD800x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		shown := showJSON(raw)
		var before, after any
		if json.Unmarshal([]byte(raw), &before) == nil {
			if err := json.Unmarshal([]byte(shown), &after); err != nil {
				t.Fatalf("%q shown as %q, no longer JSON: %v", raw, shown, err)
			}
			a, _ := json.Marshal(before)
			b, _ := json.Marshal(after)
			if string(a) != string(b) {
				t.Fatalf("%q shown as %q: %s, was %s", raw, shown, b, a)
			}
		}
		for _, r := range sanitize(shown) {
			if unsafeRune(r) {
				t.Fatalf("%q shown with %U", raw, r)
			}
		}
		if w := strWidth(cut(shown, 10)); w > 10 {
			t.Fatalf("cut to 10 columns: %d", w)
		}
	})
}
