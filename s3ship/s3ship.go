// Package s3ship is the S3 Store of package ship: each piece is one
// PutObject with If-None-Match: *, and, when asked, an Object Lock
// retention in COMPLIANCE mode.
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
	client    *s3.Client
	bucket    string
	prefix    string // "" or ending in "/"
	retention time.Duration
	now       func() time.Time
}

var _ ship.Store = (*Store)(nil)

// Option configures a Store.
type Option interface{ apply(*Store) }

type optionFunc func(*Store)

func (f optionFunc) apply(s *Store) { f(s) }

// WithRetention gives every object an Object Lock retention of d in
// COMPLIANCE mode (default none). The bucket must have Object Lock; then
// nobody can overwrite or delete the object's version before d has passed.
func WithRetention(d time.Duration) Option {
	return optionFunc(func(s *Store) { s.retention = max(d, 0) })
}

// New returns a Store for dest, s3://bucket[/prefix], configured from the
// environment (see the package doc).
func New(ctx context.Context, dest string, opts ...Option) (*Store, error) {
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
	s := &Store{client: client, bucket: bucket, prefix: prefix, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.apply(s)
		}
	}
	return s, nil
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
// already (then the error wraps ship.ErrExists).
func (s *Store) PutOnce(ctx context.Context, key string, body []byte) error {
	in := &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/x-ndjson"),
		IfNoneMatch:   aws.String("*"),
	}
	if s.retention > 0 {
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = aws.Time(s.now().Add(s.retention))
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
