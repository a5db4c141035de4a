// Package tamper checks and seals audit trees: the chain of each user's
// day files (package chain), the checkpoints a sealer signs, and the
// tombstones retention leaves (docs/format.md, "Checkpoints"). The
// toolaudit command's verify, seal, keygen and prune are built on it.
package tamper

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/toolaudit/toolaudit/internal/chain"
	"github.com/toolaudit/toolaudit/internal/jsonw"
)

// Checkpoint is one signed line of a day's checkpoint file: the file's
// first Bytes bytes are Lines lines whose chain ends at Head.
type Checkpoint struct {
	User     string `json:"user"`
	Day      string `json:"day"`
	Lines    int    `json:"lines"`
	Bytes    int64  `json:"bytes"`
	Head     string `json:"head"`
	Prev     string `json:"prev"` // hex SHA-256 of the previous checkpoint's signed bytes, "" for the first
	SealedAt string `json:"sealed_at"`

	signed []byte // the line's bytes before ,"sig":
}

// Tombstone is the signed record that retention removed a day file whose
// chain ended at Head (the link the next day's first line follows).
type Tombstone struct {
	User     string `json:"user"`
	Day      string `json:"day"`
	Lines    int    `json:"lines"`
	Head     string `json:"head"`
	PrunedAt string `json:"pruned_at"`
}

const sigField = `,"sig":"`

// appendCheckpoint appends c's signed bytes: the line before ,"sig":.
func appendCheckpoint(b []byte, c *Checkpoint) []byte {
	b = append(b, `{"user":`...)
	b = jsonw.AppendString(b, c.User)
	b = append(b, `,"day":`...)
	b = jsonw.AppendString(b, c.Day)
	b = append(b, `,"lines":`...)
	b = strconv.AppendInt(b, int64(c.Lines), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, c.Bytes, 10)
	b = append(b, `,"head":`...)
	b = jsonw.AppendString(b, c.Head)
	b = append(b, `,"prev":`...)
	b = jsonw.AppendString(b, c.Prev)
	b = append(b, `,"sealed_at":`...)
	return jsonw.AppendString(b, c.SealedAt)
}

func appendTombstone(b []byte, t *Tombstone) []byte {
	b = append(b, `{"user":`...)
	b = jsonw.AppendString(b, t.User)
	b = append(b, `,"day":`...)
	b = jsonw.AppendString(b, t.Day)
	b = append(b, `,"lines":`...)
	b = strconv.AppendInt(b, int64(t.Lines), 10)
	b = append(b, `,"head":`...)
	b = jsonw.AppendString(b, t.Head)
	b = append(b, `,"pruned_at":`...)
	return jsonw.AppendString(b, t.PrunedAt)
}

// sign returns signed followed by its signature field and "}".
func sign(key ed25519.PrivateKey, signed []byte) []byte {
	sig := ed25519.Sign(key, signed)
	line := append(append([]byte(nil), signed...), sigField...)
	line = base64.StdEncoding.AppendEncode(line, sig)
	return append(line, '"', '}')
}

// ErrSignature is wrapped by the errors of a signed record whose signature
// does not verify.
var ErrSignature = errors.New("signature does not verify")

// splitSigned returns the signed bytes of a signed line and its signature.
func splitSigned(line []byte) (signed, sig []byte, err error) {
	i := bytes.LastIndex(line, []byte(sigField))
	if i < 0 || !bytes.HasSuffix(line, []byte(`"}`)) || len(line) < i+len(sigField)+2 {
		return nil, nil, errors.New("no sig field at the end")
	}
	sig, err = base64.StdEncoding.DecodeString(string(line[i+len(sigField) : len(line)-2]))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, nil, errors.New("sig is not a base64 Ed25519 signature")
	}
	return line[:i], sig, nil
}

// decodeSigned reads the fields of a signed line from its signed bytes
// only, into v, and checks the signature when pub is not nil.
func decodeSigned(line []byte, pub ed25519.PublicKey, v any) ([]byte, error) {
	signed, sig, err := splitSigned(line)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(append(append([]byte(nil), signed...), '}'), v); err != nil {
		return nil, fmt.Errorf("not a JSON object of the format: %v", err)
	}
	if pub != nil && !ed25519.Verify(pub, signed, sig) {
		return nil, ErrSignature
	}
	return signed, nil
}

// parseCheckpoint reads one checkpoint line (without "\n").
func parseCheckpoint(line []byte, pub ed25519.PublicKey) (Checkpoint, error) {
	var c Checkpoint
	signed, err := decodeSigned(line, pub, &c)
	if err != nil {
		return c, err
	}
	if _, ok := chain.ParseLink(c.Head); !ok || c.Lines < 0 || c.Bytes < 0 {
		return c, errors.New("head, lines or bytes out of range")
	}
	c.signed = signed
	return c, nil
}

// parseTombstone reads a tombstone file's line.
func parseTombstone(line []byte, pub ed25519.PublicKey) (Tombstone, error) {
	var t Tombstone
	if _, err := decodeSigned(bytes.TrimSuffix(line, []byte{'\n'}), pub, &t); err != nil {
		return t, err
	}
	if _, ok := chain.ParseLink(t.Head); !ok || t.Lines < 0 {
		return t, errors.New("head or lines out of range")
	}
	return t, nil
}

// digest is what the next checkpoint's prev holds.
func digest(signed []byte) string {
	s := sha256.Sum256(signed)
	return hex.EncodeToString(s[:])
}
