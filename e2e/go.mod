module github.com/toolaudit/toolaudit/e2e

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1
	github.com/toolaudit/toolaudit v0.1.0
)
