// Package jaeger holds nothing but this comment: its module pins Jaeger
// (github.com/jaegertracing/jaeger/cmd/jaeger, see the tool line of
// go.mod), which the end-to-end test builds and runs.
package jaeger
