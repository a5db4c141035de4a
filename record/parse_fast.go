package record

import (
	"encoding/json"
	"strconv"

	"github.com/toolaudit/toolaudit/internal/jsonw"
)

// The fields of an audit line, as bits, to notice a key seen twice.
const (
	fTS = 1 << iota
	fUser
	fEngine
	fModel
	fTool
	fArgs
	fStatus
	fResultChars
	fResultSnippet
	fDurationMS
	fTraceID
	fSpanID
	fCallID
	fChain
)

// parseFast decodes the common shape of an audit line (ours and the
// reference module's) without reflection. It reports false, having decided
// nothing, for anything it does not handle exactly as encoding/json would:
// a key that is not one of the fields spelled exactly, a key seen twice,
// null, a value of another type, a string with invalid UTF-8 or a
// surrogate escape, a result_chars that is not a plain integer, a
// duration_ms that is not a number. The caller then parses the line with
// parseSlow.
func parseFast(line []byte, w *wireEntry) bool {
	// The string fields are decoded one after the other into arena, then
	// made one string that each field is a part of: one allocation for
	// all of them, not one each.
	var stack [512]byte
	arena := stack[:0]
	type part struct {
		dst      *string
		from, to int
	}
	var parts [11]part // the string fields, each seen at most once
	n := 0
	i := jsonw.SkipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	i = jsonw.SkipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return jsonw.SkipSpace(line, i+1) == len(line)
	}
	var seen int
	for {
		if i >= len(line) || line[i] != '"' {
			return false
		}
		end := i + 1
		for end < len(line) && line[end] != '"' && line[end] != '\\' {
			end++
		}
		if end >= len(line) || line[end] != '"' {
			return false
		}
		key := line[i+1 : end]
		i = jsonw.SkipSpace(line, end+1)
		if i >= len(line) || line[i] != ':' {
			return false
		}
		i = jsonw.SkipSpace(line, i+1)
		var bit int
		var dst *string
		switch string(key) {
		case "ts":
			bit, dst = fTS, &w.TS
		case "user":
			bit, dst = fUser, &w.User
		case "engine":
			bit, dst = fEngine, &w.Engine
		case "model":
			bit, dst = fModel, &w.Model
		case "tool":
			bit, dst = fTool, &w.Tool
		case "status":
			bit, dst = fStatus, &w.Status
		case "result_snippet":
			bit, dst = fResultSnippet, &w.ResultSnippet
		case "trace_id":
			bit, dst = fTraceID, &w.TraceID
		case "span_id":
			bit, dst = fSpanID, &w.SpanID
		case "call_id":
			bit, dst = fCallID, &w.CallID
		case "chain":
			bit, dst = fChain, &w.Chain
		case "args":
			bit = fArgs
		case "result_chars":
			bit = fResultChars
		case "duration_ms":
			bit = fDurationMS
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		var ok bool
		switch {
		case dst != nil:
			from := len(arena)
			arena, i, ok = jsonw.AppendUnquoted(arena, line, i)
			parts[n] = part{dst, from, len(arena)}
			n++
		case bit == fArgs:
			var end int
			if end, ok = jsonw.SkipValue(line, i); ok {
				w.Args = json.RawMessage(append([]byte(nil), line[i:end]...))
				i = end
			}
		default:
			i, ok = fastNumber(line, i, bit, w)
		}
		if !ok {
			return false
		}
		i = jsonw.SkipSpace(line, i)
		if i >= len(line) {
			return false
		}
		switch line[i] {
		case ',':
			i = jsonw.SkipSpace(line, i+1)
		case '}':
			if jsonw.SkipSpace(line, i+1) != len(line) {
				return false
			}
			all := string(arena)
			for _, p := range parts[:n] {
				*p.dst = all[p.from:p.to]
			}
			return true
		default:
			return false
		}
	}
}

// fastNumber decodes result_chars (a plain integer) or duration_ms.
func fastNumber(line []byte, i, bit int, w *wireEntry) (int, bool) {
	end, ok := jsonw.NumberEnd(line, i)
	if !ok {
		return 0, false // not a number (or NaN, Infinity): left to parseSlow
	}
	text := string(line[i:end])
	if bit == fResultChars {
		n, err := strconv.Atoi(text)
		if err != nil {
			return 0, false
		}
		w.ResultChars = n
		return end, true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false
	}
	w.durationMS, w.hasDuration = f, true
	return end, true
}
