package s3ship

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/record"
	"github.com/toolaudit/toolaudit/ship"
)

// ReaderConfig configures a Reader; the zero value means time.Local and
// time.Now.
type ReaderConfig struct {
	Location   *time.Location   // of a ts without an offset, and of "today"
	Now        func() time.Time // the clock of Recent's days
	HTTPClient s3.HTTPClient    // the S3 client's (nil: the SDK's default)
	// FirstVersions reads each key's first version, as it was shipped,
	// ignoring newer versions and delete markers (on a bucket with Object
	// Lock, a forger's put over a shipped key). New keys are still read.
	FirstVersions bool
}

// Reader reads what shippers stored under s3://bucket/prefix with the
// semantics of package reader over the union of the hosts' local trees: a
// user-day's lines from several hosts are merged by ts (ties: hosts in key
// order, each in file order). It is safe for concurrent use.
type Reader struct {
	st    *Store
	loc   *time.Location
	now   func() time.Time
	first bool
}

// NewReader returns a Reader of dest, s3://bucket[/prefix], configured from
// the environment as New is.
func NewReader(ctx context.Context, dest string, cfg ReaderConfig) (*Reader, error) {
	st, err := newStore(ctx, dest, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	r := &Reader{st: st, loc: cfg.Location, now: cfg.Now, first: cfg.FirstVersions}
	if r.loc == nil {
		r.loc = time.Local
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// list returns the sub-folder names and the objects (key without the
// store's prefix, size) directly under prefix.
func (r *Reader) list(ctx context.Context, prefix string) (dirs []string, objs []part, err error) {
	if r.first {
		return r.listFirst(ctx, prefix)
	}
	p := s3.NewListObjectsV2Paginator(r.st.client, &s3.ListObjectsV2Input{
		Bucket: &r.st.bucket, Prefix: aws.String(r.st.prefix + prefix), Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("s3ship: listing s3://%s/%s%s: %w", r.st.bucket, r.st.prefix, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			dirs = append(dirs, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), r.st.prefix+prefix), "/"))
		}
		for _, o := range page.Contents {
			objs = append(objs, part{key: strings.TrimPrefix(aws.ToString(o.Key), r.st.prefix), size: aws.ToInt64(o.Size)})
		}
	}
	return dirs, objs, nil
}

// listFirst is list over each key's first version: versions are listed
// newest first, so the last one seen of a key is its first.
func (r *Reader) listFirst(ctx context.Context, prefix string) (dirs []string, objs []part, err error) {
	p := s3.NewListObjectVersionsPaginator(r.st.client, &s3.ListObjectVersionsInput{
		Bucket: &r.st.bucket, Prefix: aws.String(r.st.prefix + prefix), Delimiter: aws.String("/")})
	at := map[string]int{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("s3ship: listing the versions of s3://%s/%s%s: %w", r.st.bucket, r.st.prefix, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			d := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), r.st.prefix+prefix), "/")
			if len(dirs) == 0 || dirs[len(dirs)-1] != d {
				dirs = append(dirs, d)
			}
		}
		for _, v := range page.Versions {
			o := part{key: strings.TrimPrefix(aws.ToString(v.Key), r.st.prefix), size: aws.ToInt64(v.Size), version: aws.ToString(v.VersionId)}
			if i, ok := at[o.key]; ok {
				objs[i] = o
				continue
			}
			at[o.key] = len(objs)
			objs = append(objs, o)
		}
	}
	return dirs, objs, nil
}

// Users returns, sorted, the users in the bucket: the valid user names
// among the folders under the prefix (one listing per 1,000 users: a folder
// exists only while objects do).
func (r *Reader) Users(ctx context.Context) ([]string, error) {
	dirs, _, err := r.list(ctx, "")
	if err != nil {
		return nil, err
	}
	var users []string
	for _, u := range dirs {
		if _, ok := ship.ParseKey(ship.CompactedKey(u, "2006-01-02", "h")); ok {
			users = append(users, u)
		}
	}
	return users, nil
}

// Days returns, sorted, the days of user in the bucket.
func (r *Reader) Days(ctx context.Context, user string) ([]string, error) {
	if _, ok := ship.ParseKey(ship.CompactedKey(user, "2006-01-02", "h")); !ok {
		return nil, fmt.Errorf("s3ship: %w %q", reader.ErrInvalidUser, user)
	}
	dirs, _, err := r.list(ctx, user+"/tool_audit/")
	if err != nil {
		return nil, err
	}
	var days []string
	for _, d := range dirs {
		if _, err := time.Parse("2006-01-02", d); err == nil {
			days = append(days, d)
		}
	}
	sort.Strings(days)
	return days, nil
}

// part is one object of a host's day: its key, size, and its offset in
// the host's day file.
type part struct {
	key          string
	size, offset int64
	version      string // the version to read; "" for the current one
}

// get fetches p (a range of it when rng is not empty).
func (r *Reader) get(ctx context.Context, p part, rng string) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &r.st.bucket, Key: aws.String(r.st.prefix + p.key)}
	if p.version != "" {
		in.VersionId = aws.String(p.version)
	}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	out, err := r.st.client.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("s3ship: getting %s: %w", p.key, err)
	}
	return out.Body, nil
}

// hosts lists a user-day and returns each host's objects in file order, by
// the reading rule of ship.Object, hosts in key order.
func (r *Reader) hosts(ctx context.Context, user, day string) ([][]part, error) {
	if _, err := time.Parse("2006-01-02", day); err != nil {
		return nil, fmt.Errorf("s3ship: %w %q", reader.ErrInvalidDay, day)
	}
	if _, ok := ship.ParseKey(ship.CompactedKey(user, day, "h")); !ok {
		return nil, fmt.Errorf("s3ship: %w or %w: %q, %q", reader.ErrInvalidUser, reader.ErrInvalidDay, user, day)
	}
	prefix := user + "/tool_audit/" + day + "/"
	dirs, objs, err := r.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	compacted := map[string]part{}
	for _, o := range objs {
		if k, ok := ship.ParseKey(o.key); ok && k.Compacted {
			compacted[k.Host] = o
		}
	}
	names := dirs
	for h := range compacted {
		names = append(names, h)
	}
	sort.Strings(names)
	names = compactStrings(names)
	var out [][]part
	for _, h := range names {
		var parts []part
		var covered int64
		if c, ok := compacted[h]; ok {
			parts, covered = append(parts, c), c.size
		}
		_, pieces, err := r.list(ctx, prefix+h+"/")
		if err != nil {
			return nil, err
		}
		for _, p := range pieces {
			if k, ok := ship.ParseKey(p.key); ok && !k.Compacted && k.Offset >= covered {
				p.offset = k.Offset
				parts = append(parts, p)
			}
		}
		out = append(out, parts)
	}
	return out, nil
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (r *Reader) parse(line []byte) (record.Entry, bool) {
	if len(bytes.TrimSpace(line)) == 0 {
		return record.Entry{}, false
	}
	e, err := record.Parse(line, r.loc)
	return e, err == nil
}

// Day yields user's entries of day, the hosts' lines merged by ts.
func (r *Reader) Day(ctx context.Context, user, day string) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		hosts, err := r.hosts(ctx, user, day)
		if err != nil {
			yield(record.Entry{}, err)
			return
		}
		var its []lineIter
		for _, parts := range hosts {
			its = append(its, &forward{r: r, ctx: ctx, parts: parts})
		}
		r.merge(its, false, 0, yield)
	}
}

// Recent yields user's newest entries first, day by day back from today
// (q as in package reader). Each host's objects are read from the end in
// ranged blocks, so the requests grow with the days and hosts read, not
// with the objects' sizes.
func (r *Reader) Recent(ctx context.Context, user string, q reader.Query) iter.Seq2[record.Entry, error] {
	return func(yield func(record.Entry, error) bool) {
		if q.Days < 0 {
			yield(record.Entry{}, fmt.Errorf("%w: days %d must not be negative", reader.ErrInvalidQuery, q.Days))
			return
		}
		days, limit := cmpOr(q.Days, 7), cmpOr(q.Limit, 200)
		have, err := r.Days(ctx, user)
		if err != nil {
			yield(record.Entry{}, err)
			return
		}
		today := r.now().In(r.loc)
		n := 0
		for i := range days {
			day := time.Date(today.Year(), today.Month(), today.Day()-i, 12, 0, 0, 0, r.loc).Format("2006-01-02")
			if _, ok := sort.Find(len(have), func(j int) int { return strings.Compare(day, have[j]) }); !ok {
				continue
			}
			hosts, err := r.hosts(ctx, user, day)
			if err != nil {
				yield(record.Entry{}, err)
				return
			}
			var its []lineIter
			for _, parts := range hosts {
				its = append(its, &backward{r: r, ctx: ctx, parts: parts, pi: len(parts)})
			}
			left := 0
			if limit > 0 {
				left = limit - n
			}
			got, more := r.merge(its, true, left, yield)
			n += got
			if !more || (limit > 0 && n >= limit) {
				return
			}
		}
	}
}

func cmpOr(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
