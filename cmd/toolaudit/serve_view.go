package main

import (
	"bytes"
	"encoding/json"
	"iter"
	"net/url"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/record"
)

type readSeq = iter.Seq2[record.Entry, error]

// callView is one call in a list: every text from the file is sanitized
// (control and bidi characters shown as escapes); html/template escapes it
// again for HTML.
type callView struct {
	Time     string `json:"time"`
	Day      string `json:"day"`
	User     string `json:"user"`
	Tool     string `json:"tool"`
	Status   string `json:"status"`
	Engine   string `json:"engine"`
	Model    string `json:"model"`
	Duration string `json:"duration"`
	Args     string `json:"args"`
	Result   string `json:"result"`
	Href     string `json:"href"` // the call page, a path on this server
}

// callDetail is one call with every field.
type callDetail struct {
	callView
	TS, CallID, TraceID, SpanID string
	ResultChars                 int
	ArgsPretty                  string
	TraceHref                   string // "" unless --trace-url is set and the trace id is hex
}

const listArgsWidth = 160

func (s *server) view(e *record.Entry) callView {
	v := callView{
		User: sanitize(e.User), Tool: sanitize(e.Tool), Status: sanitize(string(e.Status)),
		Engine: sanitize(e.Engine), Model: sanitize(e.Model),
		Args:   cut(sanitize(showJSON(string(e.Args))), listArgsWidth),
		Result: cut(sanitize(e.ResultSnippet), listArgsWidth),
	}
	if !e.Time.IsZero() {
		lt := e.Time.In(s.now().Location())
		v.Time, v.Day = lt.Format("2006-01-02 15:04:05"), lt.Format("2006-01-02")
	}
	if e.Duration >= 0 {
		v.Duration = ms(float64(e.Duration.Microseconds())/1000) + " ms"
	}
	q := url.Values{"ts": {e.Time.Format(time.RFC3339Nano)}, "tool": {e.Tool}}
	if e.CallID != "" {
		q.Set("id", e.CallID)
	}
	if e.SpanID != "" {
		q.Set("span", e.SpanID)
	}
	v.Href = "/u/" + url.PathEscape(e.User) + "/call?" + q.Encode()
	return v
}

func (s *server) detail(e *record.Entry) callDetail {
	d := callDetail{callView: s.view(e), CallID: sanitize(e.CallID), TraceID: sanitize(e.TraceID),
		SpanID: sanitize(e.SpanID), ResultChars: e.ResultChars, ArgsPretty: prettyArgs(e.Args)}
	d.Result = sanitize(e.ResultSnippet)
	if !e.Time.IsZero() {
		d.TS = e.Time.Format(time.RFC3339Nano)
	}
	if s.traceURL != "" && isHex(e.TraceID) {
		d.TraceHref = strings.ReplaceAll(s.traceURL, "{trace_id}", e.TraceID)
	}
	return d
}

// prettyArgs indents the arguments' JSON, each line sanitized: a line
// break inside a string stays the escape \n.
func prettyArgs(args json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, args, "", "  "); err != nil {
		return sanitize(showJSON(string(args))) // NaN and the like: as written
	}
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = sanitize(showJSON(l))
	}
	return strings.Join(lines, "\n")
}

// isHex reports a hex string of 1 to 32 digits: a trace id that can go
// into a URL as it is.
func isHex(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
