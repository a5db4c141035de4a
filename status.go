package toolaudit

import (
	"errors"

	"github.com/toolaudit/toolaudit/record"
)

// ErrDenied is wrapped by every error that means a tool call was refused.
// A tool returns an error wrapping it to have its call recorded as denied;
// a wrapped tool whose authorizer refuses the call returns an error
// wrapping it without running the tool.
var ErrDenied = errors.New("tool call denied")

// statusOf classifies a tool's error.
func statusOf(err error) record.Status {
	switch {
	case err == nil:
		return record.StatusOK
	case errors.Is(err, ErrDenied):
		return record.StatusDenied
	default:
		return record.StatusError
	}
}

// ErrAuditUnavailable is wrapped, with ErrDenied, by the error of a call
// refused because the audit sink reported that it cannot write (see
// WithFailClosed).
var ErrAuditUnavailable = errors.New("audit sink unavailable")
