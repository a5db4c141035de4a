package toolaudit_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/reader"
)

// TestSpanLimitsLeaveTheAuditWhole sets the span limits an operator sets
// for a tracing backend: with otelx.NewTracerProvider the audit line of a
// call still has its whole arguments, status, user and result.
func TestSpanLimitsLeaveTheAuditWhole(t *testing.T) {
	t.Setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "16")
	t.Setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "3")
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	tp, err := otelx.NewTracerProvider(exp)
	require.NoError(t, err)
	shell := toolaudit.Wrap("shell", func(context.Context, map[string]any) (string, error) { return "", nil },
		toolaudit.WithTracerProvider(tp),
		toolaudit.WithAuthorizer(func(context.Context, toolaudit.Call) error { return errors.New("shell is for admins only") }))
	ctx := toolaudit.ContextWithRun(toolaudit.ContextWithUser(context.Background(), "alice"), "anthropic", "claude-sonnet-4-5")
	args := map[string]any{"cmd": "ls -la /var/lib/agent/home", "timeout": 30}
	_, err = shell(ctx, args)
	require.ErrorIs(t, err, toolaudit.ErrDenied)
	require.NoError(t, tp.Shutdown(context.Background()))

	got, err := reader.Collect(reader.New(root, reader.WithLocation(time.UTC)).Recent(context.Background(), "alice", reader.Query{Days: 1}))
	require.NoError(t, err)
	require.Len(t, got, 1)
	e := got[0]
	assert.Equal(t, record.StatusDenied, e.Status, "not turned into error by a dropped status")
	assert.Equal(t, "anthropic", e.Engine)
	assert.Equal(t, "claude-sonnet-4-5", e.Model)
	var recorded map[string]any
	require.NoError(t, json.Unmarshal(e.Args, &recorded), "%s", e.Args)
	assert.Equal(t, "ls -la /var/lib/agent/home", recorded["cmd"], "not cut at 16 characters")
	assert.Contains(t, e.ResultSnippet, "shell is for admins only")
}
