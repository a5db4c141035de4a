package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/s3ship"
	"github.com/toolaudit/toolaudit/ship"
)

// benchTree writes users day files of lines lines each (about 260 bytes a
// line, as the exporter's in the tests above) and returns the root.
func benchTree(b *testing.B, users, lines int) string {
	root := b.TempDir()
	for u := range users {
		dir := filepath.Join(root, fmt.Sprintf("user%03d", u), "tool_audit")
		require.NoError(b, os.MkdirAll(dir, 0o700))
		var buf bytes.Buffer
		for i := range lines {
			fmt.Fprintf(&buf, `{"ts":"2026-11-29T10:00:00Z","user":"user%03d","tool":"search","provider":"anthropic","model":"claude-sonnet-4-5","args":{"q":"line %d of a benchmark"},"status":"ok","duration_ms":12.5,"result_chars":120,"result":"%s"}`+"\n", u, i, strings.Repeat("r", 60))
		}
		require.NoError(b, os.WriteFile(filepath.Join(dir, "2026-11-29.jsonl"), buf.Bytes(), 0o600))
	}
	return root
}

// BenchmarkShipToSeaweedFS ships 20 users' day files of 5,000 lines each
// (100,000 lines, 26 MB) to SeaweedFS on loopback, one Sync per iteration
// into a fresh host prefix; "plain" PUTs the same files' bytes, one object
// per file as the shipper makes, without If-None-Match or progress;
// "one-line-pieces" ships 1,000 lines one object each.
func BenchmarkShipToSeaweedFS(b *testing.B) {
	w := startWeed(b)
	w.bucket(b, "bench", false)
	root := benchTree(b, 20, 5000)
	files := localFiles(b, root)
	var size int64
	for _, f := range files {
		size += int64(len(f))
	}
	ctx := context.Background()
	b.Run("ship", func(b *testing.B) {
		for _, kv := range w.s3Env() {
			k, v, _ := strings.Cut(kv, "=")
			b.Setenv(k, v)
		}
		store, err := s3ship.New(ctx, "s3://bench/ship")
		require.NoError(b, err)
		b.SetBytes(size)
		for i := range b.N {
			require.NoError(b, os.RemoveAll(filepath.Join(root, ship.StateDir)))
			s, err := ship.Start(ctx, root, store, ship.WithInterval(1<<62), ship.WithHost(fmt.Sprintf("run%d-%d", b.N, i)), ship.WithCompactAfter(-1))
			require.NoError(b, err)
			require.NoError(b, s.Sync(ctx))
			require.Equal(b, int64(100_000), s.Health().ShippedLines)
			require.NoError(b, s.Close(ctx))
		}
		b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "lines/s")
	})
	// One line a piece: the cost of a PUT and its progress file, what
	// shipping costs when each interval brings a user one new line.
	small := benchTree(b, 2, 500)
	b.Run("one-line-pieces", func(b *testing.B) {
		for _, kv := range w.s3Env() {
			k, v, _ := strings.Cut(kv, "=")
			b.Setenv(k, v)
		}
		store, err := s3ship.New(ctx, "s3://bench/small")
		require.NoError(b, err)
		for i := range b.N {
			require.NoError(b, os.RemoveAll(filepath.Join(small, ship.StateDir)))
			s, err := ship.Start(ctx, small, store, ship.WithInterval(1<<62), ship.WithHost(fmt.Sprintf("run%d-%d", b.N, i)),
				ship.WithCompactAfter(-1), ship.WithMaxPiece(1))
			require.NoError(b, err)
			require.NoError(b, s.Sync(ctx))
			require.Equal(b, int64(1000), s.Health().Objects)
			require.NoError(b, s.Close(ctx))
		}
		b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "objects/s")
	})
	b.Run("plain", func(b *testing.B) {
		c := w.client()
		b.SetBytes(size)
		for i := range b.N {
			for name, body := range files {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String(fmt.Sprintf("plain/%d-%d/%s.jsonl", b.N, i, name)), Body: bytes.NewReader(body)})
				require.NoError(b, err)
			}
		}
		b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "lines/s")
	})
}

// BenchmarkRecent reads alice's 50 newest entries: over the bucket (3 days
// x 2 hosts of 20,000-line objects, 3.4 MB each, on loopback SeaweedFS)
// and over one host's folder of the same files.
func BenchmarkRecent(b *testing.B) {
	w := startWeed(b)
	w.bucket(b, "bench", false)
	for _, kv := range w.s3Env() {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	ctx := context.Background()
	roots := shipDays(b, w, "s3://bench/recent", 2, 3, 20_000)
	br, err := s3ship.NewReader(ctx, "s3://bench/recent", s3ship.ReaderConfig{})
	require.NoError(b, err)
	b.Run("bucket", func(b *testing.B) {
		for range b.N {
			es, err := reader.Collect(br.Recent(ctx, "alice", reader.Query{Days: 3, Limit: 50}))
			require.NoError(b, err)
			require.Len(b, es, 50)
		}
	})
	b.Run("folder", func(b *testing.B) {
		r := reader.New(roots[0])
		for range b.N {
			es, err := reader.Collect(r.Recent(ctx, "alice", reader.Query{Days: 3, Limit: 50}))
			require.NoError(b, err)
			require.Len(b, es, 50)
		}
	})
}
