// Command example runs tool calls through an eino ToolsNode whose tools are
// audited (one call refused), and prints the audit lines written to a
// temporary folder.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	"github.com/toolaudit/toolaudit"
	audit "github.com/toolaudit/toolaudit/adapters/eino"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

type weather struct{}

func (weather) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: "weather", Desc: "the weather of a city"}, nil
}

func (weather) InvokableRun(_ context.Context, args string, _ ...tool.Option) (string, error) {
	return "sunny, 21 °C", nil
}

type shell struct{}

func (shell) Info(context.Context) (*schema.ToolInfo, error) {
	return &schema.ToolInfo{Name: "shell", Desc: "runs a command"}, nil
}

func (shell) InvokableRun(context.Context, string, ...tool.Option) (string, error) {
	return "", errors.New("not reached")
}

func main() {
	ctx := toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "carol"), "openai", "gpt-5")
	root, err := os.MkdirTemp("", "toolaudit-eino-")
	if err != nil {
		log.Fatal(err)
	}
	exp, err := exporter.New(root)
	if err != nil {
		log.Fatal(err)
	}
	tp, err := otelx.NewTracerProvider(exp)
	if err != nil {
		log.Fatal(err)
	}
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithAuthorizer(func(_ context.Context, c toolaudit.Call) error {
		if c.Tool == "shell" {
			return errors.New("shell is disabled")
		}
		return nil
	}))
	node, err := compose.NewToolNode(ctx, &compose.ToolsNodeConfig{
		Tools:               []tool.BaseTool{weather{}, shell{}},
		ToolCallMiddlewares: []compose.ToolMiddleware{audit.Middleware(mw)},
		UnknownToolsHandler: audit.UnknownTools(mw, nil), // a tool the model made up
	})
	if err != nil {
		log.Fatal(err)
	}
	msgs, err := node.Invoke(ctx, schema.AssistantMessage("", []schema.ToolCall{
		{ID: "call_1", Function: schema.FunctionCall{Name: "weather", Arguments: `{"city":"Lyon"}`}},
		{ID: "call_2", Function: schema.FunctionCall{Name: "shell", Arguments: `{"cmd":"ls"}`}},
		{ID: "call_3", Function: schema.FunctionCall{Name: "send_email", Arguments: `{"to":"boss@example.com"}`}},
	}))
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range msgs {
		fmt.Printf("%s: %s\n", m.ToolCallID, m.Content)
	}
	if err := tp.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "carol", "tool_audit", "*.jsonl"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		fmt.Printf("\n%s:\n%s", f, b)
	}
}
