package record

// Status is the outcome of a tool call as the audit records it.
type Status string

// The statuses of a tool call.
const (
	// StatusOK: the tool returned no error.
	StatusOK Status = "ok"
	// StatusError: the tool returned an error (or panicked).
	StatusError Status = "error"
	// StatusDenied: the call was refused, by an authorizer before the tool
	// ran or by the tool itself with an error wrapping toolaudit.ErrDenied.
	StatusDenied Status = "denied"
)
