package chain_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/internal/chain"
)

func TestAppendAndSplit(t *testing.T) {
	var h chain.Hasher
	line := []byte(`{"ts":"2026-11-27T09:30:00+01:00","user":"alice"}`)
	out, l := h.Append(nil, chain.Link{}, line)
	sum := sha256.Sum256(append(make([]byte, 32), line[:len(line)-1]...))
	assert.Equal(t, `{"ts":"2026-11-27T09:30:00+01:00","user":"alice","chain":"`+hex.EncodeToString(sum[:])+`"}`, string(out))
	assert.Equal(t, chain.Link(sum), l)

	p, got, ok := chain.Split(out)
	require.True(t, ok)
	assert.Equal(t, line[:len(line)-1], p)
	assert.Equal(t, l, got)

	for _, bad := range []string{
		`{"chain":"` + strings.Repeat("a", 64) + `"}`[1:], // nothing before the field
		strings.Replace(string(out), `"chain"`, `"Chain"`, 1),
		strings.ToUpper(string(out[len(out)-66:])),
		string(out[:len(out)-1]),
		string(out) + " ",
	} {
		_, _, ok := chain.Split([]byte(bad))
		assert.False(t, ok, bad)
	}
}

// TestGenesis: the links users' chains start from, as computed outside
// Go (python3: hashlib.sha256(b"toolaudit chain v1\x00" + user).hexdigest()).
func TestGenesis(t *testing.T) {
	for user, want := range map[string]string{
		"alice":         "dfbc98958e075cfeae39a89b732f10fa467e5416b4fe701ac520143c995289c9",
		"bob":           "6c61cad0ea306000938968cace57d5595acf486189dd8ca6c91b65e6344ae75c",
		"@unattributed": "f6cb56c755b55aa3280d982648185c595cccd3468637a59b9be02671331beb9e",
	} {
		assert.Equal(t, want, chain.Genesis(user).String(), user)
	}

	// alice's first day does not verify as bob's.
	var h chain.Hasher
	line, _ := h.Append(nil, chain.Genesis("alice"), []byte(`{"ts":"2026-11-27T09:30:00+01:00","user":"alice"}`))
	for user, fail := range map[string]int{"alice": 0, "bob": 1} {
		d, err := chain.Verify(context.Background(), bytes.NewReader(line), chain.Options{Prev: chain.Genesis(user)})
		require.NoError(t, err)
		assert.Equal(t, fail, d.Fail, user)
	}
}

// TestTail: the last link is found past torn lines, legacy lines and a
// last line without "\n", and not in a line that is only the field.
func TestTail(t *testing.T) {
	var h chain.Hasher
	var file []byte
	var last chain.Link
	for i := range 3 {
		var l []byte
		l, last = h.Append(nil, last, []byte(`{"n":`+strings.Repeat("7", i*40000)+`}`))
		file = append(append(file, l...), '\n')
	}
	for name, tail := range map[string]string{
		"nothing":               "",
		"a torn line":           `{"ts":"20` + "\n",
		"torn, no newline":      `{"ts":"20`,
		"legacy and blank":      `{"ts":"x"}` + "\n\n",
		"only a chain field":    "\n" + `,"chain":"` + strings.Repeat("0", 64) + `"}` + "\n",
		"a long unchained line": strings.Repeat("x", 200000) + "\n",
	} {
		data := append(append([]byte(nil), file...), tail...)
		got, ok, err := chain.Tail(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		assert.True(t, ok, name)
		assert.Equal(t, last, got, name)
	}
	_, ok, err := chain.Tail(bytes.NewReader([]byte("{}\n")), 3)
	require.NoError(t, err)
	assert.False(t, ok)
}

// FuzzVerify: any bytes, as an attacker may write them, are verified
// without panic; a line is chained exactly when Split says so; the head
// Verify ends on is the one Tail finds reading backwards.
func FuzzVerify(f *testing.F) {
	var h chain.Hasher
	genesis := chain.Genesis("alice")
	a, l := h.Append(nil, genesis, []byte(`{"ts":"2026-11-27T09:30:00+01:00","user":"alice","args":{}}`))
	b, _ := h.Append(nil, l, []byte(`{"ts":"2026-11-27T09:30:01+01:00","user":"alice","args":{"q":NaN}}`))
	f.Add(append(append(append(a, '\n'), b...), '\n'))
	f.Add([]byte("{}\n{\"ts\":\n\n"))
	f.Add(append([]byte("{\"x\":1}\n"), b...))
	f.Fuzz(func(t *testing.T, data []byte) {
		o := chain.Options{Prev: genesis, Alt: []chain.Link{chain.Genesis("bob"), {1}}, Links: true}
		d, err := chain.Verify(context.Background(), bytes.NewReader(data), o)
		if err != nil {
			t.Fatal(err)
		}
		if d.Chained+d.Legacy+d.Torn > d.Lines || d.Fail > d.Lines || len(d.Links) != d.Chained {
			t.Fatalf("counts: %+v", d)
		}
		if d.Lines > 0 && !d.Open && d.WholeEnd != int64(len(data)) {
			t.Fatalf("last line ends at %d of %d", d.WholeEnd, len(data))
		}
		tail, ok, err := chain.Tail(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if ok != (d.Chained > 0) || (ok && tail != d.Head) {
			t.Fatalf("Tail %x %v, Verify's head %x after %d linked lines", tail, ok, d.Head, d.Chained)
		}
		if d.Start != genesis && !slices.Contains(o.Alt, d.Start) {
			t.Fatalf("the file starts from %x: neither Prev nor an Alt", d.Start)
		}
	})
}
