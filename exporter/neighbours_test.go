package exporter_test

// Tests of writers that share a day file with a neighbour that misbehaves:
// a process killed in the middle of a write, or one that appends without
// the lock.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
)

// TestTornLineOfAnOpenFileIsTerminated: a neighbour leaves a torn line in
// a file the exporter already has open; the exporter's next line still
// starts on a line of its own.
func TestTornLineOfAnOpenFileIsTerminated(t *testing.T) {
	root := t.TempDir()
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	end := time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)
	export := func(n int) {
		t.Helper()
		require.NoError(t, exp.ExportSpans(context.Background(), tracetest.SpanStubs{toolStub("dora", "x", `{}`, "ok", end, n)}.Snapshots()))
	}
	export(1) // the file is open from now on
	path := filepath.Join(root, "dora", "tool_audit", "2026-03-04.jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"ts": "2026-`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	export(2)
	require.NoError(t, exp.Shutdown(context.Background()))

	lines := readLines(t, path)
	require.Len(t, lines, 3)
	assert.Equal(t, `{"ts": "2026-`, lines[1], "the torn line stays on its own")
	assert.Contains(t, lines[2], `"span_id":"cd00020000000000"`, "the call after the torn line reads back")
}

// helperSteady calls the tool "steady" through a provider that waits for
// each line's export, printing "ack SPANID" as each call returns, until
// the file $STOP exists; then it shuts down and exits 0.
func helperSteady() int {
	_, tp, mw := pipeline(nopTB{}, os.Getenv("ROOT"), []otelx.Option{otelx.WithWaitForExport()}, exporter.WithLocation(time.UTC))
	var id string
	tool := mw.Wrap("steady", func(ctx context.Context, _ map[string]any) (string, error) {
		id = trace.SpanContextFromContext(ctx).SpanID().String()
		return "ok", nil
	})
	ctx := toolaudit.ContextWithUser(context.Background(), "crash")
	out := bufio.NewWriter(os.Stdout)
	for {
		if _, err := os.Stat(os.Getenv("STOP")); err == nil {
			break
		}
		if _, err := tool(ctx, map[string]any{"q": "x"}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintf(out, "ack %s\n", id)
		out.Flush()
		// Leave the crashers the lock and the cores most of the time.
		time.Sleep(100 * time.Microsecond)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestGuaranteeKilledNeighbourLosesNoCall runs one long-lived writer with
// the day file open while other writers, appending batches of lines far
// larger than a page, are killed by SIGKILL, some in the middle of a write:
// every call a process reported written is in the file exactly once.
func TestGuaranteeKilledNeighbourLosesNoCall(t *testing.T) {
	if testing.Short() {
		t.Skip("long: kills writers in a loop next to a long-lived one")
	}
	root := t.TempDir()
	stop := filepath.Join(t.TempDir(), "stop")
	steady := helperCmd(t, "steady", "ROOT="+root, "STOP="+stop)
	steadyOut, err := steady.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, steady.Start())
	var steadyAcked []string
	steadyDone := make(chan struct{})
	go func() {
		defer close(steadyDone)
		sc := bufio.NewScanner(steadyOut)
		for sc.Scan() {
			steadyAcked = append(steadyAcked, strings.TrimPrefix(sc.Text(), "ack "))
		}
	}()

	var acked []string
	const kills = 30
	for k := range kills {
		cmd := helperCmd(t, "crasher", "ROOT="+root)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(stdout)
		for i := 0; i < 2+k%5 && sc.Scan(); i++ {
			acked = append(acked, strings.TrimPrefix(sc.Text(), "ack "))
		}
		time.Sleep(time.Duration(k%3) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		for sc.Scan() {
			acked = append(acked, strings.TrimPrefix(sc.Text(), "ack "))
		}
		_ = cmd.Wait()
		// Let the long-lived writer append after the torn line, if any,
		// before the next writer opens the file (which repairs it).
		time.Sleep(2 * time.Millisecond)
	}
	require.NoError(t, os.WriteFile(stop, nil, 0o600))
	<-steadyDone
	require.NoError(t, steady.Wait(), "the long-lived writer shut down cleanly")

	a := census(t, root)
	require.NotEmpty(t, acked)
	require.NotEmpty(t, steadyAcked)
	lost := 0
	for _, id := range append(acked, steadyAcked...) {
		if a.spans[id] != 1 {
			lost++
			t.Errorf("call %s, reported written, is in the file %d times", id, a.spans[id])
		}
	}
	assert.Zero(t, a.duplicates())
	t.Logf("%d kills, %d flushes acknowledged by killed writers, %d calls of the long-lived writer, %d lines, %d torn lines, %d calls lost",
		kills, len(acked), len(steadyAcked), a.lines, len(a.corrupt), lost)
	files, _ := filepath.Glob(filepath.Join(root, "crash", "tool_audit", "*.jsonl"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			assert.LessOrEqual(t, bytes.Count(l, []byte(`{"ts":`)), 1, "two lines glued together")
		}
	}
}
