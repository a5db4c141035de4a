package toolaudit

import "errors"

// Status is the outcome of a tool call as the audit records it.
type Status string

// The statuses of a tool call.
const (
	// StatusOK: the tool returned no error.
	StatusOK Status = "ok"
	// StatusError: the tool returned an error (or panicked).
	StatusError Status = "error"
	// StatusDenied: the call was refused, by an authorizer before the tool
	// ran or by the tool itself with an error wrapping ErrDenied.
	StatusDenied Status = "denied"
)

// ErrDenied is wrapped by every error that means a tool call was refused.
// A tool returns an error wrapping it to have its call recorded as denied;
// a wrapped tool whose authorizer refuses the call returns an error
// wrapping it without running the tool.
var ErrDenied = errors.New("tool call denied")

// statusOf classifies a tool's error.
func statusOf(err error) Status {
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, ErrDenied):
		return StatusDenied
	default:
		return StatusError
	}
}

// ErrAuditUnavailable is wrapped, with ErrDenied, by the error of a call
// refused because the audit sink reported that it cannot write (see
// WithFailClosed).
var ErrAuditUnavailable = errors.New("audit sink unavailable")
