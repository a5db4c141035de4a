package record_test

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/toolaudit/toolaudit/record"
)

func TestEntryJSONRoundTrip(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	require.NoError(t, err)
	e := record.Entry{
		Time:          time.Date(2026, 11, 27, 9, 30, 0, 0, zurich),
		User:          "alice",
		Engine:        "anthropic",
		Model:         "claude-sonnet-4-5",
		Tool:          "search",
		Args:          json.RawMessage(`{"q":"café <b>"}`),
		Status:        record.StatusOK,
		ResultChars:   12,
		ResultSnippet: "Sunny, 21 °C",
		Duration:      12500 * time.Microsecond,
		TraceID:       "0102030405060708090a0b0c0d0e0f10",
		SpanID:        "0102030405060708",
		CallID:        "toolu_01",
	}
	line, err := e.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, line, e.AppendJSON(nil))
	assert.Equal(t, `{"ts":"2026-11-27T09:30:00+01:00","user":"alice","engine":"anthropic","model":"claude-sonnet-4-5","tool":"search","args":{"q":"café <b>"},"status":"ok","result_chars":12,"result_snippet":"Sunny, 21 °C","duration_ms":12.5,"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0102030405060708","call_id":"toolu_01"}`, string(line))

	back, err := record.Parse(line, time.UTC)
	require.NoError(t, err)
	assert.True(t, e.Time.Equal(back.Time))
	back.Time = e.Time
	assert.Equal(t, e, back)
}

func TestParseReferenceLine(t *testing.T) {
	// A line as the reference module writes it: ensure_ascii escapes,
	// ", " separators, a local time without offset, no extras.
	line := `{"ts": "2026-11-27T09:30:00", "user": "bob", "engine": "", "model": "", "tool": "read", "args": {"path": "caf\u00e9 \ud83d\ude00"}, "status": "error", "result_chars": 4, "result_snippet": "nope", "future_field": [1]}`
	loc := time.FixedZone("X", -5*3600)
	e, err := record.Parse([]byte(line), loc)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 27, 9, 30, 0, 0, loc), e.Time)
	assert.Equal(t, "bob", e.User)
	assert.Equal(t, record.StatusError, e.Status)
	assert.Equal(t, 4, e.ResultChars)
	assert.Equal(t, record.NoDuration, e.Duration, "the reference writes no duration_ms")
	var args map[string]string
	require.NoError(t, json.Unmarshal(e.Args, &args))
	assert.Equal(t, "café 😀", args["path"])
}

func TestParseMalformed(t *testing.T) {
	for _, line := range []string{``, `null`, `[1]`, `"x"`, `{"ts":`, `{"result_chars":"many"}`, "\x00\xff"} {
		_, err := record.Parse([]byte(line), time.UTC)
		assert.ErrorIs(t, err, record.ErrMalformed, "%q", line)
	}
	e, err := record.Parse([]byte(`{"ts":"yesterday","tool":"x"}`), time.UTC)
	require.NoError(t, err, "a bad ts is not fatal")
	assert.True(t, e.Time.IsZero())
}

func TestParseTime(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	tests := map[string]time.Time{
		"2026-11-27T09:30:00+01:00":  time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC),
		"2026-11-27T08:30:00Z":       time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC),
		"2026-11-27T09:30:00":        time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC),
		"2026-11-27T09:30:00.250000": time.Date(2026, 11, 27, 8, 30, 0, 250e6, time.UTC),
	}
	for in, want := range tests {
		assert.True(t, want.Equal(record.ParseTime(in, loc)), in)
	}
	assert.True(t, record.ParseTime("27/11/2026", loc).IsZero())
}

func TestAppendJSONInvalidArgs(t *testing.T) {
	e := record.Entry{Time: time.Unix(0, 0).UTC(), Args: json.RawMessage(`{"a":"trunc`)}
	line := e.AppendJSON(nil)
	require.True(t, json.Valid(line), string(line))
	assert.Contains(t, string(line), `"args":{"_unparsed":"{\"a\":\"trunc"}`)
}

func TestAppendJSONTimeFormats(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("a", -(9*3600 + 30*60)), time.FixedZone("b", 14*3600), time.FixedZone("c", 5*3600+45*60)}
	for _, loc := range zones {
		for _, ts := range []time.Time{time.Date(2026, 1, 2, 3, 4, 5, 999, loc), time.Date(1, 12, 31, 23, 59, 59, 0, loc), time.Date(9999, 6, 7, 0, 0, 0, 0, loc)} {
			e := record.Entry{Time: ts}
			line := string(e.AppendJSON(nil))
			assert.Contains(t, line, `{"ts":"`+ts.Format(record.TimeLayout)+`"`)
		}
	}
}

// TestDurationRoundTrip reads duration_ms back exactly as written: a
// duration of 0 is not lost to "unknown", none stays none, and 4.35 ms
// (4349999.99… ns as a float) is not cut to 4.349.
func TestDurationRoundTrip(t *testing.T) {
	for _, tail := range []string{`,"duration_ms":0}`, `,"duration_ms":4.35}`, `,"duration_ms":0.001}`, `,"duration_ms":1234.567}`, `}`} {
		line := `{"ts":"2026-11-27T09:30:00+00:00","user":"u","engine":"","model":"","tool":"t","args":{},"status":"ok","result_chars":0,"result_snippet":""` + tail
		e, err := record.Parse([]byte(line), time.UTC)
		require.NoError(t, err)
		assert.Equal(t, line, string(e.AppendJSON(nil)))
	}
	for ms := 0; ms < 100000; ms += 7 {
		text := strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
		e, err := record.Parse([]byte(`{"duration_ms":`+text+`}`), time.UTC)
		require.NoError(t, err)
		require.Equal(t, time.Duration(ms)*time.Microsecond, e.Duration, text)
	}
}

func TestDurationMillis(t *testing.T) {
	for us, want := range map[int64]string{1: "0.001", 24: "0.024", 12500: "12.5", 3000: "3", 1234567: "1234.567", 100: "0.1"} {
		e := record.Entry{Duration: time.Duration(us) * time.Microsecond}
		assert.Contains(t, string(e.AppendJSON(nil)), `"duration_ms":`+want+`}`)
	}
}

// TestAppendTSMatchesFormat compares the hand-written timestamp with
// time.Format over years 1 to 9999, days around the epoch and the ends of
// months and leap days, in zones east and west of UTC, with offsets in
// seconds and of 100 hours or more.
func TestAppendTSMatchesFormat(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("w", -(9*3600 + 30*60)), time.FixedZone("e", 14*3600),
		time.FixedZone("seconds", -(5*3600 + 30*60 + 17)), time.FixedZone("99h", 99*3600+59*60),
		time.FixedZone("huge", 150*3600), time.FixedZone("-huge", -150*3600)}
	if paris, err := time.LoadLocation("Europe/Paris"); err == nil {
		zones = append(zones, paris)
	}
	var times []time.Time
	for sec := int64(-3 * 86400); sec < 3*86400; sec += 3599 {
		times = append(times, time.Unix(sec, 0))
	}
	for y := 1; y <= 9999; y += 7 {
		for _, md := range [][2]int{{1, 1}, {2, 28}, {2, 29}, {3, 1}, {12, 31}} {
			times = append(times, time.Date(y, time.Month(md[0]), md[1], 23, 59, 59, 0, time.UTC))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		times = append(times, time.Unix(r.Int64N(253402300799+62135596800)-62135596800, r.Int64N(1e9)))
	}
	for _, loc := range zones {
		for _, ts := range times {
			ts = ts.In(loc)
			e := record.Entry{Time: ts}
			want := `{"ts":"` + ts.Format(record.TimeLayout) + `"`
			if line := string(e.AppendJSON(nil)); !strings.HasPrefix(line, want) {
				t.Fatalf("%v: got %.40s, want %s", ts, line, want)
			}
		}
	}
}
