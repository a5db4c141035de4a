package toolaudit

// ScopeName is the instrumentation scope of the spans the middleware makes.
const ScopeName = "github.com/toolaudit/toolaudit"

// Version is the version of this module.
const Version = "0.1.0"
