package reader_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

// writeBenchDay writes about size bytes of typical lines (about 600 bytes
// each) to user's file for day under root, and returns the line count.
func writeBenchDay(b *testing.B, root, user, day string, size int) int {
	b.Helper()
	dir := filepath.Join(root, user, "tool_audit")
	require.NoError(b, os.MkdirAll(dir, 0o700))
	f, err := os.Create(filepath.Join(dir, day+".jsonl"))
	require.NoError(b, err)
	w := bufio.NewWriterSize(f, 1<<20)
	start := at(day, 0, 0)
	pad := strings.Repeat("lorem ipsum ", 30)
	var buf []byte
	n := 0
	for written := 0; written < size; n++ {
		e := record.Entry{
			Time: start.Add(time.Duration(n) * 100 * time.Millisecond), User: user, Engine: "anthropic", Model: "claude-sonnet-4-5",
			Tool: "search", Args: json.RawMessage(`{"query":"` + pad + `","n":` + fmt.Sprint(n) + `}`), Status: record.StatusOK,
			ResultChars: 1200, ResultSnippet: pad[:200], Duration: 1500 * time.Microsecond,
			TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		}
		buf = append(e.AppendJSON(buf[:0]), '\n')
		_, err := w.Write(buf)
		require.NoError(b, err)
		written += len(buf)
	}
	require.NoError(b, w.Flush())
	require.NoError(b, f.Close())
	return n
}

// naiveRecent is the reference module's read_recent for one day: read the
// whole file, parse every line, reverse, keep limit.
func naiveRecent(b *testing.B, path string, limit int) []record.Entry {
	data, err := os.ReadFile(path)
	require.NoError(b, err)
	var out []record.Entry
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if e, err := record.Parse(line, loc); err == nil {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out[:min(limit, len(out))]
}

// bigMB is the size of the largest benchmark files: 300 MB, or 30 MB when
// TOOLAUDIT_BENCH_SMALL is set (CI runs each benchmark once to keep it
// working, and need not fill a small disk).
func bigMB() int {
	if os.Getenv("TOOLAUDIT_BENCH_SMALL") != "" {
		return 30
	}
	return 300
}

// BenchmarkRecent reads the newest 200 entries of a user's day file of 3,
// 30 and 300 MB: ours reads the file backwards and parses 200 lines; the
// baseline is the naive algorithm.
func BenchmarkRecent(b *testing.B) {
	root := b.TempDir()
	r := newReader(root)
	for _, mb := range slices.Compact([]int{3, 30, bigMB()}) {
		user := fmt.Sprintf("u%dmb", mb)
		writeBenchDay(b, root, user, "2026-11-27", mb<<20)
		path := filepath.Join(root, user, "tool_audit", "2026-11-27.jsonl")
		b.Run(fmt.Sprintf("%dMB/ours", mb), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				es, err := reader.Collect(r.Recent(ctx, user, reader.Query{Days: 1, Limit: 200}))
				if err != nil || len(es) != 200 {
					b.Fatal(err, len(es))
				}
			}
		})
		b.Run(fmt.Sprintf("%dMB/baseline", mb), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if es := naiveRecent(b, path, 200); len(es) != 200 {
					b.Fatal(len(es))
				}
			}
		})
	}
}

// BenchmarkRecentAll reads the newest 500 entries across 1,000 users with 7
// day files each: ours is a k-way merge that stops when it has enough; the
// baseline reads every user's 500 newest entries (with our Recent) and
// sorts them all.
func BenchmarkRecentAll(b *testing.B) {
	root := b.TempDir()
	const users, days, perDay = 1000, 7, 40
	line := func(user string, ts time.Time, i int) []byte {
		e := record.Entry{Time: ts, User: user, Tool: "search", Args: json.RawMessage(`{"i":` + fmt.Sprint(i) + `}`), Status: record.StatusOK}
		return append(e.AppendJSON(nil), '\n')
	}
	for u := range users {
		user := fmt.Sprintf("user%04d", u)
		dir := filepath.Join(root, user, "tool_audit")
		require.NoError(b, os.MkdirAll(dir, 0o700))
		for d := range days {
			day := now.AddDate(0, 0, -d).Format("2006-01-02")
			var buf []byte
			for i := range perDay {
				// Users interleave in time: each has a different offset.
				buf = append(buf, line(user, at(day, 0, 0).Add(time.Duration(i*600+u)*time.Second), i)...)
			}
			require.NoError(b, os.WriteFile(filepath.Join(dir, day+".jsonl"), buf, 0o600))
		}
	}
	r := newReader(root)
	q := reader.Query{Days: 7, Limit: 500}
	var want []string
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			es, err := reader.Collect(r.RecentAll(ctx, q))
			if err != nil || len(es) != 500 {
				b.Fatal(err, len(es))
			}
			want = tools(es)
		}
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			names, err := r.Users(ctx)
			require.NoError(b, err)
			var all []record.Entry
			for _, u := range names {
				es, err := reader.Collect(r.Recent(ctx, u, q))
				require.NoError(b, err)
				all = append(all, es...)
			}
			slices.SortStableFunc(all, func(a, b record.Entry) int { return b.Time.Compare(a.Time) })
			all = all[:q.Limit]
			if want != nil && !slices.Equal(want, tools(all)) {
				b.Fatal("the merge and the baseline disagree")
			}
		}
	})
}

// peakHeap samples the heap in use while fn runs and returns its peak.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// BenchmarkDay iterates over a 300 MB day file (see bigMB): ours with IterDay, the
// baseline reading the whole file and parsing every line as the reference
// module's read_day does. It reports MB/s and the peak heap in use.
func BenchmarkDay(b *testing.B) {
	root := b.TempDir()
	size := int64(bigMB()) << 20
	lines := writeBenchDay(b, root, "big", "2026-11-27", int(size))
	path := filepath.Join(root, "big", "tool_audit", "2026-11-27.jsonl")
	r := newReader(root)
	report := func(b *testing.B, peak uint64) {
		b.SetBytes(size)
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
	b.Run("ours", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				n := 0
				for _, err := range r.Day(ctx, "big", "2026-11-27") {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != lines {
					b.Fatalf("%d entries, want %d", n, lines)
				}
			}))
		}
		report(b, peak)
	})
	b.Run("baseline", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				if es := naiveRecent(b, path, lines); len(es) != lines {
					b.Fatalf("%d entries, want %d", len(es), lines)
				}
			}))
		}
		report(b, peak)
	})
}
