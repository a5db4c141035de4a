package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/toolaudit/toolaudit/internal/jsonw"
	"github.com/toolaudit/toolaudit/record"
)

// entryWriter prints entries in one output format.
type entryWriter interface {
	write(e *record.Entry) error
	flush() error
}

func (a *app) entryWriter() (entryWriter, error) {
	format, err := a.format()
	if err != nil {
		return nil, err
	}
	switch format {
	case "json":
		return &jsonWriter{w: a.env.stdout}, nil
	case "csv":
		// The header first, at once (follow may wait long for its first
		// entry), so that an empty result is still a table with columns.
		w := newCSVWriter(a.env.stdout)
		if err := w.w.Write(csvHeader); err != nil {
			return nil, err
		}
		return w, w.flush()
	}
	color, err := a.colored()
	if err != nil {
		return nil, err
	}
	return &tableWriter{w: a.env.stdout, color: color, width: a.env.width}, nil
}

// jsonWriter prints each entry as one line of the audit format in strict
// JSON: the NaN, Infinity and -Infinity that the reference module writes in
// args become the strings "NaN", "+Inf" and "-Inf" (Entry.MarshalJSON).
type jsonWriter struct {
	w io.Writer
}

func (j *jsonWriter) write(e *record.Entry) error {
	line, err := e.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = j.w.Write(append(line, '\n'))
	return err
}

func (j *jsonWriter) flush() error { return nil }

var csvHeader = []string{"ts", "user", "engine", "model", "tool", "args", "status", "result_chars", "result_snippet", "duration_ms", "trace_id", "span_id", "call_id"}

type csvWriter struct {
	w *csv.Writer
}

func newCSVWriter(w io.Writer) *csvWriter { return &csvWriter{w: csv.NewWriter(w)} }

func (c *csvWriter) write(e *record.Entry) error {
	dur := ""
	if e.Duration >= 0 {
		dur = strconv.FormatFloat(float64(e.Duration.Microseconds())/1000, 'f', -1, 64)
	}
	args := e.Args
	if bytes.ContainsAny(args, "NI") {
		// Strict JSON in the cell, as -o json writes it.
		if valid, _ := jsonw.ScanObject(args); valid {
			args = jsonw.ReplaceNonFinite(nil, args, jsonw.NaNString, jsonw.InfString, jsonw.NegInfString)
		}
	}
	row := []string{e.Time.Format(record.TimeLayout), e.User, e.Engine, e.Model, e.Tool, string(args), string(e.Status),
		strconv.Itoa(e.ResultChars), e.ResultSnippet, dur, e.TraceID, e.SpanID, e.CallID}
	for i := range row {
		row[i] = csvCell(row[i])
	}
	return c.w.Write(row)
}

func (c *csvWriter) flush() error { c.w.Flush(); return c.w.Error() }

// csvCell escapes control characters and defuses spreadsheet formulas: a
// cell an LLM wrote must not run when the file is opened.
func csvCell(s string) string {
	s = sanitize(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// tableWriter prints aligned columns, the long ones cut to the width.
type tableWriter struct {
	w      io.Writer
	color  bool
	width  int
	header bool
	user   int // the widths of the user and tool columns, and of the
	tool   int // rest, which takes what is left of the terminal's width
	rest   int // (0: not cut)
}

const (
	colTime   = 19
	colUser   = 12
	colTool   = 16
	colStatus = 6
	colDur    = 9
	minRest   = 10 // the rest of a row gets at least this much…
	minName   = 8  // …taken from the user and tool columns down to this
)

// layout fits the columns to the width: a narrow terminal (80 columns)
// shrinks the tool, then the user column, so that rows do not wrap.
func (t *tableWriter) layout() {
	t.user, t.tool = colUser, colTool
	if t.width <= 0 {
		return
	}
	room := t.width - (colTime + colStatus + colDur + 5*2)
	for short := minRest - (room - t.user - t.tool); short > 0; short-- {
		switch {
		case t.tool > minName:
			t.tool--
		case t.user > minName:
			t.user--
		default:
			short = 0
		}
	}
	t.rest = max(minRest, room-t.user-t.tool)
}

func (t *tableWriter) write(e *record.Entry) error {
	if !t.header {
		t.header = true
		t.layout()
		h := fmt.Sprintf("%-*s  %-*s  %-*s  %-*s  %*s  %s", colTime, "TIME", t.user, "USER", t.tool, "TOOL", colStatus, "STATUS", colDur, "DURATION", "ARGS → RESULT")
		if t.width > 0 {
			h = cut(h, t.width)
		}
		if t.color {
			h = "\x1b[1m" + h + "\x1b[0m"
		}
		if _, err := fmt.Fprintln(t.w, h); err != nil {
			return err
		}
	}
	ts := "-"
	if !e.Time.IsZero() {
		ts = e.Time.Local().Format("2006-01-02 15:04:05")
	}
	dur := ""
	if e.Duration >= 0 {
		dur = ms(float64(e.Duration.Microseconds())/1000) + "ms"
	}
	status := pad(cut(sanitize(string(e.Status)), colStatus), colStatus)
	if t.color {
		status = colorStatus(e.Status) + status + "\x1b[0m"
	}
	rest := sanitize(showJSON(string(e.Args))) + " → " + sanitize(e.ResultSnippet)
	if t.rest > 0 {
		rest = cut(rest, t.rest)
	}
	_, err := fmt.Fprintf(t.w, "%s  %s  %s  %s  %*s  %s\n", pad(ts, colTime), pad(cut(sanitize(e.User), t.user), t.user),
		pad(cut(sanitize(e.Tool), t.tool), t.tool), status, colDur, dur, rest)
	return err
}

func (t *tableWriter) flush() error { return nil }

func colorStatus(s record.Status) string {
	switch s {
	case record.StatusOK:
		return "\x1b[32m"
	case record.StatusError:
		return "\x1b[31m"
	case record.StatusDenied:
		return "\x1b[33m"
	}
	return "\x1b[0m"
}

// sanitize makes text from a file safe to print on a terminal: control
// characters (C0, DEL, C1), line and paragraph separators, bidirectional
// overrides and invalid UTF-8 are shown as escapes instead of obeyed.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == utf8.RuneError ||
		r == '\u2028' || r == '\u2029' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}
