package main

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/record"
	"github.com/toolaudit/toolaudit/s3ship"
)

// auditReader is what the commands read: a folder (package reader) or, for
// --root s3://bucket/prefix, what the shippers stored there.
type auditReader interface {
	Users(ctx context.Context) ([]string, error)
	Days(ctx context.Context, user string) ([]string, error)
	Recent(ctx context.Context, user string, q reader.Query) iter.Seq2[record.Entry, error]
	RecentAll(ctx context.Context, q reader.Query) iter.Seq2[record.Entry, error]
	Day(ctx context.Context, user, day string) iter.Seq2[record.Entry, error]
	Follow(ctx context.Context, poll time.Duration, users ...string) iter.Seq2[record.Entry, error]
}

var (
	_ auditReader = (*reader.Reader)(nil)
	_ auditReader = (*s3ship.Reader)(nil)
)

func isBucket(root string) bool { return strings.HasPrefix(root, "s3://") }

// bucketReader reads the bucket that --root names, each key as it was
// shipped (its first version: on a bucket with Object Lock a later put
// over a key is not read); the S3 client is configured from the
// environment, as for toolaudit ship.
func (a *app) bucketReader() (auditReader, error) {
	r, err := s3ship.NewReader(context.Background(), a.root, s3ship.ReaderConfig{Now: a.env.now, FirstVersions: true})
	if err != nil {
		return nil, err
	}
	return r, nil
}
