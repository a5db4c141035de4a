package toolaudit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
)

type loginIn struct {
	User     string            `json:"user"`
	Password string            `json:"password"`
	Headers  map[string]string `json:"headers"`
	Opts     struct {
		APIKey    string `json:"apiKey"`
		MaxTokens int    `json:"max_tokens"`
	} `json:"opts"`
}

func TestRedactionByDefault(t *testing.T) {
	tp, sr := recorder(t)
	var seen map[string]any
	tool := toolaudit.Wrap("login", func(_ context.Context, args map[string]any) (string, error) {
		seen = args
		return "ok", nil
	}, toolaudit.WithTracerProvider(tp))
	args := map[string]any{
		"user":        "alice",
		"Password":    "hunter2",
		"credentials": map[string]any{"access_token": "abc", "nested": []any{map[string]any{"X-Api-Key": "k1"}}},
		"private_key": map[string]any{"pem": "-----BEGIN"},
		"max_tokens":  100,
		"raw":         json.RawMessage(`{"cookie": "sess=1", "q": "x"}`),
	}
	_, err := tool(runCtx(), args)
	require.NoError(t, err)
	assert.Equal(t, "hunter2", seen["Password"], "the tool gets the real value")
	_, a := onlySpan(t, sr)
	got := a[spanattr.KeyToolCallArguments].AsString()
	assert.Equal(t, `{"Password":"[REDACTED]","credentials":{"access_token":"[REDACTED]","nested":[{"X-Api-Key":"[REDACTED]"}]},"max_tokens":100,"private_key":"[REDACTED]","raw":{"cookie":"[REDACTED]","q":"x"},"user":"alice"}`, got)
	for _, secret := range []string{"hunter2", "abc", "k1", "BEGIN", "sess=1"} {
		assert.NotContains(t, got, secret)
	}
}

func TestRedactionTypedInput(t *testing.T) {
	tp, sr := recorder(t)
	tool := toolaudit.WrapFunc(toolaudit.New(toolaudit.WithTracerProvider(tp)), "login", func(_ context.Context, in loginIn) (string, error) {
		return "ok", nil
	})
	in := loginIn{User: "bob", Password: "pw", Headers: map[string]string{"Authorization": "Bearer x", "Accept": "json"}}
	in.Opts.APIKey, in.Opts.MaxTokens = "sk-123", 5
	_, err := tool(runCtx(), in)
	require.NoError(t, err)
	_, a := onlySpan(t, sr)
	assert.Equal(t, `{"user":"bob","password":"[REDACTED]","headers":{"Accept":"json","Authorization":"[REDACTED]"},"opts":{"apiKey":"[REDACTED]","max_tokens":5}}`, a[spanattr.KeyToolCallArguments].AsString())
}

func TestRedactionHMACAndCustomKeys(t *testing.T) {
	tp, sr := recorder(t)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithRedactKeys("ssn", "password"), toolaudit.WithRedactHMAC([]byte("k")))
	tool := mw.Wrap("t", func(context.Context, map[string]any) (string, error) { return "", nil })
	_, err := tool(runCtx(), map[string]any{"user_ssn": "078-05-1120", "password": "hunter2", "token": "visible", "other_password": []any{1}})
	require.NoError(t, err)
	_, a := onlySpan(t, sr)
	var m map[string]string
	got := a[spanattr.KeyToolCallArguments].AsString()
	require.NoError(t, json.Unmarshal([]byte(strings.Replace(got, `"token":"visible",`, "", 1)), &m), got)
	// HMAC-SHA256("k", "hunter2"), as Python's hmac module computes it.
	assert.Equal(t, "hmac-sha256:0cd9cde64b418f83ab6358d5fa0fb2b0264ba58b97196e7a99d4b6317f0169c5", m["password"])
	assert.True(t, strings.HasPrefix(m["user_ssn"], "hmac-sha256:"))
	assert.True(t, strings.HasPrefix(m["other_password"], "hmac-sha256:"))
	assert.Contains(t, got, `"token":"visible"`, "the custom list replaces the default one")

	sr.Reset()
	off := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithRedactKeys()).Wrap("t", func(context.Context, map[string]any) (string, error) { return "", nil })
	_, err = off(runCtx(), map[string]any{"password": "p"})
	require.NoError(t, err)
	_, a = onlySpan(t, sr)
	assert.Equal(t, `{"password":"p"}`, a[spanattr.KeyToolCallArguments].AsString())
}

func TestResultRedactor(t *testing.T) {
	tp, sr := recorder(t)
	tool := toolaudit.Wrap("env", func(context.Context, map[string]any) (string, error) {
		return "HOME=/root SECRET=s3cr3t", nil
	}, toolaudit.WithTracerProvider(tp), toolaudit.WithResultRedactor(func(tool, text string) string {
		return strings.ReplaceAll(text, "s3cr3t", "***")
	}))
	out, err := tool(runCtx(), nil)
	require.NoError(t, err)
	assert.Equal(t, "HOME=/root SECRET=s3cr3t", out, "the caller gets the real result")
	_, a := onlySpan(t, sr)
	assert.Equal(t, "HOME=/root SECRET=***", a[spanattr.KeyToolCallResult].AsString())
	assert.Equal(t, int64(21), a[spanattr.KeyResultChars].AsInt64())
}
