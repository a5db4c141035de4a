// Command example serves an MCP tool with the official Go SDK, audited,
// calls it from an SDK client over in-memory transports (plus a refused
// call and a call of an unknown tool), and prints the audit lines written
// to a temporary folder.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/adapters/mcpsdk"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

type readIn struct {
	Path string `json:"path" jsonschema:"the file to read"`
}

func main() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "toolaudit-mcpsdk-")
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
	server := mcp.NewServer(&mcp.Implementation{Name: "files", Version: "1"}, nil)
	// Behind auth.RequireBearerToken the user comes from the token; here a
	// function names it.
	server.AddReceivingMiddleware(mcpsdk.Middleware(mw, mcpsdk.WithUser(func(context.Context, *mcp.CallToolRequest) string { return "bob" })))
	mcp.AddTool(server, &mcp.Tool{Name: "read_file", Description: "reads a file"}, func(_ context.Context, _ *mcp.CallToolRequest, in readIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "contents of " + in.Path}}}, nil, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "delete_file", Description: "deletes a file"}, func(context.Context, *mcp.CallToolRequest, readIn) (*mcp.CallToolResult, any, error) {
		return nil, nil, nil
	})

	ct, st := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		log.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "example", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"read_file", "delete_file", "format_disk"} {
		r, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"path": "/etc/hosts"}})
		if err != nil {
			fmt.Printf("%s: protocol error: %v\n", name, err)
			continue
		}
		fmt.Printf("%s: isError=%v %q\n", name, r.IsError, mcpsdk.TextOf(r))
	}
	cs.Close()
	ss.Close()
	if err := tp.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "bob", "tool_audit", "*.jsonl"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		fmt.Printf("\n%s:\n%s", f, b)
	}
}
