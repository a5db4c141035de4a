package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/record"
)

// benchMB is the size of the big day file: 300 MB, or 30 MB when
// TOOLAUDIT_BENCH_SMALL is set (CI runs each benchmark once).
func benchMB() int {
	if os.Getenv("TOOLAUDIT_BENCH_SMALL") != "" {
		return 30
	}
	return 300
}

// writeDay writes user's file of today, of about size bytes, its lines
// spread over the hours before the tests' clock.
func writeDay(b *testing.B, root, user string, size int) string {
	dir := filepath.Join(root, user, "tool_audit")
	require.NoError(b, os.MkdirAll(dir, 0o700))
	e := entry(user, "search", record.StatusOK, 0, 12)
	e.Args = json.RawMessage(`{"query":"what is the weather in Paris tomorrow, and should I take an umbrella?","max_results":10}`)
	e.ResultSnippet = strings.Repeat("sunny with a chance of rain ", 4)
	lineLen := len(e.AppendJSON(nil)) + 1
	n := size / lineLen
	var buf bytes.Buffer
	buf.Grow(size + lineLen)
	start := now.Add(-14 * time.Hour)
	for i := range n {
		e.Time = start.Add(time.Duration(int64(14*time.Hour) * int64(i) / int64(n))).Truncate(time.Second)
		if i%7 == 0 {
			e.Status = record.StatusError
		} else {
			e.Status = record.StatusOK
		}
		buf.Write(e.AppendJSON(nil))
		buf.WriteByte('\n')
	}
	path := filepath.Join(dir, today+".jsonl")
	require.NoError(b, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

func benchServer(b *testing.B, root string) *httptest.Server {
	a := &app{env: env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, now: func() time.Time { return now }}, root: root}
	h, err := a.newServer(serveOptions{addr: "127.0.0.1:0"})
	require.NoError(b, err)
	ts := httptest.NewServer(h)
	b.Cleanup(ts.Close)
	return ts
}

func fetch(b *testing.B, url string, want string) {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !bytes.Contains(body, []byte(want)) {
		b.Fatalf("GET %s: %d %v, no %q in %.300s", url, resp.StatusCode, err, want, body)
	}
}

// BenchmarkServeUserPage answers the user page (the newest 50 calls, and
// with a filter, page 2 of the errors) of a user with a day file of 300 MB:
// the target is under 100 ms. It reads back from the end of the file; the
// baseline only reads the whole file and counts its lines, the least that
// any page reading it whole would cost.
func BenchmarkServeUserPage(b *testing.B) {
	root := b.TempDir()
	mb := benchMB()
	path := writeDay(b, root, "big", mb<<20)
	ts := benchServer(b, root)
	b.Run(fmt.Sprintf("%dMB/first", mb), func(b *testing.B) {
		for b.Loop() {
			fetch(b, ts.URL+"/u/big", `id="next"`)
		}
	})
	b.Run(fmt.Sprintf("%dMB/errors-page2", mb), func(b *testing.B) {
		for b.Loop() {
			fetch(b, ts.URL+"/u/big?status=error&page=2", `id="next"`)
		}
	})
	b.Run(fmt.Sprintf("%dMB/baseline", mb), func(b *testing.B) {
		for b.Loop() {
			data, err := os.ReadFile(path)
			if err != nil || bytes.Count(data, []byte("\n")) == 0 {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkServeUsersPage answers the users page for 1,000 users with 7 day
// files of 40 lines each: the target is under 300 ms. Per user it lists the
// days and reads back from the end of the newest file; the baseline reads
// every file whole.
func BenchmarkServeUsersPage(b *testing.B) {
	root := b.TempDir()
	const users, days, perDay = 1000, 7, 40
	var files []string
	for u := range users {
		user := fmt.Sprintf("user%04d", u)
		dir := filepath.Join(root, user, "tool_audit")
		require.NoError(b, os.MkdirAll(dir, 0o700))
		for d := range days {
			var buf []byte
			for i := range perDay {
				e := entry(user, "search", record.StatusOK, time.Duration(d*24+perDay-i)*time.Hour/4+time.Duration(u)*time.Second, 3)
				e.Time = e.Time.AddDate(0, 0, -d)
				buf = append(append(buf, e.AppendJSON(nil)...), '\n')
			}
			name := filepath.Join(dir, now.AddDate(0, 0, -d).Format("2006-01-02")+".jsonl")
			require.NoError(b, os.WriteFile(name, buf, 0o600))
			files = append(files, name)
		}
	}
	ts := benchServer(b, root)
	b.Run("1000users/ours", func(b *testing.B) {
		for b.Loop() {
			fetch(b, ts.URL+"/", "user0999")
		}
	})
	b.Run("1000users/baseline", func(b *testing.B) {
		for b.Loop() {
			for _, f := range files {
				if _, err := os.ReadFile(f); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
