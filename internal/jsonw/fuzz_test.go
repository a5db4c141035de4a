package jsonw

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/toolaudit/toolaudit/internal/linetest"
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
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":null}]}`, `{ "a" : "\u00e9" }`, "{\"a\":\"\u2028\"}", `{"a":1.}`, `[1]`, `{"a":"\x"}`,
		// Python's json.dumps of float("nan") and the infinities, and what
		// Python refuses.
		`{"a": NaN, "b": [Infinity, {"c": -Infinity}], "d": "NaN"}`, `{"a":-Infinity}`, `{"a":nan}`, `{"a":+Infinity}`,
		`{"a":-NaN}`, `{"a":Inf}`, `{"a":NaN1}`, `{"a":1NaN}`, `{NaN:1}`, `{"a":Infinit}`, `{"a":- Infinity}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		valid, clean := ScanObject(raw)
		want := ValidObject(linetest.PyTokens(raw, "null", "null", "null")) && depthOf(raw) <= maxScanDepth
		if valid != want {
			t.Fatalf("ScanObject(%q) valid=%v, encoding/json with the tokens as null says %v", raw, valid, want)
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
		// The tokens compare as strings no other value decodes to.
		a, errA := decodeNumbers(linetest.PyTokens(raw, `"\u0000NaN"`, `"\u0000Inf"`, `"\u0000-Inf"`))
		b, errB := decodeNumbers(linetest.PyTokens(out, `"\u0000NaN"`, `"\u0000Inf"`, `"\u0000-Inf"`))
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("AppendRaw changed the value: %q -> %q (%v, %v)", raw, out, errA, errB)
		}
		if ok, c := ScanObject(out); !ok || !c {
			t.Fatalf("AppendRaw output not clean: %q", out)
		}
		// ReplaceNonFinite makes strict JSON of the same value, the tokens
		// as AppendFloat's strings.
		strict := ReplaceNonFinite(nil, raw, NaNString, InfString, NegInfString)
		if !json.Valid(strict) {
			t.Fatalf("ReplaceNonFinite gives invalid JSON %q for %q", strict, raw)
		}
		c, errC := decodeNumbers(linetest.PyTokens(raw, NaNString, InfString, NegInfString))
		d, errD := decodeNumbers(strict)
		if errC != nil || errD != nil || !reflect.DeepEqual(c, d) {
			t.Fatalf("ReplaceNonFinite changed the value: %q -> %q (%v, %v)", raw, strict, errC, errD)
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
