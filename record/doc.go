// Package record is the audit line format: Entry is one audited tool call,
// AppendJSON writes it as one line and Parse reads one back. The exporter
// writes with it and the readers read with it; docs/format.md specifies
// the format.
//
// A line is one JSON object, "\n" terminated:
//
//	{"ts":"2026-11-27T09:30:00+01:00","user":"alice","engine":"anthropic",
//	 "model":"claude-sonnet-4-5","tool":"search","args":{"q":"weather"},
//	 "status":"ok","result_chars":120,"result_snippet":"Sunny, 21 °C…",
//	 "duration_ms":12.5,"trace_id":"…","span_id":"…","call_id":"toolu_01…"}
//
// The first nine fields are those of the reference Python module, whose
// lines (a ts without UTC offset, ", " separators, \u escapes, and NaN,
// Infinity or -Infinity inside args) Parse reads; the rest are extras that
// readers of that format ignore. Parse skips nothing silently: a line it
// cannot read is an error wrapping ErrMalformed.
package record
