package ship

import (
	"context"
	"errors"
	"time"
)

// ErrExists is wrapped by a Store's PutOnce error when the key already
// holds an object.
var ErrExists = errors.New("object already exists")

// ErrConflict is wrapped by the Shipper's error when an object under a
// piece's key holds bytes other than the local file's: another host with
// the same host name, or a day file replaced after it was shipped. That
// file is not shipped further.
var ErrConflict = errors.New("shipped object differs from the local file")

// ErrLineTooLong is wrapped by the Shipper's error when a day file holds a
// line longer than 64 MiB (or the piece size, if larger) with no newline:
// a damaged or hostile file. That file is not shipped further.
var ErrLineTooLong = errors.New("line too long")

// Store is an object store that writes each key at most once. Its methods
// may be called concurrently. Keys are relative to the store's own prefix.
type Store interface {
	// PutOnce stores body under key, or returns an error wrapping
	// ErrExists if key already holds an object (it is then unchanged).
	// A non-zero retainUntil asks that nobody may overwrite or delete the
	// object before then (S3 Object Lock, COMPLIANCE mode).
	PutOnce(ctx context.Context, key string, body []byte, retainUntil time.Time) error
	// Get returns the object under key.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete deletes the objects under keys; a missing key is no error.
	Delete(ctx context.Context, keys ...string) error
}
