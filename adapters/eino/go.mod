module github.com/toolaudit/toolaudit/adapters/eino

go 1.26.0

require (
	// eino v0.7.36 asks for sonic v1.14.1, which does not build with Go
	// 1.26 (internal/rt: undefined GoMapIterator); v1.15.5 does.
	github.com/bytedance/sonic v1.15.5
	github.com/cloudwego/eino v0.7.36
	github.com/stretchr/testify v1.12.1
	github.com/toolaudit/toolaudit v0.1.0
)
