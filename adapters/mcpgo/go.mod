module github.com/toolaudit/toolaudit/adapters/mcpgo

go 1.26.0

require (
	github.com/mark3labs/mcp-go v1.2.1
	github.com/stretchr/testify v1.12.1
	github.com/toolaudit/toolaudit v0.1.0
)
