// Package chain is the hash chain of the audit lines (docs/format.md,
// "The chain"): each line ends with ,"chain":"H"} where
// H = hex(SHA-256(raw(previous link) || the line's bytes before that field)).
// The exporter appends links with Append; the sealer and toolaudit verify
// check them with Verify.
package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
)

// Link is one link of the chain: the SHA-256 of the previous link and a
// line's bytes before its chain field. A user's chain starts from
// Genesis(user).
type Link [sha256.Size]byte

// genesisTag is what Genesis hashes before the user's name.
const genesisTag = "toolaudit chain v1\x00"

// Genesis returns the link a user's chain starts from: SHA-256 of
// "toolaudit chain v1", a zero byte, then user, the name of the user's
// folder under the root. So a user's first day file does not verify as
// another user's.
func Genesis(user string) Link {
	h := sha256.New()
	h.Write([]byte(genesisTag))
	h.Write([]byte(user))
	var l Link
	h.Sum(l[:0])
	return l
}

// String is the link in lowercase hex, as lines carry it.
func (l Link) String() string { return hex.EncodeToString(l[:]) }

// ParseLink reads a link written as 64 lowercase hex digits.
func ParseLink(s string) (Link, bool) {
	var l Link
	if len(s) != 2*len(l) {
		return l, false
	}
	return l, decodeLower(&l, []byte(s))
}

const (
	prefix = `,"chain":"`
	// SuffixLen is the length of the chain field and the closing brace:
	// ,"chain":"<64 hex digits>"}
	SuffixLen = len(prefix) + 2*sha256.Size + 2
)

// Next returns the link of a line whose bytes before its chain field are p.
func Next(prev Link, p []byte) Link {
	var h Hasher
	return h.Next(prev, p)
}

// Hasher computes links reusing one SHA-256 state. The zero value is
// ready; it is not safe for concurrent use.
type Hasher struct {
	h        hash.Hash
	prev, in Link // buffers kept here, so the hash's interface calls do not move them to the heap
}

// Next is the package's Next, without allocating.
func (hs *Hasher) Next(prev Link, p []byte) Link {
	if hs.h == nil {
		hs.h = sha256.New()
	}
	hs.h.Reset()
	hs.prev = prev
	hs.h.Write(hs.prev[:])
	hs.h.Write(p)
	hs.h.Sum(hs.in[:0])
	return hs.in
}

// Append appends line, an unchained JSON object ending with '}', chained
// to prev: the line without its '}', then ,"chain":"H"}. It returns the
// extended dst and H. A line not ending with '}' is appended as it is,
// unchained.
func (hs *Hasher) Append(dst []byte, prev Link, line []byte) ([]byte, Link) {
	if len(line) == 0 || line[len(line)-1] != '}' {
		return append(dst, line...), prev
	}
	p := line[:len(line)-1]
	l := hs.Next(prev, p)
	dst = append(dst, p...)
	dst = append(dst, prefix...)
	dst = hex.AppendEncode(dst, l[:])
	return append(dst, '"', '}'), l
}

// Split returns the bytes of line before its chain field, and the link
// the field holds, when line (without its "\n") ends with a chain field.
func Split(line []byte) (p []byte, link Link, ok bool) {
	n := len(line)
	if n < SuffixLen+1 || line[n-1] != '}' || line[n-2] != '"' {
		return nil, link, false
	}
	s := line[n-SuffixLen:]
	if string(s[:len(prefix)]) != prefix {
		return nil, link, false
	}
	if !decodeLower(&link, s[len(prefix):len(prefix)+2*sha256.Size]) {
		return nil, link, false
	}
	return line[:n-SuffixLen], link, true
}

// decodeLower decodes 64 lowercase hex digits into l, reporting whether
// they were: one table lookup a digit (a branch a digit cost verify a
// sixth of its time).
func decodeLower(l *Link, h []byte) bool {
	var bad byte
	for i := range l {
		hi, lo := fromHex[h[2*i]], fromHex[h[2*i+1]]
		bad |= hi | lo
		l[i] = hi<<4 | lo&0x0f
	}
	return bad&0x80 == 0
}

// fromHex maps '0'-'9' and 'a'-'f' to their values, every other byte to 0xff.
var fromHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

// tailBlock is how much of a file Tail reads at a time, going backwards.
const tailBlock = 64 << 10

// Tail returns the link of the last line of r's first size bytes that
// carries one, reading backwards past lines without a link (torn, legacy),
// and false when no line has one. Only each line's last SuffixLen bytes
// are looked at; a last line without "\n" counts as a line.
func Tail(r io.ReaderAt, size int64) (Link, bool, error) {
	var buf [tailBlock + SuffixLen]byte
	// end is the end of the line being looked at (before its "\n").
	end := size
	if end > 0 {
		var last [1]byte
		if _, err := r.ReadAt(last[:], end-1); err != nil && !errors.Is(err, io.EOF) {
			return Link{}, false, err
		}
		if last[0] == '\n' {
			end--
		}
	}
	for end > 0 {
		// The line ends at end: check its suffix, then find its start.
		if end > int64(SuffixLen) {
			// The suffix and the byte before it, which must be of the
			// same line: a chained line has bytes before its field.
			s := buf[:SuffixLen+1]
			if _, err := r.ReadAt(s, end-int64(len(s))); err != nil && !errors.Is(err, io.EOF) {
				return Link{}, false, err
			}
			if _, l, ok := Split(s); ok && s[0] != '\n' {
				return l, true, nil
			}
		}
		start, err := lineStart(r, end, buf[:tailBlock])
		if err != nil {
			return Link{}, false, err
		}
		end = start - 1 // before the "\n" that ends the previous line
	}
	return Link{}, false, nil
}

// lineStart returns the offset just after the last "\n" before end, or 0.
func lineStart(r io.ReaderAt, end int64, buf []byte) (int64, error) {
	for end > 0 {
		from := max(0, end-int64(len(buf)))
		b := buf[:end-from]
		if _, err := r.ReadAt(b, from); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return from + int64(i) + 1, nil
		}
		end = from
	}
	return 0, nil
}
