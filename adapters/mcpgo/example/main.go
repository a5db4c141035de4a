// Command example serves two MCP tools with mcp-go, audited, calls them
// through an in-process client (one call refused, one of an unknown tool),
// and prints the audit lines written to a temporary folder.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/adapters/mcpgo"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

func main() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "toolaudit-mcpgo-")
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
		if c.Tool == "delete_file" {
			return errors.New("files are read-only here")
		}
		return nil
	}))
	// A real server would take the user from its transport, for example
	// server.WithHTTPContextFunc(func(ctx context.Context, r *http.Request) context.Context {
	//	return toolaudit.ContextWithUser(ctx, userOf(r)) })
	a := mcpgo.New(mw, mcpgo.WithUser(func(context.Context) string { return "alice" }))
	hooks := &server.Hooks{}
	a.AddHooks(hooks)
	s := server.NewMCPServer("files", "1.0", server.WithToolCapabilities(false),
		server.WithToolHandlerMiddleware(a.Middleware()), server.WithHooks(hooks))
	s.AddTool(mcp.NewTool("read_file", mcp.WithString("path", mcp.Required())), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("contents of " + req.GetArguments()["path"].(string)), nil
	})
	s.AddTool(mcp.NewTool("delete_file", mcp.WithString("path", mcp.Required())), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("deleted"), nil
	})

	c, err := client.NewInProcessClient(s)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "example", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"read_file", "delete_file", "format_disk"} {
		req := mcp.CallToolRequest{}
		req.Params.Name = name
		req.Params.Arguments = map[string]any{"path": "/etc/hosts"}
		r, err := c.CallTool(ctx, req)
		switch {
		case err != nil:
			fmt.Printf("%s: protocol error: %v\n", name, err)
		default:
			fmt.Printf("%s: isError=%v %q\n", name, r.IsError, mcpgo.TextOf(r))
		}
	}
	c.Close()
	if err := tp.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "alice", "tool_audit", "*.jsonl"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		fmt.Printf("\n%s:\n%s", f, b)
	}
}
