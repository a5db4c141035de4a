package jsonw

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func depthOf(raw []byte) int {
	d, m := 0, 0
	in := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == '{' || c == '['):
			d++
			m = max(m, d)
		case !in && (c == '}' || c == ']'):
			d--
		}
	}
	return m
}

// decodeNumbers decodes raw as encoding/json does, numbers as json.Number.
func decodeNumbers(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

func FuzzScanObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":null}]}`, `{ "a" : "\u00e9" }`, "{\"a\":\"\u2028\"}", `{"a":1.}`, `[1]`, `{"a":"\x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		valid, clean := ScanObject(raw)
		want := ValidObject(raw) && depthOf(raw) <= maxScanDepth
		if valid != want {
			t.Fatalf("ScanObject(%q) valid=%v, encoding/json says %v", raw, valid, want)
		}
		if !valid {
			return
		}
		out := AppendRaw(nil, raw, -1)
		if clean != bytes.Equal(out, raw) {
			t.Fatalf("clean=%v but AppendRaw gives %q for %q", clean, out, raw)
		}
		// Numbers compare as their text: a valid number such as 1E700 does
		// not fit a float64, and AppendRaw copies numbers as they are.
		a, errA := decodeNumbers(raw)
		b, errB := decodeNumbers(out)
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("AppendRaw changed the value: %q -> %q (%v, %v)", raw, out, errA, errB)
		}
		if ok, c := ScanObject(out); !ok || !c {
			t.Fatalf("AppendRaw output not clean: %q", out)
		}
	})
}

func FuzzAppendString(f *testing.F) {
	f.Add("café <b> \u2028 \x00 \xff")
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		if want := string([]rune(s)); back != want {
			t.Fatalf("%q read back as %q", s, back)
		}
		if ok, clean := ScanObject(append(append([]byte(`{"k":`), out...), '}')); !ok || !clean {
			t.Fatalf("not a clean string: %q", out)
		}
	})
}
