// Command example runs a langchaingo agent, with a scripted model, whose
// tools are audited: the audit lines go to a temporary folder it prints.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms/fake"
	"github.com/tmc/langchaingo/tools"

	"github.com/toolaudit/toolaudit"
	audit "github.com/toolaudit/toolaudit/adapters/langchaingo"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

type calculator struct{}

func (calculator) Name() string        { return "calculator" }
func (calculator) Description() string { return "adds two numbers" }
func (calculator) Call(_ context.Context, in string) (string, error) {
	return "42", nil
}

type shell struct{}

func (shell) Name() string                                 { return "shell" }
func (shell) Description() string                          { return "runs a command" }
func (shell) Call(context.Context, string) (string, error) { return "", errors.New("not reached") }

func main() {
	root, err := os.MkdirTemp("", "toolaudit-langchaingo-")
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
	llm := fake.NewFakeLLM([]string{
		"Action: calculator\nAction Input: {\"a\":40,\"b\":2}",
		"Action: shell\nAction Input: ls",
		"Action: browser\nAction Input: https://example.com", // a tool the agent does not have
		"Final Answer: 42",
	})
	ts := audit.WrapAll(mw, []tools.Tool{calculator{}, shell{}})
	agent := agents.NewOneShotAgent(llm, ts)
	ctx := toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "alice"), "fake", "scripted")
	// UnknownTools audits the calls of tools the agent does not have.
	executor := agents.NewExecutor(agent, agents.WithCallbacksHandler(audit.UnknownTools(mw, ts)))
	answer, err := chains.Run(ctx, executor, "what is 40+2?")
	if err != nil {
		log.Fatal(err)
	}
	if err := tp.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("answer:", answer)
	files, _ := filepath.Glob(filepath.Join(root, "alice", "tool_audit", "*.jsonl"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		fmt.Printf("%s:\n%s", f, b)
	}
}
