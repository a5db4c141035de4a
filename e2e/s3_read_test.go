package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/s3ship"
	"github.com/toolaudit/toolaudit/ship"
)

// countingClient counts the requests of an S3 client.
type countingClient struct{ n atomic.Int64 }

func (c *countingClient) Do(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultClient.Do(req)
}

// shipDays writes lines lines for alice on each of the last days days under
// a new root per host, ships them to dest, and returns the roots.
func shipDays(t testing.TB, w *weed, dest string, hosts, days, lines int) []string {
	ctx := context.Background()
	store, err := s3ship.New(ctx, dest)
	require.NoError(t, err)
	var roots []string
	for h := range hosts {
		root := t.TempDir()
		for d := range days {
			day := time.Now().UTC().AddDate(0, 0, -d).Format("2006-01-02")
			dir := filepath.Join(root, "alice", "tool_audit")
			require.NoError(t, os.MkdirAll(dir, 0o700))
			var b strings.Builder
			for i := range lines {
				fmt.Fprintf(&b, `{"ts":"%sT%02d:%02d:%02dZ","user":"alice","tool":"search","args":{"q":"host %d line %d"},"status":"ok","result":"%s"}`+"\n",
					day, 10+i/3600%10, i/60%60, i%60, h, i, strings.Repeat("r", 100))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, day+".jsonl"), []byte(b.String()), 0o600))
		}
		s, err := ship.Start(ctx, root, store, ship.WithInterval(time.Hour), ship.WithHost(fmt.Sprintf("h%d", h)), ship.WithCompactAfter(-1))
		require.NoError(t, err)
		require.NoError(t, s.Sync(ctx))
		require.NoError(t, s.Close(ctx))
		roots = append(roots, root)
	}
	return roots
}

// TestRecentRequestsDoNotGrowWithSize: Recent of one user over the bucket
// costs the same requests for 100-line and 20,000-line objects (ranged
// reads from the end), and returns what the folders' union returns.
func TestRecentRequestsDoNotGrowWithSize(t *testing.T) {
	w := startWeed(t)
	w.bucket(t, "audit", false)
	w.setEnv(t)
	ctx := context.Background()
	counts := map[int]int64{}
	for _, lines := range []int{100, 20_000} {
		dest := fmt.Sprintf("s3://audit/r%d", lines)
		roots := shipDays(t, w, dest, 2, 3, lines)
		var cc countingClient
		br, err := s3ship.NewReader(ctx, dest, s3ship.ReaderConfig{Location: time.UTC, HTTPClient: &cc})
		require.NoError(t, err)
		got, err := reader.Collect(br.Recent(ctx, "alice", reader.Query{Days: 3, Limit: 10}))
		require.NoError(t, err)
		counts[lines] = cc.n.Load()
		require.Len(t, got, 10)
		// The union's newest 10: each host's last lines, same ts, the higher host first.
		for i, e := range got {
			assert.Contains(t, string(e.Args), fmt.Sprintf("host %d line %d", 1-i%2, lines-1-i/2), "entry %d", i)
		}
		checkReadsEqualUnion(t, w, dest, roots, false)
	}
	t.Logf("requests for Recent(limit 10) over 3 days x 2 hosts: %d with 100-line objects, %d with 20,000-line objects (%d and %d bytes each)",
		counts[100], counts[20_000], 100*170, 20_000*171)
	assert.Equal(t, counts[100], counts[20_000], "requests do not grow with the objects' size")
	assert.LessOrEqual(t, counts[20_000], int64(8), "one listing of the days, one of the day, one per host, one ranged GET per host")
}

// TestFollowOverBucket follows the bucket, in process and with toolaudit
// follow, while a writer's lines are shipped: only the lines stored after
// it started, each once, in order.
func TestFollowOverBucket(t *testing.T) {
	w := startWeed(t)
	w.bucket(t, "audit", false)
	w.setEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := t.TempDir()
	store, err := s3ship.New(ctx, "s3://audit/f")
	require.NoError(t, err)
	s, err := ship.Start(ctx, root, store, ship.WithInterval(200*time.Millisecond), ship.WithHost("h"))
	require.NoError(t, err)
	defer s.Close(context.Background())
	require.NoError(t, startWriter(t, root, "before", 20, 1, 0).Wait())
	require.Eventually(t, func() bool { return s.Health().ShippedLines == 20 }, 30*time.Second, 50*time.Millisecond)

	br, err := s3ship.NewReader(ctx, "s3://audit/f", s3ship.ReaderConfig{})
	require.NoError(t, err)
	var mu sync.Mutex
	var got []string
	go func() {
		for e, err := range br.Follow(ctx, time.Second, "user000") {
			if err == nil {
				mu.Lock()
				got = append(got, string(e.Args))
				mu.Unlock()
			}
		}
	}()
	cmd := exec.Command(toolauditBinary(t), "--root", "s3://audit/f", "follow", "user000", "--poll", "1s", "-o", "json")
	cmd.Env = append(os.Environ(), w.s3Env()...)
	var out syncBuf
	cmd.Stdout = &out
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	// Probe calls until the command prints one: it is then following.
	probes := 0
	require.Eventually(t, func() bool {
		require.NoError(t, startWriter(t, root, fmt.Sprintf("probe%d", probes), 1, 1, 0).Wait())
		probes++
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(out.String(), "probe") {
				return true
			}
			time.Sleep(100 * time.Millisecond)
		}
		return false
	}, 60*time.Second, time.Millisecond, "toolaudit follow prints a probe call")
	time.Sleep(2 * time.Second) // the other probes, if any, are printed

	require.NoError(t, startWriter(t, root, "after", 30, 1, 20*time.Millisecond).Wait())
	var want []string
	for i := range 30 {
		want = append(want, fmt.Sprintf(`{"id":"after-%d"}`, i))
	}
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 30 }, 30*time.Second, 100*time.Millisecond)
	time.Sleep(2 * time.Second) // nothing more comes
	mu.Lock()
	var after []string
	for _, g := range got {
		if strings.Contains(g, "after-") {
			after = append(after, g)
		}
	}
	assert.Equal(t, want, after, "in process: the lines shipped after Follow started, once, in order")
	assert.Len(t, got, probes+30, "and the probes")
	mu.Unlock()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "after-") >= 30 }, 30*time.Second, 100*time.Millisecond)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.Contains(l, "after-") {
			lines = append(lines, l)
		}
	}
	require.Len(t, lines, 30, "toolaudit follow over the bucket")
	for i, l := range lines {
		assert.Contains(t, l, fmt.Sprintf(`after-%d"`, i))
	}
	assert.NotContains(t, out.String(), "before-", "lines stored before it started are not followed")
}

// syncBuf is a bytes.Buffer safe for a writer process and a reader.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
