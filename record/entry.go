package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/toolaudit/toolaudit/internal/jsonw"
)

// TimeLayout is the layout of an entry's ts: RFC 3339 to the second with the
// UTC offset, as Python's datetime.isoformat(timespec="seconds") writes an
// aware time ("2026-11-27T09:30:00+01:00").
const TimeLayout = "2006-01-02T15:04:05-07:00"

// naiveLayout reads the reference module's offset-less local timestamps,
// with or without fractional seconds.
const naiveLayout = "2006-01-02T15:04:05.999999999"

// Entry is one audited tool call: one line of a day file, each field
// commented with its JSON key. Parse then AppendJSON gives back the line
// as the exporter wrote it.
type Entry struct {
	Time          time.Time       // ts: when the call ended
	User          string          // user
	Engine        string          // engine: the model provider of the run
	Model         string          // model
	Tool          string          // tool
	Args          json.RawMessage // args: a JSON object, string values truncated
	Status        Status          // status: ok, error or denied
	ResultChars   int             // result_chars: full result length in code points
	ResultSnippet string          // result_snippet: the result's first characters
	Duration      time.Duration   // duration_ms, to the microsecond; NoDuration when the line has none
	TraceID       string          // trace_id, hex; "" when unknown
	SpanID        string          // span_id, hex; "" when unknown
	CallID        string          // call_id: the model's call id; "" when unknown
	Chain         string          // chain: the line's link in its user's hash chain, hex; "" when none
}

// NoDuration is the Duration of an entry whose line has no duration_ms, as
// the reference module's lines: AppendJSON writes none (any negative
// Duration means the same).
const NoDuration time.Duration = -1

// ErrMalformed is wrapped by Parse's errors: the line is not a JSON
// object of the audit format.
var ErrMalformed = errors.New("malformed audit line")

// AppendJSON appends e as one line of the audit format, without the
// newline. Args that are not a valid JSON object are recorded as
// {"_unparsed": "<their text>"} so the line stays valid JSON, bar one
// exception: NaN, Infinity and -Infinity, which Python writes for such
// floats and Parse reads, are kept as they are.
func (e *Entry) AppendJSON(b []byte) []byte {
	b = append(b, `{"ts":"`...)
	b = appendTS(b, e.Time)
	b = append(b, `","user":`...)
	b = jsonw.AppendString(b, e.User)
	b = append(b, `,"engine":`...)
	b = jsonw.AppendString(b, e.Engine)
	b = append(b, `,"model":`...)
	b = jsonw.AppendString(b, e.Model)
	b = append(b, `,"tool":`...)
	b = jsonw.AppendString(b, e.Tool)
	b = append(b, `,"args":`...)
	valid, clean := jsonw.ScanObject(e.Args)
	switch {
	case len(e.Args) == 0:
		b = append(b, "{}"...)
	case clean:
		b = append(b, e.Args...)
	case valid:
		b = jsonw.AppendRaw(b, e.Args, -1)
	default:
		b = append(b, `{"_unparsed":`...)
		b = jsonw.AppendString(b, string(e.Args))
		b = append(b, '}')
	}
	b = append(b, `,"status":`...)
	b = jsonw.AppendString(b, string(e.Status))
	b = append(b, `,"result_chars":`...)
	b = strconv.AppendInt(b, int64(e.ResultChars), 10)
	b = append(b, `,"result_snippet":`...)
	b = jsonw.AppendString(b, e.ResultSnippet)
	if e.Duration >= 0 {
		b = append(b, `,"duration_ms":`...)
		b = appendMillis(b, e.Duration.Microseconds())
	}
	if e.TraceID != "" {
		b = append(b, `,"trace_id":`...)
		b = jsonw.AppendString(b, e.TraceID)
	}
	if e.SpanID != "" {
		b = append(b, `,"span_id":`...)
		b = jsonw.AppendString(b, e.SpanID)
	}
	if e.CallID != "" {
		b = append(b, `,"call_id":`...)
		b = jsonw.AppendString(b, e.CallID)
	}
	if e.Chain != "" {
		// Last: the link is over the line's bytes before it.
		b = append(b, `,"chain":`...)
		b = jsonw.AppendString(b, e.Chain)
	}
	return append(b, '}')
}

// MarshalJSON returns e in the audit format (see AppendJSON), as strict
// JSON: NaN, Infinity and -Infinity in the args become the strings "NaN",
// "+Inf" and "-Inf", as the middleware writes such floats. Note that
// json.Marshal escapes <, > and & in what MarshalJSON returns; use
// AppendJSON for the exact line.
func (e Entry) MarshalJSON() ([]byte, error) {
	if bytes.ContainsAny(e.Args, "NI") {
		if valid, _ := jsonw.ScanObject(e.Args); valid {
			e.Args = jsonw.ReplaceNonFinite(nil, e.Args, jsonw.NaNString, jsonw.InfString, jsonw.NegInfString)
		}
	}
	return e.AppendJSON(make([]byte, 0, 256)), nil
}

// UnmarshalJSON parses one audit line as Parse does, reading a ts
// without UTC offset as local time.
func (e *Entry) UnmarshalJSON(b []byte) error {
	v, err := Parse(b, time.Local)
	if err != nil {
		return err
	}
	*e = v
	return nil
}

type wireEntry struct {
	TS            string          `json:"ts"`
	User          string          `json:"user"`
	Engine        string          `json:"engine"`
	Model         string          `json:"model"`
	Tool          string          `json:"tool"`
	Args          json.RawMessage `json:"args"`
	Status        string          `json:"status"`
	ResultChars   int             `json:"result_chars"`
	ResultSnippet string          `json:"result_snippet"`
	DurationMS    *float64        `json:"duration_ms"` // parseSlow's, moved to the next two
	durationMS    float64
	hasDuration   bool
	TraceID       string `json:"trace_id"`
	SpanID        string `json:"span_id"`
	CallID        string `json:"call_id"`
	Chain         string `json:"chain"`
}

// Parse parses one audit line, unknown fields ignored. A ts without UTC
// offset (the reference module's) is read in loc; a missing or unreadable
// ts leaves Time zero. An error wraps ErrMalformed: not a JSON object, or a
// field of the wrong JSON type. The entry does not refer to line; its
// strings share one allocation.
func Parse(line []byte, loc *time.Location) (Entry, error) {
	if !isObject(line) {
		return Entry{}, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var w wireEntry
	if !parseFast(line, &w) {
		w = wireEntry{}
		if err := parseSlow(line, &w); err != nil {
			return Entry{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	e := Entry{
		Time:          ParseTime(w.TS, loc),
		User:          w.User,
		Engine:        w.Engine,
		Model:         w.Model,
		Tool:          w.Tool,
		Args:          w.Args,
		Status:        Status(w.Status),
		ResultChars:   w.ResultChars,
		ResultSnippet: w.ResultSnippet,
		TraceID:       w.TraceID,
		SpanID:        w.SpanID,
		CallID:        w.CallID,
		Chain:         w.Chain,
	}
	if string(e.Args) == "null" {
		e.Args = nil
	}
	e.Duration = NoDuration
	// Microseconds, as written: 4.35 ms is 4349999.999… ns as a float.
	if us := math.Round(w.durationMS * 1000); w.hasDuration && us >= 0 && us < float64(1<<63-1)/1000 {
		e.Duration = time.Duration(us) * time.Microsecond
	}
	return e, nil
}

// ParseTime reads an audit ts: RFC 3339 with an offset, or the reference
// module's offset-less ISO time, read in loc. It returns the zero time for
// anything else.
func ParseTime(ts string, loc *time.Location) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		return t
	}
	if loc == nil {
		loc = time.Local
	}
	if t, err := time.ParseInLocation(naiveLayout, ts, loc); err == nil {
		return t
	}
	return time.Time{}
}

func isObject(b []byte) bool {
	i := jsonw.SkipSpace(b, 0)
	return i < len(b) && b[i] == '{'
}

// appendTS appends t in TimeLayout; it is AppendFormat by hand, several
// times faster on the exporter's hot path: one zone lookup, then the date
// from the day number in unsigned arithmetic, two digits at a time. Local
// times before 1970 or after 9999, and offsets of 100 hours or more, go to
// AppendFormat.
func appendTS(b []byte, t time.Time) []byte {
	_, off := t.Zone()
	sec := t.Unix() + int64(off)
	if sec < 0 || sec >= maxTSSec {
		return t.AppendFormat(b, TimeLayout)
	}
	days, secs := uint64(sec)/86400, uint64(sec)%86400
	year, month, day := civil(days)
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	if off >= 100*3600 {
		return t.AppendFormat(b, TimeLayout) // three-digit hours
	}
	offMin := uint64(off) / 60
	b = append2(b, year/100)
	b = append(append2(b, year%100), '-')
	b = append(append2(b, month), '-')
	b = append(append2(b, day), 'T')
	b = append(append2(b, secs/3600), ':')
	b = append(append2(b, secs/60%60), ':')
	b = append(append2(b, secs%60), sign)
	b = append(append2(b, offMin/60), ':')
	return append2(b, offMin%60)
}

// append2 appends n < 100 as two digits.
func append2(b []byte, n uint64) []byte {
	return append(b, digits2[2*n], digits2[2*n+1])
}

// maxTSSec is 10000-01-01T00:00:00 in seconds since 1970: appendTS writes
// four-digit years only.
const maxTSSec = 253402300800

// digits2 holds "00" to "99", two bytes each.
const digits2 = "00010203040506070809" +
	"10111213141516171819" + "20212223242526272829" + "30313233343536373839" +
	"40414243444546474849" + "50515253545556575859" + "60616263646566676869" +
	"70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// civil returns the proleptic Gregorian date of the day days after
// 1970-01-01 (Howard Hinnant's civil_from_days, for days >= 0).
func civil(days uint64) (year, month, day uint64) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// appendMillis appends us microseconds as milliseconds with up to three
// decimals and no trailing zeros ("12.5", "0.024", "3").
func appendMillis(b []byte, us int64) []byte {
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return b
	}
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 3
	for digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
}
