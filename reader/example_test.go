package reader_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/toolaudit/toolaudit/reader"
)

func ExampleReader_Recent() {
	root, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(root)
	dir := filepath.Join(root, "alice", "tool_audit")
	_ = os.MkdirAll(dir, 0o700)
	_ = os.WriteFile(filepath.Join(dir, "2026-11-27.jsonl"), []byte(
		`{"ts":"2026-11-27T09:00:00+01:00","user":"alice","engine":"anthropic","model":"claude","tool":"search","args":{"q":"x"},"status":"ok","result_chars":2,"result_snippet":"hi"}
not json
{"ts":"2026-11-27T09:05:00+01:00","user":"alice","engine":"anthropic","model":"claude","tool":"shell","args":{"cmd":"ls"},"status":"denied","result_chars":0,"result_snippet":""}
`), 0o600)

	today := func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	r := reader.New(root, reader.WithClock(today), reader.WithLocation(time.FixedZone("CET", 3600)))
	entries, _ := reader.Collect(r.Recent(context.Background(), "alice", reader.Query{Days: 1}))
	for _, e := range entries {
		fmt.Println(e.Time.Format(time.Kitchen), e.Tool, e.Status, string(e.Args))
	}
	// Output:
	// 9:05AM shell denied {"cmd":"ls"}
	// 9:00AM search ok {"q":"x"}
}
