package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/record"
	"github.com/toolaudit/toolaudit/s3ship"
	"github.com/toolaudit/toolaudit/ship"
)

// localFiles returns the day files under root by "user/day".
func localFiles(t testing.TB, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	paths, err := filepath.Glob(filepath.Join(root, "*", "tool_audit", "*.jsonl"))
	require.NoError(t, err)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(rel, string(filepath.Separator))
		out[parts[0]+"/"+strings.TrimSuffix(parts[2], ".jsonl")] = b
	}
	return out
}

// byHost reads the objects under prefix as a reader of the bucket does
// (see ship.Object), by "user/day/host": the compacted object, then the
// pieces past it, in key order.
func byHost(t *testing.T, objs map[string][]byte, prefix string) map[string][]byte {
	keys := make([]string, 0, len(objs))
	for k := range objs {
		keys = append(keys, k)
	}
	sort.Strings(keys) // "h.jsonl" sorts before "h/…"
	out := map[string][]byte{}
	compacted := map[string]int64{}
	for _, k := range keys {
		o, ok := ship.ParseKey(strings.TrimPrefix(k, prefix))
		require.True(t, ok, "not a shipper's key: %s", k)
		g := o.User + "/" + o.Day + "/" + o.Host
		switch {
		case o.Compacted:
			compacted[g] = int64(len(objs[k]))
			out[g] = append(out[g], objs[k]...)
		case o.Offset >= compacted[g]:
			out[g] = append(out[g], objs[k]...)
		}
	}
	return out
}

// checkBucketEqualsLocal checks that each host's pieces of each user-day,
// joined, are its local file byte for byte, and that no line is twice in
// the bucket. It returns the count of lines.
func checkBucketEqualsLocal(t *testing.T, objs map[string][]byte, prefix string, roots map[string]string) int {
	t.Helper()
	want := map[string][]byte{}
	for host, root := range roots {
		for ud, b := range localFiles(t, root) {
			want[ud+"/"+host] = b
		}
	}
	got := byHost(t, objs, prefix)
	require.Equal(t, len(want), len(got), "user-day-host files")
	for k, b := range want {
		if !assert.True(t, bytes.Equal(b, got[k]), "%s: local %d bytes, bucket %d", k, len(b), len(got[k])) {
			return 0
		}
	}
	seen := map[string]bool{}
	lines := 0
	for _, b := range got {
		for _, l := range strings.SplitAfter(string(b), "\n") {
			if l == "" {
				continue
			}
			require.False(t, seen[l], "twice in the bucket: %s", l)
			seen[l] = true
			lines++
		}
	}
	return lines
}

// checkReadsEqualUnion reads the bucket with s3ship.Reader and the hosts'
// roots (in host key order) with package reader: Users, each user's Day
// and Recent must agree, the hosts' days merged by ts.
func checkReadsEqualUnion(t *testing.T, w *weed, dest string, roots []string, firstVersions bool) {
	t.Helper()
	ctx := context.Background()
	w.setEnv(t)
	br, err := s3ship.NewReader(ctx, dest, s3ship.ReaderConfig{Location: time.UTC, FirstVersions: firstVersions})
	require.NoError(t, err)
	wantUsers := map[string]bool{}
	for _, root := range roots {
		us, err := reader.New(root).Users(ctx)
		require.NoError(t, err)
		for _, u := range us {
			wantUsers[u] = true
		}
	}
	users, err := br.Users(ctx)
	require.NoError(t, err)
	require.Len(t, users, len(wantUsers))
	for _, u := range users {
		require.True(t, wantUsers[u], u)
	}
	for _, u := range users {
		days, err := br.Days(ctx, u)
		require.NoError(t, err)
		var all []record.Entry // the union, newest day last
		for _, day := range days {
			var want []record.Entry
			for _, root := range roots {
				es, err := reader.Collect(reader.New(root, reader.WithLocation(time.UTC)).Day(ctx, u, day))
				require.NoError(t, err)
				want = append(want, es...)
			}
			sort.SliceStable(want, func(i, j int) bool { return want[i].Time.Before(want[j].Time) })
			got, err := reader.Collect(br.Day(ctx, u, day))
			require.NoError(t, err)
			require.Equal(t, len(want), len(got), "%s %s", u, day)
			require.True(t, slices.EqualFunc(want, got, entryEqual), "%s %s: Day over the bucket differs from the hosts' union", u, day)
			all = append(all, want...)
		}
		slices.Reverse(all)
		got, err := reader.Collect(br.Recent(ctx, u, reader.Query{Days: 7, Limit: -1}))
		require.NoError(t, err)
		require.True(t, slices.EqualFunc(all, got, entryEqual), "%s: Recent over the bucket differs (%d and %d entries)", u, len(all), len(got))
		got, err = reader.Collect(br.Recent(ctx, u, reader.Query{Limit: 10}))
		require.NoError(t, err)
		require.True(t, slices.EqualFunc(all[:min(10, len(all))], got, entryEqual), "%s: Recent, limit 10", u)
	}
}

func entryEqual(a, b record.Entry) bool {
	x, y := a.AppendJSON(nil), b.AppendJSON(nil)
	return bytes.Equal(x, y)
}

// unionRoot writes, in a new root, each user-day's lines of every host
// root merged by ts (ties: roots in order, each in file order): the local
// union the bucket is compared with.
func unionRoot(t *testing.T, roots []string) string {
	t.Helper()
	union := t.TempDir()
	files := map[string][][]byte{}
	for _, root := range roots {
		for ud, b := range localFiles(t, root) {
			for _, l := range bytes.SplitAfter(b, []byte("\n")) {
				if len(l) > 0 {
					files[ud] = append(files[ud], l)
				}
			}
		}
	}
	for ud, lines := range files {
		ts := func(l []byte) time.Time {
			e, err := record.Parse(bytes.TrimSuffix(l, []byte("\n")), time.UTC)
			require.NoError(t, err)
			return e.Time
		}
		sort.SliceStable(lines, func(i, j int) bool { return ts(lines[i]).Before(ts(lines[j])) })
		user, day, _ := strings.Cut(ud, "/")
		dir := filepath.Join(union, user, "tool_audit")
		require.NoError(t, os.MkdirAll(dir, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, day+".jsonl"), bytes.Join(lines, nil), 0o600))
	}
	return union
}

// checkCommandsEqualUnion runs users, day, recent (of a user and of all)
// and stats over the bucket and over the local union: same output.
func checkCommandsEqualUnion(t *testing.T, w *weed, dest string, roots []string) {
	t.Helper()
	union := unionRoot(t, roots)
	users, err := reader.New(union).Users(context.Background())
	require.NoError(t, err)
	day := time.Now().UTC().Format("2006-01-02")
	run := func(root string, args ...string) string {
		cmd := exec.Command(toolauditBinary(t), append([]string{"--root", root, "-o", "json"}, args...)...)
		cmd.Env = append(os.Environ(), w.s3Env()...)
		cmd.Env = append(cmd.Env, "TZ=UTC")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "toolaudit %v: %s", args, stderr.String())
		return string(out)
	}
	for _, args := range [][]string{
		{"users"},
		{"day", users[0], day},
		{"day", users[len(users)-1], day},
		{"recent", users[1], "--days", "7", "--limit", "0"},
		{"recent", "--days", "7", "--limit", "300"},
		{"stats", "--since", time.Now().UTC().AddDate(0, 0, -6).Format("2006-01-02"), "--until", day}, // a fixed period: "until" is not now
	} {
		want := run(union, args...)
		got := run(dest, args...)
		require.NotEmpty(t, want, "%v", args)
		require.Equal(t, want, got, "toolaudit %v over the bucket and over the local union", args)
	}
}
