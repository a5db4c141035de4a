package main

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"
)

// FuzzServeRequest sends hostile paths and queries to every page: none may
// panic or fail with 500, and the hostile text never comes back unescaped.
func FuzzServeRequest(f *testing.F) {
	for _, s := range [][2]string{
		{"/u/alice", "status=ok&tool=s*&text=<script>&page=2"},
		{"/u/alice/" + today, "since=24h&until=" + today},
		{"/u/alice/call", "ts=2026-11-27T09:30:00%2B01:00&tool=x&id=%E2%80%AE"},
		{"/u/..%2f..", ""},
		{"/u/alice/9999-99-99", "page=99999999999999999999"},
		{"/stats", "user=<b>&days=0"},
		{"/live", "user=%00"},
		{"/u/\u202e", "tool=[&since=-1h"},
		{"/u/alice/call", "ts=0001-01-01T00:00:00Z"},
		{"/u/alice/call", "ts=9999-12-31T23:59:59Z"},
		{"/nope<b>\"x", "a=<i>\"&b=\u202e"},
		{"/events", "user=alice"},
		{"/events", "user=<x>"},
	} {
		f.Add(s[0], s[1])
	}
	e := entry("alice", "search", record.StatusOK, time.Hour, 10)
	e.Args = json.RawMessage(hostileArgs)
	root := f.TempDir()
	dir := filepath.Join(root, "alice", "tool_audit")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, e.Time.Format("2006-01-02")+".jsonl"), append(e.AppendJSON(nil), '\n'), 0o600); err != nil {
		f.Fatal(err)
	}
	a := &app{env: env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, now: func() time.Time { return now }}, root: root}
	srv, err := a.newServer(serveOptions{addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u := &url.URL{Path: path, RawQuery: query}
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		req.URL = u
		if strings.Contains(path, "events") {
			// A stream: it ends when its short context does.
			ctx, cancel := context.WithTimeout(req.Context(), 30*time.Millisecond)
			defer cancel()
			req = req.WithContext(ctx)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s?%s: 500: %s", path, query, w.Body)
		}
		body := w.Body.String()
		if strings.Contains(body, "<script>window") || strings.Contains(body, "\u202e") {
			t.Fatalf("%s?%s: hostile text unescaped", path, query)
		}
		// What the request sent comes back escaped: no text of it holding
		// a raw < or " (one the templates do not hold themselves).
		sent := []string{path}
		q, _ := url.ParseQuery(query)
		for k, vs := range q {
			sent = append(sent, append(vs, k)...)
		}
		for _, s := range sent {
			if strings.ContainsAny(s, "<\"") && !strings.Contains(templateText, s) && strings.Contains(body, s) {
				t.Fatalf("%s?%s: %q comes back unescaped", path, query, s)
			}
		}
	})
}

// templateText is every template and static file, for telling the markup
// of a page from text a request sent.
var templateText = func() string {
	var b strings.Builder
	fs.WalkDir(webFiles, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := webFiles.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}()
