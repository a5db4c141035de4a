package exporter_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/internal/spanattr"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

var utc1 = time.FixedZone("UTC+1", 3600)

func toolStub(user, tool, args, status string, end time.Time, n int) tracetest.SpanStub {
	tid := trace.TraceID{0xab, byte(n >> 8), byte(n)}
	sid := trace.SpanID{0xcd, byte(n >> 8), byte(n)}
	a := []attribute.KeyValue{
		spanattr.KeyOperationName.String(spanattr.OperationExecuteTool),
		spanattr.KeyToolName.String(tool),
		spanattr.KeyProviderName.String("anthropic"),
		spanattr.KeyRequestModel.String("claude"),
		spanattr.KeyToolCallArguments.String(args),
		spanattr.KeyStatus.String(status),
		spanattr.KeyResultChars.Int(5),
		spanattr.KeyToolCallResult.String("hello"),
	}
	if user != "" {
		a = append(a, spanattr.KeyEndUserID.String(user))
	}
	return tracetest.SpanStub{
		Name:        spanattr.SpanNamePrefix + tool,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}),
		StartTime:   end.Add(-1500 * time.Microsecond),
		EndTime:     end,
		Attributes:  a,
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(b), "\n"), "file ends with a newline")
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// requireWholeLines checks that every day file under root ends with "\n":
// no fragment of a line is left at the end.
func requireWholeLines(t *testing.T, root string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends with a fragment: %q", path, b[max(0, len(b)-40):])
		}
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, n, "day files under %s", root)
}

func TestExactLines(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(utc1))
	require.NoError(t, err)
	end := time.Date(2026, 11, 27, 8, 30, 0, 999e6, time.UTC)
	s1 := toolStub("alice", "search", `{"q":"café <b>"}`, "ok", end, 1)
	s1.Attributes = append(s1.Attributes, spanattr.KeyToolCallID.String("toolu_01"))
	other := tracetest.SpanStub{Name: "GET /", EndTime: end, Attributes: []attribute.KeyValue{attribute.String("http.method", "GET")}}
	s2 := toolStub("alice", "rm", `{}`, "denied", end.Add(time.Second), 2)

	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{s1, other, s2}.Snapshots()))
	require.NoError(t, exp.Shutdown(context.Background()))

	got := readLines(t, filepath.Join(root, "alice", "tool_audit", "2026-11-27.jsonl"))
	assert.Equal(t, []string{
		`{"ts":"2026-11-27T09:30:00+01:00","user":"alice","engine":"anthropic","model":"claude","tool":"search","args":{"q":"café <b>"},"status":"ok","result_chars":5,"result_snippet":"hello","duration_ms":1.5,"trace_id":"ab000100000000000000000000000000","span_id":"cd00010000000000","call_id":"toolu_01","chain":"d87aaf556ed4dec0280cedfb660d207db32f1c7541d066d59f9701f082a9d0db"}`,
		`{"ts":"2026-11-27T09:30:01+01:00","user":"alice","engine":"anthropic","model":"claude","tool":"rm","args":{},"status":"denied","result_chars":5,"result_snippet":"hello","duration_ms":1.5,"trace_id":"ab000200000000000000000000000000","span_id":"cd00020000000000","chain":"e87365d90e2616f85744fbdd62c168288b06e43764f236c84f93865021785573"}`,
	}, got)
	assert.Equal(t, uint64(2), exp.Health().LinesWritten)

	info, err := os.Stat(filepath.Join(root, "alice", "tool_audit", "2026-11-27.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(filepath.Join(root, "alice", "tool_audit"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

func TestDayBoundaryFollowsTs(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(utc1))
	require.NoError(t, err)
	// 22:59:59.9 UTC is 23:59:59 in UTC+1; 23:00:00 UTC is the next day there.
	before := time.Date(2026, 11, 27, 22, 59, 59, 9e8, time.UTC)
	after := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{
		toolStub("bob", "a", `{}`, "ok", before, 1), toolStub("bob", "b", `{}`, "ok", after, 2),
	}.Snapshots()))
	d1 := readLines(t, filepath.Join(root, "bob", "tool_audit", "2026-11-27.jsonl"))
	d2 := readLines(t, filepath.Join(root, "bob", "tool_audit", "2026-11-28.jsonl"))
	require.Len(t, d1, 1)
	require.Len(t, d2, 1)
	assert.Contains(t, d1[0], `"ts":"2026-11-27T23:59:59+01:00"`)
	assert.Contains(t, d2[0], `"ts":"2026-11-28T00:00:00+01:00"`)

	// The same instants with WithUTC both land on the 27th.
	root2 := t.TempDir()
	exp2, err := exporter.New(root2, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	require.NoError(t, exp2.ExportSpans(context.Background(), tracetest.SpanStubs{
		toolStub("bob", "a", `{}`, "ok", before, 1), toolStub("bob", "b", `{}`, "ok", after, 2),
	}.Snapshots()))
	assert.Len(t, readLines(t, filepath.Join(root2, "bob", "tool_audit", "2026-11-27.jsonl")), 2)
	assert.Contains(t, readLines(t, filepath.Join(root2, "bob", "tool_audit", "2026-11-27.jsonl"))[1], `"ts":"2026-11-27T23:00:00+00:00"`)
}

func TestForeignToolSpanAndMissingUser(t *testing.T) {
	handled := handlerErrors(t)

	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	end := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// A tool span from another instrumentation: no toolaudit attributes.
	foreign := tracetest.SpanStub{
		Name:       "execute_tool fetch",
		StartTime:  end.Add(-time.Millisecond),
		EndTime:    end,
		Status:     sdktrace.Status{Code: codes.Error, Description: "timeout"},
		Attributes: []attribute.KeyValue{spanattr.KeyOperationName.String("execute_tool"), spanattr.KeyEndUserID.String("carol")},
	}
	noUser := toolStub("", "x", `{}`, "ok", end, 1)
	badUser := toolStub("../../etc", "x", `{}`, "ok", end, 2)
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{foreign, noUser, badUser}.Snapshots()))

	got := readLines(t, filepath.Join(root, "carol", "tool_audit", "2026-01-02.jsonl"))
	assert.Equal(t, `{"ts":"2026-01-02T03:04:05+00:00","user":"carol","engine":"","model":"","tool":"fetch","args":{},"status":"error","result_chars":0,"result_snippet":"","duration_ms":1,"trace_id":"00000000000000000000000000000000","span_id":"0000000000000000","chain":"083d03a237c4166303032560396f1067bd8b43cc5d57c16c7020ab2282c92361"}`, got[0])

	un := readLines(t, filepath.Join(root, exporter.Unattributed, "tool_audit", "2026-01-02.jsonl"))
	require.Len(t, un, 2, "no span is dropped for want of a valid user")
	assert.Contains(t, un[0], `"user":""`)
	assert.Contains(t, un[1], `"user":"../../etc"`)
	reports := handled()
	require.Len(t, reports, 1)
	assert.Contains(t, reports[0].Error(), `2 tool calls without a valid user ("", "../../etc") written under @unattributed`)
	_, err = os.Stat(filepath.Join(root, "..", "etc"))
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

func TestConcurrentCallsEveryLineWhole(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root)
	require.NoError(t, err)
	tp, err := otelx.NewTracerProvider(exp, otelx.WithMaxQueue(64))
	require.NoError(t, err)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	tool := mw.Wrap("echo", func(_ context.Context, args map[string]any) (string, error) {
		return strings.Repeat("r", 1000), nil
	})
	const goroutines, calls = 16, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := toolaudit.ContextWithUser(context.Background(), fmt.Sprintf("u%d", g%4))
			for i := range calls {
				_, err := tool(ctx, map[string]any{"g": g, "i": i, "pad": strings.Repeat("p", 400)})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	require.NoError(t, tp.Shutdown(context.Background()))

	seen := map[string]bool{}
	for u := range 4 {
		matches, err := filepath.Glob(filepath.Join(root, fmt.Sprintf("u%d", u), "tool_audit", "*.jsonl"))
		require.NoError(t, err)
		for _, m := range matches {
			f, err := os.Open(m)
			require.NoError(t, err)
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var e record.Entry
				require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %q", sc.Text())
				var args struct{ G, I int }
				require.NoError(t, json.Unmarshal(e.Args, &args))
				key := fmt.Sprintf("%d/%d", args.G, args.I)
				assert.False(t, seen[key], "duplicate %s", key)
				seen[key] = true
				assert.Equal(t, fmt.Sprintf("u%d", args.G%4), e.User)
			}
			require.NoError(t, sc.Err())
			f.Close()
		}
	}
	assert.Len(t, seen, goroutines*calls)
	assert.Equal(t, uint64(goroutines*calls), exp.Health().LinesWritten)
}

func TestTornLineIsTerminated(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dave", "tool_audit")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	path := filepath.Join(dir, "2026-03-04.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"ts":"2026-03-04T10:00:00","user":"dave"}`+"\n"+`{"ts":"2026-03-04T10:00:01","us`), 0o600))
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{
		toolStub("dave", "x", `{}`, "ok", time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC), 1),
	}.Snapshots()))
	lines := readLines(t, path)
	require.Len(t, lines, 3)
	assert.Equal(t, `{"ts":"2026-03-04T10:00:01","us`, lines[1], "the torn line stays on its own")
	assert.True(t, json.Valid([]byte(lines[2])))
}

func TestDeletedFileIsRecreated(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	export := func(n int) {
		require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("erin", "x", `{}`, "ok", end, n)}.Snapshots()))
	}
	export(1)
	require.NoError(t, os.RemoveAll(filepath.Join(root, "erin")))
	export(2)
	lines := readLines(t, filepath.Join(root, "erin", "tool_audit", "2026-03-04.jsonl"))
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], `"span_id":"cd00020000000000"`)

	require.NoError(t, os.RemoveAll(root))
	export(3)
	lines = readLines(t, filepath.Join(root, "erin", "tool_audit", "2026-03-04.jsonl"))
	require.Len(t, lines, 1, "the root itself is recreated")
	assert.Contains(t, lines[0], `"span_id":"cd00030000000000"`)
}

func TestFailedWriteIsSpilledAndRetried(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	// A file where the user's folder should be: works as root too.
	require.NoError(t, os.WriteFile(filepath.Join(root, "frank"), []byte("in the way"), 0o600))
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	err = exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("frank", "x", `{}`, "ok", end, 1), toolStub("frank", "y", `{}`, "ok", end, 2)}.Snapshots())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 audit lines for frank/tool_audit/2026-03-04.jsonl kept for retry")
	h := exp.Health()
	assert.Equal(t, uint64(2), h.LinesPending)
	assert.Zero(t, h.LinesWritten)
	assert.Error(t, h.LastError)

	require.NoError(t, os.Remove(filepath.Join(root, "frank")))
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("frank", "z", `{}`, "ok", end, 3)}.Snapshots()))
	lines := readLines(t, filepath.Join(root, "frank", "tool_audit", "2026-03-04.jsonl"))
	require.Len(t, lines, 3)
	for i, tool := range []string{"x", "y", "z"} {
		assert.Contains(t, lines[i], `"tool":"`+tool+`"`, "spilled lines first, in order")
	}
	h = exp.Health()
	assert.Equal(t, uint64(0), h.LinesPending)
	assert.Equal(t, uint64(3), h.LinesWritten)
}

func TestSpillLimitCountsGivenUpLines(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithMaxSpillBytes(0))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "gina"), nil, 0o600))
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	err = exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("gina", "x", `{}`, "ok", end, 1)}.Snapshots())
	require.ErrorContains(t, err, "1 audit lines for gina/tool_audit/2026-03-04.jsonl given up, spill full")
	assert.Equal(t, uint64(1), exp.Health().LinesFailed)
}

func TestSymlinkOutsideRootRefused(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "mallory")))
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	err = exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("mallory", "x", `{}`, "ok", time.Now(), 1)}.Snapshots())
	require.Error(t, err)
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written outside the root")
}

func TestAfterShutdown(t *testing.T) {
	exp, err := exporter.New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))
	require.NoError(t, exp.Shutdown(context.Background()), "idempotent")
	err = exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("a", "x", `{}`, "ok", time.Now(), 1)}.Snapshots())
	require.ErrorIs(t, err, exporter.ErrClosed)
	assert.Equal(t, uint64(1), exp.Health().LinesFailed)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	exp2, _ := exporter.New(t.TempDir())
	require.ErrorIs(t, exp2.ExportSpans(ctx, nil), context.Canceled)
	_, err = exporter.New("")
	require.Error(t, err)
}

func TestManyUsersBoundedOpenFiles(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithMaxOpenFiles(3))
	require.NoError(t, err)
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	for round := range 2 {
		var stubs tracetest.SpanStubs
		for u := range 10 {
			stubs = append(stubs, toolStub(fmt.Sprintf("user%d", u), "x", `{}`, "ok", end, round*10+u))
		}
		require.NoError(t, exp.ExportSpans(context.Background(), stubs.Snapshots()))
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err == nil {
		n := 0
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, root) && strings.HasSuffix(target, ".jsonl") {
				n++
			}
		}
		assert.LessOrEqual(t, n, 3, "open day files are bounded")
	}
	for u := range 10 {
		assert.Len(t, readLines(t, filepath.Join(root, fmt.Sprintf("user%d", u), "tool_audit", "2026-03-04.jsonl")), 2)
	}
}

// bigBatch is n tool spans of about 450 bytes each, for users in turn.
func bigBatch(n int, users ...string) []sdktrace.ReadOnlySpan {
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	args := `{"pad":"` + strings.Repeat("x", 300) + `"}`
	stubs := make(tracetest.SpanStubs, n)
	for i := range stubs {
		stubs[i] = toolStub(users[i%len(users)], "x", args, "ok", end, i)
	}
	return stubs.Snapshots()
}

// requireInOrder checks that path holds exactly the lines of spans first..
// of bigBatch for one of every step users, in order, each valid JSON.
func requireInOrder(t *testing.T, path string, first, step, count int) {
	t.Helper()
	lines := readLines(t, path)
	require.Len(t, lines, count)
	for i, line := range lines {
		require.True(t, json.Valid([]byte(line)), "line %d is whole", i)
		n := first + i*step
		require.Contains(t, line, fmt.Sprintf(`"span_id":"cd%04x0000000000"`, n), "line %d", i)
	}
}

func TestBigBatchWrittenWholeAndInOrder(t *testing.T) {
	for _, fsync := range []exporter.Fsync{exporter.FsyncNever, exporter.FsyncBatch} {
		root := t.TempDir()
		exp, err := exporter.New(root, exporter.WithLocation(time.UTC), exporter.WithFsync(fsync))
		require.NoError(t, err)
		// About 1.4 MB: many times the size at which a file's lines are
		// written before the end of the batch.
		require.NoError(t, exp.ExportSpans(context.Background(), bigBatch(3000, "gail", "gail", "hal")))
		assert.Equal(t, uint64(3000), exp.Health().LinesWritten)
		lines := readLines(t, filepath.Join(root, "gail", "tool_audit", "2026-03-04.jsonl"))
		require.Len(t, lines, 2000)
		requireInOrder(t, filepath.Join(root, "hal", "tool_audit", "2026-03-04.jsonl"), 2, 3, 1000)
		assert.LessOrEqual(t, exp.KeptBytes(), 2*256<<10, "line buffers kept for the next batch stay small")
		if fsync == exporter.FsyncBatch {
			assert.Zero(t, exp.DirtyFiles(), "FsyncBatch: every file written is fsynced at the end of the batch")
		}
		require.NoError(t, exp.Shutdown(context.Background()))
	}
}

func TestFailedChunkKeepsOrder(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "ivan"), []byte("in the way"), 0o600))
	err = exp.ExportSpans(context.Background(), bigBatch(1500, "ivan"))
	require.ErrorContains(t, err, "kept for retry")
	h := exp.Health()
	assert.Equal(t, uint64(1500), h.LinesPending, "the lines of the failed write and those after it wait")
	assert.Zero(t, h.LinesWritten)

	require.NoError(t, os.Remove(filepath.Join(root, "ivan")))
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("ivan", "x", `{}`, "ok", end, 1500)}.Snapshots()))
	requireInOrder(t, filepath.Join(root, "ivan", "tool_audit", "2026-03-04.jsonl"), 0, 1, 1501)
	assert.Equal(t, uint64(1501), exp.Health().LinesWritten)
}

// TestManyUsersAndDaysInOneBatch mixes, in one batch, more users than the
// exporter remembers between lines, two days, and users that cannot name a
// folder: every line lands in its own user's file of its own day, in order.
func TestManyUsersAndDaysInOneBatch(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(utc1))
	require.NoError(t, err)
	// Three valid users on two days: six files, more than the exporter
	// remembers, each met again within a few lines.
	users := []string{"u0", "u1", "", "u2", "../x"}
	midnight := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC) // 00:00 on the 28th in UTC+1
	var stubs tracetest.SpanStubs
	want := map[string][]int{}
	for i := range 400 {
		user := users[i%len(users)]
		end := midnight.Add(time.Duration(i%3-1) * time.Second) // 23:59:59, 00:00:00, 00:00:01
		stubs = append(stubs, toolStub(user, "x", `{}`, "ok", end, i))
		dir, day := user, "2026-11-28"
		if user == "" || user == "../x" {
			dir = exporter.Unattributed
		}
		if i%3 == 0 {
			day = "2026-11-27"
		}
		key := filepath.Join(dir, "tool_audit", day+".jsonl")
		want[key] = append(want[key], i)
	}
	require.NoError(t, exp.ExportSpans(context.Background(), stubs.Snapshots()))
	total := 0
	for key, ns := range want {
		lines := readLines(t, filepath.Join(root, key))
		require.Equal(t, len(ns), len(lines), "lines in %s", key)
		for j, n := range ns {
			require.Contains(t, lines[j], fmt.Sprintf(`"span_id":"cd%04x0000000000"`, n), "%s line %d", key, j)
		}
		total += len(lines)
	}
	assert.Equal(t, 400, total)
	assert.Equal(t, uint64(400), exp.Health().LinesWritten)
}
