package spanattr

import (
	"strings"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/toolaudit/toolaudit/record"
)

// Entry returns the audit entry of the ended tool span s, whose attributes
// attrs are (the caller has read them to check IsToolSpan). Time is the
// end time as s gives it, Duration the time from start to end. TraceID and
// SpanID are left empty: the exporter encodes them into a reused buffer.
// Args is a read-only view of the attribute's string, not a copy: it must
// not be modified. Entry does not allocate.
func Entry(s sdktrace.ReadOnlySpan, attrs []attribute.KeyValue) record.Entry {
	end := s.EndTime()
	c := Read(attrs)
	en := record.Entry{
		Time:          end,
		Duration:      end.Sub(s.StartTime()),
		User:          c.User,
		Engine:        c.Engine,
		Model:         c.Model,
		Tool:          c.Tool,
		Status:        record.Status(c.Status),
		ResultChars:   int(c.ResultChars),
		ResultSnippet: c.Result,
		CallID:        c.CallID,
	}
	if c.Arguments != "" {
		en.Args = unsafe.Slice(unsafe.StringData(c.Arguments), len(c.Arguments))
	}
	if en.Tool == "" {
		en.Tool = strings.TrimPrefix(s.Name(), SpanNamePrefix)
	}
	if en.Status == "" {
		// A tool span from other instrumentation: its span status says.
		en.Status = record.StatusOK
		if s.Status().Code == codes.Error {
			en.Status = record.StatusError
		}
	}
	return en
}
