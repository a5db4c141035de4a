package langchaingo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms/fake"
	"github.com/tmc/langchaingo/tools"

	"github.com/toolaudit/toolaudit"
	audit "github.com/toolaudit/toolaudit/adapters/langchaingo"
	"github.com/toolaudit/toolaudit/audittest"
	"github.com/toolaudit/toolaudit/record"
)

type fnTool struct {
	name string
	fn   func(string) (string, error)
}

func (f fnTool) Name() string                                      { return f.name }
func (f fnTool) Description() string                               { return "a test tool called " + f.name }
func (f fnTool) Call(_ context.Context, in string) (string, error) { return f.fn(in) }

// statuses maps each tool to "status args".
func statuses(rec *audittest.Recorder) map[string]string {
	m := map[string]string{}
	for _, c := range rec.Calls() {
		m[c.Tool] = string(c.Status) + " " + string(c.Args)
	}
	return m
}

// TestAgentRun runs a real langchaingo agent executor, with a scripted
// model, through audited tools.
func TestAgentRun(t *testing.T) {
	tp, rec := audittest.NewRecorder()
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithAuthorizer(func(_ context.Context, c toolaudit.Call) error {
		if c.Tool == "shell" {
			return errors.New("shell is disabled")
		}
		return nil
	}))
	var shellRan bool
	ts := audit.WrapAll(mw, []tools.Tool{
		fnTool{"search", func(in string) (string, error) { return "3 results for " + in, nil }},
		fnTool{"shell", func(string) (string, error) { shellRan = true; return "ran", nil }},
	})
	llm := fake.NewFakeLLM([]string{
		"I should search.\nAction: search\nAction Input: {\"q\":\"café\"}",
		"Now the shell.\nAction: shell\nAction Input: rm -rf /",
		"I now know the final answer\nFinal Answer: done",
	})
	executor := agents.NewExecutor(agents.NewOneShotAgent(llm, ts), agents.WithMaxIterations(5))
	ctx := toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "alice"), "fake", "scripted")
	out, err := chains.Run(ctx, executor, "find the café")
	require.NoError(t, err, "a refusal does not abort the executor")
	assert.Equal(t, "done", out)
	assert.False(t, shellRan)
	got := statuses(rec)
	assert.Equal(t, `ok {"q":"café"}`, got["search"])
	assert.Equal(t, `denied {"input":"rm -rf /"}`, got["shell"])
}

func TestRefusalAndErrors(t *testing.T) {
	tp, rec := audittest.NewRecorder()
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	denied := audit.Wrap(mw, fnTool{"d", func(string) (string, error) { return "", toolaudit.ErrDenied }})
	out, err := denied.Call(context.Background(), "x")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, audit.RefusalPrefix), out)

	boom := errors.New("boom")
	failing := audit.Wrap(mw, fnTool{"f", func(string) (string, error) { return "", boom }})
	_, err = failing.Call(context.Background(), "x")
	require.ErrorIs(t, err, boom, "the tool's own errors pass through")
	assert.Equal(t, "f", failing.Name())
	assert.Equal(t, "a test tool called f", failing.Description())
	got := statuses(rec)
	assert.Equal(t, `denied {"input":"x"}`, got["d"])
	assert.Equal(t, `error {"input":"x"}`, got["f"])
}

// TestUnknownTools runs an agent whose model names a tool it does not
// have, then one of its tools in other letter case: the first is audited by
// the callbacks handler, the second by the wrapped tool, each once.
func TestUnknownTools(t *testing.T) {
	tp, rec := audittest.NewRecorder()
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	ts := audit.WrapAll(mw, []tools.Tool{
		fnTool{"search", func(in string) (string, error) { return "3 results for " + in, nil }},
	})
	llm := fake.NewFakeLLM([]string{
		"I should search.\nAction: serch\nAction Input: {\"q\":\"café\"}",
		"Let me spell it right.\nAction: SEARCH\nAction Input: {\"q\":\"café\"}",
		"I now know the final answer\nFinal Answer: done",
	})
	executor := agents.NewExecutor(agents.NewOneShotAgent(llm, ts), agents.WithMaxIterations(5),
		agents.WithCallbacksHandler(audit.UnknownTools(mw, ts)))
	ctx := toolaudit.ContextWithUser(context.Background(), "alice")
	out, err := chains.Run(ctx, executor, "find the café")
	require.NoError(t, err)
	assert.Equal(t, "done", out)

	got := rec.Calls()
	require.Len(t, got, 2, "%+v", got)
	assert.Equal(t, "serch", got[0].Tool)
	assert.Equal(t, record.StatusError, got[0].Status)
	assert.Equal(t, `{"q":"café"}`, string(got[0].Args))
	assert.Equal(t, "alice", got[0].User)
	assert.Contains(t, got[0].ResultSnippet, "serch is not a valid tool")
	assert.Equal(t, "search", got[1].Tool)
	assert.Equal(t, record.StatusOK, got[1].Status)
}
