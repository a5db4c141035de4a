package exporter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/exporter"
)

var day = time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)

func TestSymlinksInsideTheTreeRefused(t *testing.T) {
	tests := map[string]func(root, outside string){
		"tool_audit folder": func(root, outside string) {
			require.NoError(t, os.MkdirAll(filepath.Join(root, "mallory"), 0o700))
			require.NoError(t, os.Symlink(outside, filepath.Join(root, "mallory", "tool_audit")))
		},
		"day file": func(root, outside string) {
			require.NoError(t, os.MkdirAll(filepath.Join(root, "mallory", "tool_audit"), 0o700))
			require.NoError(t, os.Symlink(filepath.Join(outside, "target.jsonl"), filepath.Join(root, "mallory", "tool_audit", "2026-03-04.jsonl")))
		},
	}
	for name, plant := range tests {
		t.Run(name, func(t *testing.T) {
			root, outside := t.TempDir(), t.TempDir()
			plant(root, outside)
			exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
			require.NoError(t, err)
			err = exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("mallory", "x", `{}`, "ok", day, 1)}.Snapshots())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "mallory/tool_audit/2026-03-04.jsonl")
			entries, err := os.ReadDir(outside)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written outside the root")
			assert.Equal(t, uint64(1), exp.Health().LinesPending, "kept, not dropped")
		})
	}
}

func TestWidePermissionsReportedOnce(t *testing.T) {
	handled := handlerErrors(t)
	root := t.TempDir()
	dir := filepath.Join(root, "nina", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	path := filepath.Join(dir, "2026-03-04.jsonl")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	require.NoError(t, os.Chmod(path, 0o644))
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithMaxOpenFiles(1))
	require.NoError(t, err)
	for i := range 3 {
		// Another user in between closes nina's file, so it is opened again.
		require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("nina", "x", `{}`, "ok", day, i), toolStub("omar", "x", `{}`, "ok", day, i)}.Snapshots()))
	}
	var reports []string
	for _, err := range handled() {
		reports = append(reports, err.Error())
	}
	require.Len(t, reports, 1, "%q", reports)
	assert.Contains(t, reports[0], "nina/tool_audit/2026-03-04.jsonl")
	assert.Contains(t, reports[0], "-rw-r--r--")
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "left as it is")
	assert.Len(t, readLines(t, path), 3)
}

func TestLineCapShrinksNeverDrops(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithMaxLineBytes(16<<10))
	require.NoError(t, err)
	many := map[string]string{}
	for i := range 200 {
		many[strings.Repeat("k", 20)+string(rune('a'+i%26))+string(rune('a'+i/26))] = strings.Repeat("v", 400)
	}
	manyJSON, _ := json.Marshal(many)
	huge := toolStub("pat", "x", string(manyJSON), "ok", day, 1)
	hugeKeys := map[string]int{}
	for i := range 3000 {
		hugeKeys[strings.Repeat("k", 10)+string(rune(0x4e00+i))] = i
	}
	keysJSON, _ := json.Marshal(hugeKeys)
	worse := toolStub("pat", strings.Repeat("t", 1<<20), string(keysJSON), "ok", day, 2)
	worse.Attributes = append(worse.Attributes, spanattr.KeyToolCallResult.String(strings.Repeat("r", 10<<20)))
	invalid := toolStub("pat", "x", `{"a":"`+strings.Repeat("x", 100<<10), "ok", day, 3)
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{huge, worse, invalid}.Snapshots()))

	lines := readLines(t, filepath.Join(root, "pat", "tool_audit", "2026-03-04.jsonl"))
	require.Len(t, lines, 3, "no line dropped")
	for _, l := range lines {
		assert.LessOrEqual(t, len(l), 16<<10)
		var e record.Entry
		require.NoError(t, json.Unmarshal([]byte(l), &e))
	}
	assert.Contains(t, lines[0], `"`+strings.Repeat("v", 10)+` …[400 chars total]"`, "string values cut to fit")
	assert.Contains(t, lines[1], `"args":{"_truncated":"arguments of`)
	assert.Contains(t, lines[1], `"tool":"`+strings.Repeat("t", 256)+`…"`)
	assert.Contains(t, lines[2], `"args":{"_truncated":"arguments of`)
}

func TestHostileFieldsStayOneLine(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	s := toolStub("quinn", "a\nb\u2028c\x00\xff", `{"a":"x\u2028y"}`, "ok\r\n", day, 1)
	s.Attributes = append(s.Attributes, spanattr.KeyProviderName.String("\x1b[31mred"), spanattr.KeyToolCallArguments.String("{\"a\":\"\u2029\",\n\"b\":\"\x85\"}"))
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{s}.Snapshots()))
	lines := readLines(t, filepath.Join(root, "quinn", "tool_audit", "2026-03-04.jsonl"))
	require.Len(t, lines, 1)
	assert.NotContains(t, lines[0], "\u2028")
	assert.NotContains(t, lines[0], "\u2029")
	assert.NotContains(t, lines[0], "\r")
	var e record.Entry
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &e))
	assert.Equal(t, "a\nb\u2028c\x00\ufffd", e.Tool)
	assert.Equal(t, "\x1b[31mred", e.Engine)
	assert.Equal(t, "{\"a\":\"\\u2029\",\"b\":\"\ufffd\"}", string(e.Args))
}

// TestErrorHandlerRunsOutsideTheLock has the error handler call back into
// the exporter, as a health probe might: no deadlock.
func TestErrorHandlerRunsOutsideTheLock(t *testing.T) {
	exp, err := exporter.New(t.TempDir(), exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	var got []string
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		_ = exp.Health()
		_ = exp.Check(context.Background())
		got = append(got, err.Error())
	}))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	done := make(chan error)
	go func() {
		var stubs tracetest.SpanStubs
		for i := range 20 {
			stubs = append(stubs, toolStub(strings.Repeat("/", 100)+fmt.Sprint(i), "x", `{}`, "ok", day, i))
		}
		done <- exp.ExportSpans(context.Background(), stubs.Snapshots())
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock: the error handler ran under the exporter's lock")
	}
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "20 tool calls without a valid user")
	assert.Less(t, len(got[0]), 1000, "the report names a few users, shortened")
}

// TestLostAttributesReportedOnce checks that a tool span whose provider's
// span limits dropped attributes is written and reported, once.
func TestLostAttributesReportedOnce(t *testing.T) {
	handled := handlerErrors(t)
	exp, err := exporter.New(t.TempDir(), exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	whole := toolStub("kim", "x", `{}`, "ok", day, 1)
	limited := toolStub("kim", "x", `{}`, "ok", day, 2)
	limited.DroppedAttributes = 3
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{whole}.Snapshots()))
	assert.Empty(t, handled(), "nothing lost, nothing reported")
	for range 2 {
		require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{limited, whole}.Snapshots()))
	}
	reports := handled()
	require.Len(t, reports, 1, "%v", reports)
	assert.Contains(t, reports[0].Error(), `tool span "execute_tool x" lost 3 attributes`)
	assert.Contains(t, reports[0].Error(), "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT")
	assert.EqualValues(t, 5, exp.Health().LinesWritten, "written all the same")
}

// TestUnattributedUserIsCut: a user name that cannot name a folder is kept
// in its line, cut as text fields are at the line cap, not whole.
func TestUnattributedUserIsCut(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	long := strings.Repeat("é", 10000) // not a valid name, 20 KB
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub(long, "x", `{}`, "ok", day, 1)}.Snapshots()))
	lines := readLines(t, filepath.Join(root, exporter.Unattributed, "tool_audit", "2026-03-04.jsonl"))
	require.Len(t, lines, 1)
	var e record.Entry
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &e))
	assert.Equal(t, strings.Repeat("é", 256)+"…", e.User)
	assert.Less(t, len(lines[0]), 1024)
}
