module github.com/toolaudit/toolaudit/adapters/mcpsdk

go 1.26.0

require (
	github.com/modelcontextprotocol/go-sdk v1.8.0
	github.com/stretchr/testify v1.12.1
	github.com/toolaudit/toolaudit v0.1.0
)
