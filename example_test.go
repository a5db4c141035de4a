package toolaudit_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/reader"
)

func ExampleMiddleware_Wrap() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	search := mw.Wrap("search", func(ctx context.Context, args map[string]any) (string, error) {
		return fmt.Sprintf("3 results for %v", args["q"]), nil
	})

	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	ctx = toolaudit.ContextWithRun(ctx, "anthropic", "claude-sonnet-4-5")
	out, _ := search(ctx, map[string]any{"q": "café"})
	fmt.Println(out)

	span := spans.Ended()[0]
	fmt.Println(span.Name())
	for _, kv := range span.Attributes() {
		fmt.Printf("%s=%s\n", kv.Key, kv.Value.String())
	}
	// Output:
	// 3 results for café
	// execute_tool search
	// gen_ai.operation.name=execute_tool
	// gen_ai.tool.name=search
	// gen_ai.provider.name=anthropic
	// gen_ai.request.model=claude-sonnet-4-5
	// enduser.id=alice
	// gen_ai.tool.call.arguments={"q":"café"}
	// toolaudit.status=ok
	// toolaudit.result_chars=18
	// gen_ai.tool.call.result=3 results for café
}

func ExampleWrapFunc() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	type weatherIn struct {
		City string `json:"city"`
	}
	weather := toolaudit.WrapFunc(toolaudit.New(toolaudit.WithTracerProvider(tp)), "weather",
		func(ctx context.Context, in weatherIn) (string, error) {
			return in.City + ": sunny", nil
		})
	_, _ = weather(context.Background(), weatherIn{City: "Zürich"})

	for _, kv := range spans.Ended()[0].Attributes() {
		if kv.Key == spanattr.KeyToolCallArguments || kv.Key == spanattr.KeyToolCallResult {
			fmt.Printf("%s=%s\n", kv.Key, kv.Value.String())
		}
	}
	// Output:
	// gen_ai.tool.call.arguments={"city":"Zürich"}
	// gen_ai.tool.call.result=Zürich: sunny
}

func ExampleDispatcher() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	d := toolaudit.NewDispatcher(toolaudit.New(toolaudit.WithTracerProvider(tp)))
	d.Register("add", func(_ context.Context, args map[string]any) (string, error) {
		return fmt.Sprint(args["a"].(float64) + args["b"].(float64)), nil
	})

	// A tool call as a model API returns it: an id, a name, JSON arguments.
	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	fmt.Println(d.Dispatch(ctx, "toolu_01", "add", `{"a":2,"b":3}`))
	fmt.Println(d.Dispatch(ctx, "toolu_02", "divide", `{"a":1}`))
	fmt.Println(len(spans.Ended()), "calls audited")
	// Output:
	// 5 false
	// unknown tool "divide" true
	// 2 calls audited
}

// An application that already has its tracer provider, with its own
// sampler and backend, adds auditing to it: the audit sampler records the
// tool spans its sampler drops, the audit processor writes every tool
// span, and the backend gets only what was sampled, without the arguments
// and results.
func Example_existingTracerProvider() {
	root, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(root)
	audit, _ := exporter.New(root, exporter.WithLocation(time.UTC))
	backend := tracetest.NewInMemoryExporter() // your OTLP exporter

	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(otelx.AuditSampler(sdktrace.TraceIDRatioBased(0))), // your sampler: here, nothing
		sdktrace.WithSpanProcessor(otelx.NewAuditProcessor(audit)),
		sdktrace.WithSyncer(otelx.WithoutContent(backend)), // WithBatcher in production
	)
	search := toolaudit.Wrap("search", func(context.Context, map[string]any) (string, error) {
		return "3 results", nil
	}, toolaudit.WithTracerProvider(tp))
	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	search(ctx, map[string]any{"q": "café"})

	fmt.Println("spans in the backend:", len(backend.GetSpans()))
	_ = tp.Shutdown(context.Background()) // writes every audit line
	entries, _ := reader.Collect(reader.New(root, reader.WithLocation(time.UTC)).Recent(ctx, "alice", reader.Query{}))
	for _, e := range entries {
		fmt.Println(e.User, e.Tool, e.Status, string(e.Args), e.ResultSnippet)
	}
	// Output:
	// spans in the backend: 0
	// alice search ok {"q":"café"} 3 results
}

// With otelx.WithWaitForExport, a wrapped tool returns only once its audit
// line is written: here the line is read back before any flush, and a
// process killed at that point would not lose it.
func Example_waitForExport() {
	root, _ := os.MkdirTemp("", "toolaudit-example-")
	defer os.RemoveAll(root)
	audit, _ := exporter.New(root)
	tp, _ := otelx.NewTracerProvider(audit, otelx.WithWaitForExport())
	defer tp.Shutdown(context.Background())

	shell := toolaudit.New(toolaudit.WithTracerProvider(tp)).Wrap("shell",
		func(ctx context.Context, args map[string]any) (string, error) { return "done", nil })
	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	out, _ := shell(ctx, map[string]any{"cmd": "make deploy"})
	fmt.Println(out)

	entries, _ := reader.Collect(reader.New(root).Recent(ctx, "alice", reader.Query{Days: 1}))
	for _, e := range entries {
		fmt.Println(e.Tool, e.Status, string(e.Args))
	}
	// Output:
	// done
	// shell ok {"cmd":"make deploy"}
}
