package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/s3ship"
	"github.com/toolaudit/toolaudit/ship"
)

// The test binary doubles as a writer process: an agent host that audits
// calls through the exporter, as a real one does.
func TestMain(m *testing.M) {
	if os.Getenv("TOOLAUDIT_E2E_ROLE") == "writer" {
		if err := writer(); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writer audits $W_CALLS calls spread over $W_USERS users under $W_ROOT,
// each call's args holding a unique id ($W_ID-n), pausing $W_PAUSE every
// 100 calls.
func writer() error {
	root, id := os.Getenv("W_ROOT"), os.Getenv("W_ID")
	n, _ := strconv.Atoi(os.Getenv("W_CALLS"))
	users, _ := strconv.Atoi(os.Getenv("W_USERS"))
	pause, _ := time.ParseDuration(os.Getenv("W_PAUSE"))
	audit, err := exporter.New(root, exporter.WithLocation(time.UTC))
	if err != nil {
		return err
	}
	tp, err := otelx.NewTracerProvider(audit)
	if err != nil {
		return err
	}
	call := toolaudit.New(toolaudit.WithTracerProvider(tp)).Wrap("e2e", func(context.Context, map[string]any) (string, error) {
		return "ok", nil
	})
	ctx := context.Background()
	for i := range n {
		uctx := toolaudit.ContextWithUser(ctx, fmt.Sprintf("user%03d", (i*7)%users))
		if _, err := call(uctx, map[string]any{"id": fmt.Sprintf("%s-%d", id, i)}); err != nil {
			return err
		}
		if pause > 0 && i%100 == 99 {
			time.Sleep(pause)
		}
	}
	if err := tp.Shutdown(ctx); err != nil {
		return err
	}
	if h := audit.Health(); h.LinesFailed > 0 || h.LastError != nil {
		return fmt.Errorf("exporter: %+v", h)
	}
	return nil
}

// startWriter starts a writer process.
func startWriter(t *testing.T, root, id string, calls, users int, pause time.Duration) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TOOLAUDIT_E2E_ROLE=writer", "W_ROOT="+root, "W_ID="+id,
		"W_CALLS="+strconv.Itoa(calls), "W_USERS="+strconv.Itoa(users), "W_PAUSE="+pause.String())
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	return cmd
}

var (
	cmdOnce sync.Once
	cmdPath string
	cmdErr  error
)

// toolauditBinary builds the command once per test binary.
func toolauditBinary(t *testing.T) string {
	t.Helper()
	cmdOnce.Do(func() {
		dir, err := os.MkdirTemp("", "toolaudit-cmd-")
		if err != nil {
			cmdErr = err
			return
		}
		cmdPath = filepath.Join(dir, "toolaudit")
		cmd := exec.Command("go", "build", "-o", cmdPath, ".")
		cmd.Dir = filepath.Join("..", "cmd", "toolaudit")
		if out, err := cmd.CombinedOutput(); err != nil {
			cmdErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, cmdErr)
	return cmdPath
}

// shipCmd returns the sidecar, toolaudit ship, for root.
func shipCmd(t *testing.T, w *weed, root, to, host string, args ...string) *exec.Cmd {
	cmd := exec.Command(toolauditBinary(t), append([]string{"ship", "--root", root, "--to", to, "--host", host}, args...)...)
	cmd.Env = append(os.Environ(), w.s3Env()...)
	return cmd
}

// TestShipThreeHosts: three writer processes, each a host with its own
// root and sidecar, audit calls of the same users; every line reaches the
// bucket once, and each host's pieces are its local file.
func TestShipThreeHosts(t *testing.T) {
	w := startWeed(t)
	w.bucket(t, "audit", false)
	const calls, users = 100_000, 50
	roots := map[string]string{}
	var shippers, writers []*exec.Cmd
	for i := range 3 {
		host := fmt.Sprintf("host%d", i)
		roots[host] = t.TempDir()
		s := shipCmd(t, w, roots[host], "s3://audit/e2e", host, "--interval", "500ms")
		stderr := &syncBuf{} // read by the deferred log while s may still write
		s.Stderr = stderr
		require.NoError(t, s.Start())
		t.Cleanup(func() { s.Process.Kill() })
		shippers = append(shippers, s)
		defer func() { t.Logf("%s: %s", host, strings.TrimSpace(stderr.String())) }()
	}
	start := time.Now()
	for i := range 3 {
		host := fmt.Sprintf("host%d", i)
		writers = append(writers, startWriter(t, roots[host], host, calls/3+boolInt(i == 0)*(calls%3), users, 0))
	}
	for _, c := range writers {
		require.NoError(t, c.Wait())
	}
	written := time.Since(start)
	for _, s := range shippers {
		require.NoError(t, s.Process.Signal(syscall.SIGTERM))
	}
	for _, s := range shippers {
		require.NoError(t, s.Wait(), "ship exits 0 after shipping what is left")
	}
	shipped := time.Since(start)
	objs := w.objects(t, "audit", "e2e/")
	lines := checkBucketEqualsLocal(t, objs, "e2e/", roots)
	assert.Equal(t, calls, lines)
	t.Logf("%d calls by 3 writer processes in %v; all shipped by %v, in %d objects", calls, written.Round(time.Millisecond), shipped.Round(time.Millisecond), len(objs))
	checkReadsEqualUnion(t, w, "s3://audit/e2e", []string{roots["host0"], roots["host1"], roots["host2"]}, false)
	checkCommandsEqualUnion(t, w, "s3://audit/e2e", []string{roots["host0"], roots["host1"], roots["host2"]})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestShipperKilledMidUpload SIGKILLs the sidecar twenty times while a
// writer runs; after the last restart the bucket holds each line once.
func TestShipperKilledMidUpload(t *testing.T) {
	w := startWeed(t)
	w.bucket(t, "audit", false)
	root := t.TempDir()
	const calls = 20_000
	wr := startWriter(t, root, "k", calls, 10, 100*time.Millisecond)
	require.Eventually(t, func() bool { return len(localFiles(t, root)) > 0 }, 30*time.Second, 10*time.Millisecond)
	var caught, grew int // kills between an object and its progress; rounds that stored pieces
	prev := 0
	for range 20 {
		s := shipCmd(t, w, root, "s3://audit/kill", "h", "--interval", "20ms")
		require.NoError(t, s.Start())
		time.Sleep(time.Duration(250+rand.IntN(500)) * time.Millisecond)
		require.NoError(t, s.Process.Kill())
		s.Wait()
		if progressBehindBucket(t, w, root, "kill/", "h") {
			caught++
		}
		if n := len(w.objects(t, "audit", "kill/")); n > prev {
			grew, prev = grew+1, n
		}
	}
	assert.GreaterOrEqual(t, grew, 5, "sidecars were killed while shipping")
	require.NoError(t, wr.Wait())
	final := shipCmd(t, w, root, "s3://audit/kill", "h", "--once")
	out, err := final.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "0 lines (0 bytes) not shipped")
	objs := w.objects(t, "audit", "kill/")
	lines := checkBucketEqualsLocal(t, objs, "kill/", map[string]string{"h": root})
	assert.Equal(t, calls, lines)
	t.Logf("20 SIGKILLs, %d after the sidecar had stored pieces, %d of them between an object and its progress; %d lines in %d objects, each once", grew, caught, lines, len(objs))
}

// progressBehindBucket reports whether a piece is stored at or past the
// offset a progress file records: the shipper died between the two.
func progressBehindBucket(t *testing.T, w *weed, root, prefix, host string) bool {
	t.Helper()
	c := w.client()
	for ud := range localFiles(t, root) {
		user, day, _ := strings.Cut(ud, "/")
		var p struct{ Offset int64 }
		if b, err := os.ReadFile(filepath.Join(root, ship.StateDir, "progress", user, day+".json")); err == nil {
			require.NoError(t, json.Unmarshal(b, &p))
		}
		out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("audit"),
			Prefix: aws.String(prefix + user + "/tool_audit/" + day + "/" + host + "/"), StartAfter: aws.String(prefix + ship.Key(user, day, host, p.Offset-1))})
		require.NoError(t, err)
		if len(out.Contents) > 0 {
			return true
		}
	}
	return false
}

// TestServerDownAndBack stops SeaweedFS for 20 s while calls go on: Health
// shows the lag meanwhile, and everything is shipped once it is back.
func TestServerDownAndBack(t *testing.T) {
	w := startWeed(t)
	w.bucket(t, "audit", false)
	w.setEnv(t)
	root := t.TempDir()
	ctx := context.Background()
	store, err := s3ship.New(ctx, "s3://audit/down")
	require.NoError(t, err)
	s, err := ship.Start(ctx, root, store, ship.WithInterval(200*time.Millisecond), ship.WithHost("h"))
	require.NoError(t, err)
	defer s.Close(ctx)

	require.NoError(t, startWriter(t, root, "a", 500, 5, 0).Wait())
	require.Eventually(t, func() bool { return s.Health().ShippedLines == 500 }, 30*time.Second, 50*time.Millisecond)

	w.stop()
	down := time.Now()
	require.NoError(t, startWriter(t, root, "b", 500, 5, 0).Wait())
	require.Eventually(t, func() bool { h := s.Health(); return h.PendingLines == 500 && h.LastError != nil },
		30*time.Second, 50*time.Millisecond, "Health shows the lines waiting and the error")
	time.Sleep(time.Until(down.Add(20 * time.Second)))
	h := s.Health()
	assert.Equal(t, int64(500), h.PendingLines)
	assert.Greater(t, h.PendingBytes, int64(500*100))
	assert.Greater(t, time.Since(h.OldestPending), 15*time.Second, "the oldest waiting line's age shows the lag")
	assert.ErrorContains(t, h.LastError, "connect")
	t.Logf("down for %v: %d lines, %d bytes waiting, the oldest %v old; last error: %v",
		time.Since(down).Round(time.Second), h.PendingLines, h.PendingBytes, time.Since(h.OldestPending).Round(time.Second), h.LastError)

	w.start()
	back := time.Now()
	require.Eventually(t, func() bool { h := s.Health(); return h.PendingLines == 0 && h.LastError == nil }, 60*time.Second, 50*time.Millisecond)
	t.Logf("caught up %v after the server was back", time.Since(back).Round(time.Millisecond))
	lines := checkBucketEqualsLocal(t, w.objects(t, "audit", "down/"), "down/", map[string]string{"h": root})
	assert.Equal(t, 1000, lines)
}

// TestObjectLockRefusesOverwriteAndDelete ships with a retention on a bucket
// with Object Lock, then tries to replace and delete a shipped object.
func TestObjectLockRefusesOverwriteAndDelete(t *testing.T) {
	w := startWeed(t)
	w.bucket(t, "locked", true)
	root := t.TempDir()
	require.NoError(t, startWriter(t, root, "l", 20, 2, 0).Wait())
	out, err := shipCmd(t, w, root, "s3://locked/audit", "h", "--once", "--retention", "1h").CombinedOutput()
	require.NoError(t, err, "%s", out)

	ctx := context.Background()
	c := w.client()
	objs := w.objects(t, "locked", "audit/")
	require.Len(t, objs, 2)
	var key string
	for k := range objs {
		key = k
	}
	original := objs[key]
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("locked"), Key: &key})
	require.NoError(t, err)
	assert.Equal(t, types.ObjectLockModeCompliance, head.ObjectLockMode)
	require.NotNil(t, head.ObjectLockRetainUntilDate)
	assert.WithinDuration(t, time.Now().Add(time.Hour), *head.ObjectLockRetainUntilDate, 2*time.Minute)
	version := head.VersionId
	require.NotNil(t, version)

	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("locked"), Key: &key, Body: strings.NewReader("forged\n"), IfNoneMatch: aws.String("*")})
	assert.ErrorContains(t, err, "PreconditionFailed", "a write-once put is refused")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("locked"), Key: &key, VersionId: version})
	assert.ErrorContains(t, err, "AccessDenied", "deleting the shipped version is refused")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("locked"), Key: &key, VersionId: version, BypassGovernanceRetention: aws.Bool(true)})
	assert.ErrorContains(t, err, "AccessDenied", "COMPLIANCE is not bypassed")
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String("locked"), Key: &key, VersionId: version,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(time.Now().Add(time.Second))}})
	assert.Error(t, err, "shortening the retention is refused")

	// A plain put or delete (no version) adds a version or a delete marker,
	// as on AWS: the shipped version stays, unchanged.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("locked"), Key: &key, Body: strings.NewReader("forged\n")})
	require.NoError(t, err)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("locked"), Key: &key})
	require.NoError(t, err)
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("locked"), Key: &key, VersionId: version})
	require.NoError(t, err)
	defer got.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(got.Body)
	require.NoError(t, err)
	assert.Equal(t, string(original), b.String(), "the shipped version is intact")

	// Read back: the current versions miss the deleted key's lines; the
	// first versions are what was shipped.
	w.setEnv(t)
	o, ok := ship.ParseKey(strings.TrimPrefix(key, "audit/"))
	require.True(t, ok, key)
	want, err := reader.Collect(reader.New(root, reader.WithLocation(time.UTC)).Day(ctx, o.User, o.Day))
	require.NoError(t, err)
	require.NotEmpty(t, want)
	for _, first := range []bool{false, true} {
		br, err := s3ship.NewReader(ctx, "s3://locked/audit", s3ship.ReaderConfig{Location: time.UTC, FirstVersions: first})
		require.NoError(t, err)
		got, err := reader.Collect(br.Day(ctx, o.User, o.Day))
		require.NoError(t, err)
		if first {
			assert.True(t, slices.EqualFunc(want, got, entryEqual), "FirstVersions reads what was shipped (%d and %d entries)", len(want), len(got))
		} else {
			assert.Empty(t, got, "the current version is a delete marker")
		}
	}
}

// TestCompactionOnServer: a finished day's pieces become one object per
// host; with Object Lock the compacted object carries the retention and the
// pieces stay, locked, until theirs ends.
func TestCompactionOnServer(t *testing.T) {
	w := startWeed(t)
	w.bucket(t, "audit", false)
	w.bucket(t, "locked", true)
	w.setEnv(t)
	ctx := context.Background()
	day := time.Now().UTC().AddDate(0, 0, -3).Format("2006-01-02")
	for _, tc := range []struct {
		bucket    string
		retention time.Duration
	}{{"audit", 0}, {"locked", time.Hour}} {
		root := t.TempDir()
		store, err := s3ship.New(ctx, "s3://"+tc.bucket+"/c")
		require.NoError(t, err)
		s, err := ship.Start(ctx, root, store, ship.WithInterval(time.Hour), ship.WithHost("h"), ship.WithCompactAfter(-1), ship.WithRetention(tc.retention))
		require.NoError(t, err)
		path := filepath.Join(root, "alice", "tool_audit", day+".jsonl")
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
		for piece := range 3 {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			require.NoError(t, err)
			for i := range 100 {
				fmt.Fprintf(f, `{"ts":"%sT10:00:00Z","user":"alice","tool":"t","piece":%d,"n":%d}`+"\n", day, piece, i)
			}
			f.Close()
			require.NoError(t, s.Sync(ctx))
		}
		require.NoError(t, s.Close(ctx))
		pieces := len(w.objects(t, tc.bucket, "c/"))
		require.GreaterOrEqual(t, pieces, 3, "a piece a Sync (and the loop's first look, at Start)")

		old := time.Now().Add(-2 * time.Hour)
		require.NoError(t, os.Chtimes(path, old, old))
		s, err = ship.Start(ctx, root, store, ship.WithInterval(time.Hour), ship.WithHost("h"), ship.WithRetention(tc.retention))
		require.NoError(t, err)
		require.NoError(t, s.Sync(ctx))
		assert.Equal(t, int64(1), s.Health().Compactions)
		require.NoError(t, s.Close(ctx))

		objs := w.objects(t, tc.bucket, "c/")
		compacted := "c/" + ship.CompactedKey("alice", day, "h")
		local, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(local), string(objs[compacted]), tc.bucket)
		assert.Equal(t, 300, checkBucketEqualsLocal(t, objs, "c/", map[string]string{"h": root}))
		checkReadsEqualUnion(t, w, "s3://"+tc.bucket+"/c", []string{root}, false)
		checkReadsEqualUnion(t, w, "s3://"+tc.bucket+"/c", []string{root}, true)
		if tc.retention == 0 {
			assert.Equal(t, 1, len(objs), "the pieces are deleted")
			continue
		}
		assert.Equal(t, pieces+1, len(objs), "the pieces stay while they are locked")
		head, err := w.client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(tc.bucket), Key: aws.String(compacted)})
		require.NoError(t, err)
		assert.Equal(t, types.ObjectLockModeCompliance, head.ObjectLockMode)
		require.NotNil(t, head.ObjectLockRetainUntilDate)
		assert.WithinDuration(t, time.Now().Add(tc.retention), *head.ObjectLockRetainUntilDate, 2*time.Minute)
	}
}
