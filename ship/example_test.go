package ship_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/toolaudit/toolaudit/ship"
)

// A root with two lines of alice's, shipped once to a store (here the
// in-memory one of this package's tests; s3ship.New gives the S3 one).
func Example() {
	root, _ := os.MkdirTemp("", "ship-example")
	defer os.RemoveAll(root)
	dir := filepath.Join(root, "alice", "tool_audit")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "2026-11-29.jsonl"), []byte(
		`{"ts":"2026-11-29T10:00:00Z","user":"alice","tool":"search"}`+"\n"+
			`{"ts":"2026-11-29T10:00:01Z","user":"alice","tool":"fetch"}`+"\n"), 0o600)

	ctx := context.Background()
	store := newMemStore()
	s, err := ship.Start(ctx, root, store, ship.WithHost("host-a"), ship.WithInterval(time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	s.Sync(ctx)
	for _, k := range keys(store) {
		fmt.Println(k)
	}
	h := s.Health()
	fmt.Println("shipped:", h.ShippedLines, "lines; pending:", h.PendingLines)
	s.Close(ctx)
	// Output:
	// alice/tool_audit/2026-11-29/host-a/0000000000000000.jsonl
	// shipped: 2 lines; pending: 0
}
