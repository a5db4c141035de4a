package s3ship_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/s3ship"
	"github.com/toolaudit/toolaudit/ship"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix, err string }{
		{in: "s3://b", bucket: "b"},
		{in: "s3://b/", bucket: "b"},
		{in: "s3://b/audit", bucket: "b", prefix: "audit/"},
		{in: "s3://b/a/b/", bucket: "b", prefix: "a/b/"},
		{in: "b/audit", err: "want s3://bucket"},
		{in: "s3:///audit", err: "want s3://bucket"},
		{in: "s3://b/a//c", err: "want s3://bucket"},
	} {
		b, p, err := s3ship.ParseURL(tc.in)
		if tc.err != "" {
			assert.ErrorIs(t, err, s3ship.ErrURL, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, [2]string{tc.bucket, tc.prefix}, [2]string{b, p}, tc.in)
	}
}

func TestPathStyle(t *testing.T) {
	for in, want := range map[string]bool{
		"http://127.0.0.1:8333":              true,
		"http://[::1]:8333":                  true,
		"http://localhost:9000":              true,
		"https://s3.eu-west-1.amazonaws.com": false,
		"https://minio.internal":             false,
		"":                                   false,
	} {
		assert.Equal(t, want, s3ship.PathStyle(in), in)
	}
}

// request is what the test server saw.
type request struct {
	method, path, ifNoneMatch, lockMode, retainUntil string
	body                                             string
}

func server(t *testing.T, status int) (*httptest.Server, *[]request) {
	var mu sync.Mutex
	var seen []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, request{r.Method, r.URL.Path, r.Header.Get("If-None-Match"),
			r.Header.Get("X-Amz-Object-Lock-Mode"), r.Header.Get("X-Amz-Object-Lock-Retain-Until-Date"), string(b)})
		mu.Unlock()
		if status == http.StatusPreconditionFailed {
			w.WriteHeader(status)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`)
			return
		}
		w.Header().Set("ETag", `"x"`)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func setEnv(t *testing.T, endpoint string) {
	t.Setenv("AWS_ENDPOINT_URL_S3", endpoint)
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv(s3ship.PathStyleEnv, "")
}

func TestPutOnceRequest(t *testing.T) {
	srv, seen := server(t, http.StatusOK)
	setEnv(t, srv.URL)
	st, err := s3ship.New(context.Background(), "s3://bkt/audit")
	require.NoError(t, err)
	require.NoError(t, st.PutOnce(context.Background(), "alice/tool_audit/2026-11-29/h1/0000000000000000.jsonl", []byte("{}\n"), time.Now().Add(24*time.Hour)))
	require.Len(t, *seen, 1)
	r := (*seen)[0]
	assert.Equal(t, "PUT", r.method)
	assert.Equal(t, "/bkt/audit/alice/tool_audit/2026-11-29/h1/0000000000000000.jsonl", r.path, "path style for 127.0.0.1")
	assert.Equal(t, "*", r.ifNoneMatch)
	assert.Equal(t, "COMPLIANCE", r.lockMode)
	until, err := time.Parse(time.RFC3339, r.retainUntil)
	require.NoError(t, err, r.retainUntil)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), until, time.Minute)
	assert.Equal(t, "{}\n", r.body)
}

func TestPreconditionFailedIsErrExists(t *testing.T) {
	srv, _ := server(t, http.StatusPreconditionFailed)
	setEnv(t, srv.URL)
	st, err := s3ship.New(context.Background(), "s3://bkt")
	require.NoError(t, err)
	err = st.PutOnce(context.Background(), "k", []byte("{}\n"), time.Time{})
	require.ErrorIs(t, err, ship.ErrExists)
	assert.Contains(t, err.Error(), "s3://bkt/k")
}

func TestPathStyleEnvForcesIt(t *testing.T) {
	// A host that resolves nowhere: the failed request's URL shows where
	// the bucket went.
	for env, want := range map[string]string{
		"":      `"http://bkt.s3.example.invalid/k?`,
		"true":  `"http://s3.example.invalid/bkt/k?`,
		"false": `"http://bkt.s3.example.invalid/k?`,
	} {
		setEnv(t, "http://s3.example.invalid")
		t.Setenv(s3ship.PathStyleEnv, env)
		st, err := s3ship.New(context.Background(), "s3://bkt")
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = st.PutOnce(ctx, "k", []byte("{}\n"), time.Time{})
		cancel()
		require.Error(t, err)
		assert.Contains(t, err.Error(), want, "%s=%q", s3ship.PathStyleEnv, env)
	}
	setEnv(t, "http://localhost:1")
	t.Setenv(s3ship.PathStyleEnv, "false")
	st, err := s3ship.New(context.Background(), "s3://bkt")
	require.NoError(t, err)
	err = st.PutOnce(context.Background(), "k", []byte("{}\n"), time.Time{})
	assert.ErrorContains(t, err, `"http://bkt.localhost:1/k?`, "false turns the automatic path style off")
}
