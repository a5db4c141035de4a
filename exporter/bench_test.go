package exporter_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/exporter"
)

const benchBatch = 512

// benchSpans is a batch of typical tool spans for 4 users.
func benchSpans() []sdktrace.ReadOnlySpan {
	end := time.Now()
	stubs := make(tracetest.SpanStubs, benchBatch)
	for i := range stubs {
		stubs[i] = toolStub(fmt.Sprintf("user%d", i%4), "search",
			`{"query":"opening hours of the café near the station","limit":10,"lang":"fr"}`, "ok", end, i)
	}
	return stubs.Snapshots()
}

func reportLines(b *testing.B, lines int) {
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkExporter encodes and appends pre-built tool spans, batch by
// batch, as the audit processor hands them over, with each fsync policy;
// the baseline appends the same bytes, already encoded.
func BenchmarkExporter(b *testing.B) {
	b.Run("baseline", benchExporterBaseline)
	for _, bc := range []struct {
		name  string
		fsync exporter.Fsync
	}{{"fsync=never", exporter.FsyncNever}, {"fsync=batch", exporter.FsyncBatch}, {"fsync=100ms", exporter.FsyncInterval(100 * time.Millisecond)}} {
		b.Run(bc.name, func(b *testing.B) {
			exp, err := exporter.New(b.TempDir(), exporter.WithFsync(bc.fsync))
			require.NoError(b, err)
			spans := benchSpans()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := exp.ExportSpans(ctx, spans); err != nil {
					b.Fatal(err)
				}
			}
			reportLines(b, len(spans))
			require.NoError(b, exp.Shutdown(ctx))
		})
	}
}

// benchExporterBaseline is the floor of BenchmarkExporter: appending the
// same bytes, already encoded, with one write per file per batch.
func benchExporterBaseline(b *testing.B) {
	// Encode the batch once with the exporter itself, then reuse its bytes.
	src := b.TempDir()
	exp, err := exporter.New(src)
	require.NoError(b, err)
	require.NoError(b, exp.ExportSpans(context.Background(), benchSpans()))
	require.NoError(b, exp.Shutdown(context.Background()))
	dst := b.TempDir()
	var files []*os.File
	var data [][]byte
	matches, _ := filepath.Glob(filepath.Join(src, "*", "tool_audit", "*.jsonl"))
	for _, m := range matches {
		d, err := os.ReadFile(m)
		require.NoError(b, err)
		f, err := os.OpenFile(filepath.Join(dst, filepath.Base(filepath.Dir(filepath.Dir(m)))+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		require.NoError(b, err)
		defer f.Close()
		files, data = append(files, f), append(data, d)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, f := range files {
			if _, err := f.Write(data[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportLines(b, benchBatch)
}

// BenchmarkChain is the cost of the hash chain: the exporter as in
// BenchmarkExporter/fsync=never, each line linked (the default), against
// the baseline with WithChain(false).
func BenchmarkChain(b *testing.B) {
	for _, bc := range []struct {
		name string
		on   bool
	}{{"baseline", false}, {"on", true}} {
		b.Run(bc.name, func(b *testing.B) {
			exp, err := exporter.New(b.TempDir(), exporter.WithChain(bc.on))
			require.NoError(b, err)
			spans := benchSpans()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := exp.ExportSpans(ctx, spans); err != nil {
					b.Fatal(err)
				}
			}
			reportLines(b, len(spans))
			require.NoError(b, exp.Shutdown(ctx))
		})
	}
}
