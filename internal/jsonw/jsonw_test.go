package jsonw

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`quote " and \ backslash`, `"quote \" and \\ backslash"`},
		{"<b>&é😀</b>", `"<b>&é😀</b>"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x1b\x7f", `"\u0000\u001b\u007f"`},
		{"\u2028\u2029\u0085", `"\u2028\u2029\u0085"`},
		{"\u009b[31mred\u0080", `"\u009b[31mred\u0080"`},
		{"a\u202eb\u2066c\u200fd", "\"a\\u202eb\\u2066c\u200fd\""},
		{"bad\xffutf8\xc3", `"bad\ufffdutf8\ufffd"`},
	}
	for _, tt := range tests {
		got := string(AppendString(nil, tt.in))
		assert.Equal(t, tt.want, got, "%q", tt.in)
		require.True(t, json.Valid([]byte(got)))
	}
}

func TestAppendFloat(t *testing.T) {
	tests := map[float64]string{1.5: "1.5", 3: "3", 1e21: "1e+21", 1e-7: "1e-7", -0.25: "-0.25", math.NaN(): `"NaN"`, math.Inf(1): `"+Inf"`, math.Inf(-1): `"-Inf"`}
	for in, want := range tests {
		assert.Equal(t, want, string(AppendFloat(nil, in, 64)))
	}
}

func TestAppendTruncated(t *testing.T) {
	assert.Equal(t, `"abc"`, string(AppendTruncated(nil, "abc", 3)))
	assert.Equal(t, `"ab …[3 chars total]"`, string(AppendTruncated(nil, "abc", 2)))
	assert.Equal(t, `"éé …[3 chars total]"`, string(AppendTruncated(nil, "ééé", 2)))
	assert.Equal(t, `"abc"`, string(AppendTruncated(nil, "abc", -1)))
	p, cut := Prefix(strings.Repeat("😀", 10), 4)
	assert.True(t, cut)
	assert.Equal(t, strings.Repeat("😀", 4), p)
}

func TestAppendRaw(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{`{ "a" : [ 1 , "x y" ] }`, -1, `{"a":[1,"x y"]}`},
		{`{"long key":"abcdef"}`, 3, `{"long key":"abc …[6 chars total]"}`},
		{`{"k":"\u00e9\u00e9\u00e9"}`, 2, `{"k":"éé …[3 chars total]"}`},
		{`{"k":"\u00e9"}`, 2, `{"k":"é"}`},
		{"{\"k\u2028\":\"v\u2028\"}", -1, `{"k\u2028":"v\u2028"}`},
		{"{\"k\":\"\xff\"}", -1, "{\"k\":\"\ufffd\"}"},
		{`["a\"b", {"c": "d\\"}]`, 1, `["a …[3 chars total]",{"c":"d …[2 chars total]"}]`},
	}
	for _, tt := range tests {
		got := string(AppendRaw(nil, []byte(tt.in), tt.limit))
		assert.Equal(t, tt.want, got, tt.in)
		assert.True(t, json.Valid([]byte(got)), got)
	}
}

func TestValidObject(t *testing.T) {
	assert.True(t, ValidObject([]byte(` {"a":1}`)))
	for _, in := range []string{``, `[]`, `"x"`, `{"a":`, `{} {}`, `null`} {
		assert.False(t, ValidObject([]byte(in)), in)
	}
}

func TestScanObjectAgreesWithEncodingJSON(t *testing.T) {
	inputs := []string{
		`{}`, `{"a":1}`, `{ "a" : 1 }`, `{"a":[1,2,{"b":null}],"c":true,"d":false}`, `{"a":-0.5e+10}`,
		`{"a":"\u00e9\n\""}`, "{\"a\":\"\u2028\"}", "{\"a\":\"\xff\"}", `{"a":01}`, `{"a":1.}`, `{"a":.5}`,
		`{"a":}`, `{"a"}`, `{"a":1,}`, `{,}`, `[1]`, `"x"`, `{} {}`, `{"a":[}`, `{"a":"\x"}`, `{"a":"\u12"}`,
		"{\"a\":\"\x01\"}", `{"a":tru}`, `{"a":nul}`, `{"a":1e}`, `{"a":-}`, `{"a":[1 2]}`, `{"a":{"b":1}}}`,
		`{"a":"b"` + "\n}", `  {"a":1}  `, strings.Repeat(`{"a":[`, 100) + "1" + strings.Repeat("]}", 100),
	}
	for _, in := range inputs {
		valid, clean := ScanObject([]byte(in))
		assert.Equal(t, ValidObject([]byte(in)), valid, "%q", in)
		if valid {
			// Clean means AppendRaw would not change it.
			assert.Equal(t, clean, string(AppendRaw(nil, []byte(in), -1)) == in, "%q", in)
		}
	}
}

// ValidObject is the test oracle: valid JSON whose value is an object,
// as encoding/json sees it.
func ValidObject(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return json.Valid(raw)
		}
		return false
	}
	return false
}

// BenchmarkScanObject validates typical tool arguments, as the exporter
// does for every line.
func BenchmarkScanObject(b *testing.B) {
	raw := []byte(`{"query":"opening hours of the café near the station","limit":10,"lang":"fr","filters":{"open_now":true,"radius_m":1500}}`)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if valid, _ := ScanObject(raw); !valid {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkAppendString appends the strings of a typical audit line: user,
// engine, model, tool, status, result, trace and span ids.
func BenchmarkAppendString(b *testing.B) {
	fields := []string{"alice", "anthropic", "claude-sonnet-4-5", "search", "ok", "3 results",
		"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"}
	buf := make([]byte, 0, 512)
	for b.Loop() {
		buf = buf[:0]
		for _, f := range fields {
			buf = AppendString(buf, f)
		}
	}
}

// TestPlainLenEveryByteEveryPlace puts each byte value at each place of a
// string of plain bytes and checks that the eight-at-a-time scan stops
// exactly where a byte-by-byte scan does.
func TestPlainLenEveryByteEveryPlace(t *testing.T) {
	for c := range 256 {
		for n := 1; n <= 24; n++ {
			for at := range n {
				s := []byte(strings.Repeat("a", n))
				s[at] = byte(c)
				want := 0
				for want < len(s) && plain[s[want]] {
					want++
				}
				if got := plainLen(string(s)); got != want {
					t.Fatalf("byte %#x at %d of %d: plainLen %d, want %d", c, at, n, got, want)
				}
			}
		}
	}
}
