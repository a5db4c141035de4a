module github.com/toolaudit/toolaudit/adapters/langchaingo

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1
	github.com/tmc/langchaingo v0.1.14
	github.com/toolaudit/toolaudit v0.1.0
)
