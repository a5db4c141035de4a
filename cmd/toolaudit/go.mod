module github.com/toolaudit/toolaudit/cmd/toolaudit

go 1.26.0

require (
	github.com/spf13/cobra v1.10.2
	github.com/toolaudit/toolaudit v0.1.0
)
