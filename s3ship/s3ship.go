// Package s3ship is the S3 Store of package ship (each object one
// PutObject with If-None-Match: *, and, when the shipper asks, an Object
// Lock retention in COMPLIANCE mode) and the Reader of what shippers
// stored, with the semantics of package reader.
//
// New configures the client the standard way: AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL, AWS_REGION (us-east-1 when unset), and the SDK's
// credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles,
// SSO, web identity, the instance's role). Path-style addressing is used
// when the endpoint's host is an IP address or localhost, or when
// TOOLAUDIT_S3_PATH_STYLE is true (false turns it off).
//
// It is its own module so that only programs that import it link the AWS
// SDK.
package s3ship

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/toolaudit/toolaudit/ship"
)

// PathStyleEnv is the variable that forces path-style addressing on
// (true) or off (false).
const PathStyleEnv = "TOOLAUDIT_S3_PATH_STYLE"

// ErrURL is wrapped by New's error for a destination that is not
// s3://bucket[/prefix].
var ErrURL = errors.New("want s3://bucket[/prefix]")

// Store writes pieces to s3://bucket/prefix. It is safe for concurrent use.
type Store struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
}

var _ ship.Store = (*Store)(nil)

// New returns a Store for dest, s3://bucket[/prefix], configured from the
// environment (see the package doc).
func New(ctx context.Context, dest string) (*Store, error) {
	return newStore(ctx, dest, nil)
}

func newStore(ctx context.Context, dest string, hc s3.HTTPClient) (*Store, error) {
	bucket, prefix, err := ParseURL(dest)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3ship: loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	force, forced := pathStyleEnv()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = PathStyle(aws.ToString(o.BaseEndpoint))
		if forced {
			o.UsePathStyle = force
		}
		o.DisableLogOutputChecksumValidationSkipped = true
		if hc != nil {
			o.HTTPClient = hc
		}
		// The shipper tries again every interval itself: a backoff of up
		// to 2 s (the SDK's is 20 s) keeps one look at a store that is down
		// short, and no retry quota means a store that is back is not
		// refused retries for a while.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxBackoff = 2 * time.Second
			so.RateLimiter = ratelimit.None
			if cfg.RetryMaxAttempts > 0 {
				so.MaxAttempts = cfg.RetryMaxAttempts
			}
		})
	})
	return &Store{client: client, bucket: bucket, prefix: prefix}, nil
}

// ParseURL splits s3://bucket/prefix into the bucket and the prefix, which
// is empty or ends in "/".
func ParseURL(dest string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(dest, "s3://")
	if !ok {
		return "", "", fmt.Errorf("s3ship: %q: %w", dest, ErrURL)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if bucket == "" || strings.Contains(prefix, "//") {
		return "", "", fmt.Errorf("s3ship: %q: %w", dest, ErrURL)
	}
	if prefix != "" {
		prefix += "/"
	}
	return bucket, prefix, nil
}

// PathStyle reports whether an endpoint URL needs path-style addressing:
// its host is an IP address or localhost, where bucket names as host names
// cannot resolve.
func PathStyle(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	return net.ParseIP(h) != nil || h == "localhost" || strings.HasSuffix(h, ".localhost")
}

func pathStyleEnv() (value, set bool) {
	v, ok := os.LookupEnv(PathStyleEnv)
	if !ok || v == "" {
		return false, false
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

// PutOnce stores body under the prefix and key unless an object is there
// already (then the error wraps ship.ErrExists), locked until retainUntil
// in COMPLIANCE mode unless it is zero.
func (s *Store) PutOnce(ctx context.Context, key string, body []byte, retainUntil time.Time) error {
	in := &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/x-ndjson"),
		IfNoneMatch:   aws.String("*"),
	}
	if !retainUntil.IsZero() {
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = aws.Time(retainUntil)
	}
	_, err := s.client.PutObject(ctx, in)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "PreconditionFailed" {
		return fmt.Errorf("s3ship: s3://%s/%s%s: %w", s.bucket, s.prefix, key, ship.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("s3ship: putting s3://%s/%s%s: %w", s.bucket, s.prefix, key, err)
	}
	return nil
}

// Get returns the object under the prefix and key.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, fmt.Errorf("s3ship: getting s3://%s/%s%s: %w", s.bucket, s.prefix, key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// List returns the keys under the prefix that start with prefix, sorted,
// without the store's prefix.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.prefix + prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return keys, fmt.Errorf("s3ship: listing s3://%s/%s%s: %w", s.bucket, s.prefix, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), s.prefix))
		}
	}
	return keys, nil
}

// Delete deletes the objects under keys, 1,000 per request.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		ids := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			ids[i].Key = aws.String(s.prefix + k)
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &s.bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("s3ship: deleting %d objects in s3://%s/%s: %w", n, s.bucket, s.prefix, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("s3ship: deleting %s: %s: %s (and %d more errors)", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
		}
		keys = keys[n:]
	}
	return nil
}
