package reader

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzLineScanners checks that reading a file backwards and forwards gives
// the same lines, for any content and line limit.
func FuzzLineScanners(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), 2)
	f.Add([]byte("\n\n"), 1)
	f.Add(bytes.Repeat([]byte("x"), 70000), 100000)
	path := filepath.Join(f.TempDir(), "f") // one file per process, rewritten
	f.Fuzz(func(t *testing.T, content []byte, max int) {
		max = 1 + (max&0xffff)%200000
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		var fwd, back []string
		fl := newForward(file, max)
		for {
			l, ok, err := fl.next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			fwd = append(fwd, string(l))
		}
		bl := newBackward(file, int64(len(content)), max)
		for {
			l, ok, err := bl.next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			back = append(back, string(l))
		}
		slices.Reverse(back)
		// The backward reader yields an empty last line after a final
		// newline, and both skip lines over max in the same way.
		var want []string
		for _, l := range bytes.Split(content, []byte("\n")) {
			if len(l) <= max {
				want = append(want, string(l))
			}
		}
		trim := func(ls []string) []string {
			var out []string
			for _, l := range ls {
				if l != "" {
					out = append(out, l)
				}
			}
			return out
		}
		if !slices.Equal(trim(fwd), trim(want)) {
			t.Fatalf("forward %q, want %q", fwd, want)
		}
		if !slices.Equal(trim(back), trim(want)) {
			t.Fatalf("backward %q, want %q", back, want)
		}
	})
}
