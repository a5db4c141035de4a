package tamper_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/internal/spanattr"
	"github.com/toolaudit/toolaudit/internal/tamper"
)

// bigMB is the size of the benchmark's day file: 300 MB, or 30 MB when
// TOOLAUDIT_BENCH_SMALL is set, as in package reader.
func bigMB() int {
	if os.Getenv("TOOLAUDIT_BENCH_SMALL") != "" {
		return 30
	}
	return 300
}

// BenchmarkVerify verifies a 300 MB day file written by the exporter (see
// bigMB) with Verify, as toolaudit verify does; the baseline is SHA-256's
// own speed on the same bytes, read in 1 MiB blocks and hashed as one
// stream. Both report MB/s.
func BenchmarkVerify(b *testing.B) {
	root := filepath.Join(b.TempDir(), "home")
	path, size := writeBig(b, root, int64(bigMB())<<20)
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			rows, err := tamper.Verify(context.Background(), tamper.Config{Root: root})
			if err != nil || len(rows) != 1 || rows[0].Status != tamper.OK {
				b.Fatal(rows, err)
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		b.SetBytes(size)
		buf := make([]byte, 1<<20)
		for b.Loop() {
			f, err := os.Open(path)
			require.NoError(b, err)
			h := sha256.New()
			if _, err := io.CopyBuffer(h, bufio.NewReaderSize(f, len(buf)), buf); err != nil {
				b.Fatal(err)
			}
			h.Sum(nil)
			f.Close()
		}
	})
}

// writeBig writes one user-day of at least size bytes with the exporter.
func writeBig(b *testing.B, root string, size int64) (string, int64) {
	exp, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(b, err)
	t0 := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	path := dayPath(root, "big", "2026-11-27")
	var stubs tracetest.SpanStubs
	for i := 0; ; i++ {
		s := stub("big", t0.Add(time.Duration(i)*time.Millisecond), i)
		// Lines of about 450 bytes.
		s.Attributes[3] = spanattr.KeyToolCallArguments.String(fmt.Sprintf(`{"query":"opening hours of the café near the station %d","limit":10,"lang":"fr","context":"%0200d"}`, i, i))
		stubs = append(stubs, s)
		if len(stubs) == 4096 {
			require.NoError(b, exp.ExportSpans(context.Background(), stubs.Snapshots()))
			stubs = stubs[:0]
			if st, err := os.Stat(path); err == nil && st.Size() >= size {
				break
			}
		}
	}
	require.NoError(b, exp.Shutdown(context.Background()))
	st, err := os.Stat(path)
	require.NoError(b, err)
	return path, st.Size()
}
