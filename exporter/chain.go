package exporter

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/internal/chain"
	"github.com/toolaudit/toolaudit/internal/layout"
)

// WithChain sets whether each line carries its link in the user's hash
// chain (default true): the "chain" field, last, that toolaudit verify
// checks (docs/format.md). Every writer of a root must chain, or verify
// reports the lines of one that does not as inserted.
func WithChain(on bool) Option {
	return optionFunc(func(c *config) { c.noChain = !on })
}

// chainState is what files keeps to chain lines: the hasher and a scratch
// buffer reused for each write, and the links of the lines in it.
type chainState struct {
	on      bool
	hasher  chain.Hasher
	scratch []byte
	links   []chain.Link
}

// link returns data's lines chained to of's file, whose size under the
// lock is size. The result is valid until the next call.
func (fc *files) link(of *openFile, data []byte, size int64) ([]byte, error) {
	head, err := fc.head(of, size)
	if err != nil {
		return nil, err
	}
	cs := &fc.chain
	out, links := cs.scratch[:0], cs.links[:0]
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n') // data holds whole lines
		out, head = cs.hasher.Append(out, head, data[:i])
		out = append(out, '\n')
		links = append(links, head)
		data = data[i+1:]
	}
	cs.scratch, cs.links = out, links
	return out, nil
}

// linked records the head after whole bytes of link's result were written
// at size, and returns how many bytes of data those lines were.
func (fc *files) linked(of *openFile, data []byte, size int64, whole int) int {
	cs := &fc.chain
	k := bytes.Count(cs.scratch[:whole], []byte{'\n'})
	if k > 0 {
		of.head, of.size, of.known = cs.links[k-1], size+int64(whole), true
	}
	if cap(cs.scratch) > maxKeptBuffer {
		cs.scratch, cs.links = nil, nil
	}
	n := 0
	for range k {
		n += bytes.IndexByte(data[n:], '\n') + 1
	}
	return n
}

// head returns the link the next line of of's file follows. When the file
// is as this exporter left it, that is the link it kept; otherwise the
// last link in the file, read backwards; with none, the head of the
// user's previous day files.
func (fc *files) head(of *openFile, size int64) (chain.Link, error) {
	if of.known && size == of.size {
		return of.head, nil
	}
	if size > 0 {
		l, ok, err := chain.Tail(of.f, size)
		if err != nil || ok {
			return l, err
		}
	}
	return fc.previousHead(of.rel)
}

// previousHead returns the last link of the newest day file of rel's user
// before rel's day that has one, or the user's genesis link.
func (fc *files) previousHead(rel string) (chain.Link, error) {
	dir, name := path.Split(rel)
	user, _, _ := strings.Cut(rel, "/")
	d, err := fc.root.Open(path.Clean(dir))
	if err != nil {
		return chain.Link{}, err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return chain.Link{}, err
	}
	var days []string
	for _, e := range entries {
		n := e.Name()
		if n < name && e.Type().IsRegular() && strings.HasSuffix(n, ".jsonl") {
			if _, err := layout.ParseDay(strings.TrimSuffix(n, ".jsonl"), time.UTC); err == nil {
				days = append(days, n)
			}
		}
	}
	slices.Sort(days)
	for _, n := range slices.Backward(days) {
		l, ok, err := fc.tailOf(dir + n)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil || ok {
			return l, err
		}
	}
	return chain.Genesis(user), nil
}

func (fc *files) tailOf(rel string) (chain.Link, bool, error) {
	f, err := fc.root.OpenFile(rel, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return chain.Link{}, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return chain.Link{}, false, err
	}
	return chain.Tail(f, st.Size())
}
