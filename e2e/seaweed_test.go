package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// The S3 identity the tests give SeaweedFS and their clients.
const (
	s3Key    = "toolaudit"
	s3Secret = "toolaudit-e2e-secret"
)

var (
	weedOnce sync.Once
	weedPath string
	weedErr  string
)

// weedBinary returns a SeaweedFS binary: $WEED_BIN when set, else one built
// from the Go module proxy at the version e2e/seaweedfs/go.mod pins. It
// skips the test, saying why, when SeaweedFS cannot be had (WEED_BIN=skip:
// CI's own build failed, do not try again); the build is tried once per
// test binary.
func weedBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("long: builds and runs SeaweedFS")
	}
	weedOnce.Do(func() {
		if os.Getenv("WEED_BIN") == "skip" {
			weedErr = "WEED_BIN=skip (the CI build of SeaweedFS failed; see its log above)"
			return
		}
		if bin := os.Getenv("WEED_BIN"); bin != "" {
			if _, err := os.Stat(bin); err == nil {
				weedPath = bin
				return
			}
			t.Logf("WEED_BIN=%s does not exist: building SeaweedFS", bin)
		}
		dir, err := os.MkdirTemp("", "toolaudit-weed-")
		if err != nil {
			weedErr = err.Error()
			return
		}
		bin := filepath.Join(dir, "weed")
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/seaweedfs/seaweedfs/weed")
		// GOWORK=off: see e2e/seaweedfs/go.mod.
		cmd.Dir, cmd.Env = "seaweedfs", append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			weedErr = fmt.Sprintf("%v: %s", err, lastLines(string(out), 5))
			return
		}
		weedPath = bin
	})
	if weedPath == "" {
		t.Skipf("skipped: no SeaweedFS (set WEED_BIN to a weed binary): %s", weedErr)
	}
	return weedPath
}

// weed is a SeaweedFS "weed mini" on loopback: master, volume, filer and
// S3 in one process.
type weed struct {
	t        testing.TB
	bin, dir string
	base     int // master port; volume, filer, S3 and admin follow
	cmd      *exec.Cmd
	done     chan struct{}
}

func (w *weed) endpoint() string { return fmt.Sprintf("http://127.0.0.1:%d", w.base+3) }

// freeBase finds a base port whose five ports and their gRPC twins (+10000)
// are free.
func freeBase(t testing.TB) int {
	t.Helper()
	for range 200 {
		base := 20000 + rand.IntN(9000)
		ok := true
		for _, p := range []int{base, base + 1, base + 2, base + 3, base + 4, base + 10000, base + 10001, base + 10002, base + 10003, base + 10004} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free range of ports for SeaweedFS")
	return 0
}

// startWeed starts SeaweedFS on loopback with its data in a new folder and
// stops it when the test ends.
func startWeed(t testing.TB) *weed {
	t.Helper()
	w := &weed{t: t, bin: weedBinary(t), dir: t.TempDir(), base: freeBase(t)}
	cfg := fmt.Sprintf(`{"identities":[{"name":"toolaudit","credentials":[{"accessKey":%q,"secretKey":%q}],"actions":["Admin","Read","List","Tagging","Write"]}]}`, s3Key, s3Secret)
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "s3.json"), []byte(cfg), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(w.dir, "data"), 0o700))
	w.start()
	t.Cleanup(w.stop)
	return w
}

func (w *weed) start() {
	t := w.t
	t.Helper()
	b := w.base
	w.cmd = exec.Command(w.bin, "mini", "-dir="+filepath.Join(w.dir, "data"), "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port="+strconv.Itoa(b), "-volume.port="+strconv.Itoa(b+1), "-filer.port="+strconv.Itoa(b+2),
		"-s3.port="+strconv.Itoa(b+3), "-admin.port="+strconv.Itoa(b+4), "-admin.port.legacy=0",
		"-s3.config="+filepath.Join(w.dir, "s3.json"), "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0")
	logf, err := os.OpenFile(filepath.Join(w.dir, "weed.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer logf.Close()
	w.cmd.Stdout, w.cmd.Stderr = logf, logf
	require.NoError(t, w.cmd.Start())
	w.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(w.cmd, w.done)
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(w.endpoint() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-w.done:
			log, _ := os.ReadFile(filepath.Join(w.dir, "weed.log"))
			t.Fatalf("weed mini exited: %s", lastLines(string(log), 10))
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(w.dir, "weed.log"))
			t.Fatalf("weed mini not ready in 90 s: %s", lastLines(string(log), 10))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop stops SeaweedFS (SIGTERM, then SIGKILL after 20 s).
func (w *weed) stop() {
	if w.cmd == nil {
		return
	}
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
	}
	w.cmd = nil
}

// s3Env is the environment of a process that talks to w.
func (w *weed) s3Env() []string {
	return []string{"AWS_ENDPOINT_URL_S3=" + w.endpoint(), "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + s3Key, "AWS_SECRET_ACCESS_KEY=" + s3Secret,
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"}
}

// setEnv sets w's S3 environment in this process, for the test's lifetime.
func (w *weed) setEnv(t testing.TB) {
	for _, kv := range w.s3Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// client is an S3 client of w, for the tests' own checks.
func (w *weed) client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(w.endpoint()), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s3Key, s3Secret, ""),
		DisableLogOutputChecksumValidationSkipped: true,
	})
}

// bucket creates a bucket, with Object Lock when lock is set.
func (w *weed) bucket(t testing.TB, name string, lock bool) {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if lock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	_, err := w.client().CreateBucket(context.Background(), in)
	var owned *types.BucketAlreadyOwnedByYou
	if !errors.As(err, &owned) {
		require.NoError(t, err)
	}
}

// objects returns every object under prefix in bucket, by key.
func (w *weed) objects(t testing.TB, bucket, prefix string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	c := w.client()
	out := map[string][]byte{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, o := range page.Contents {
			got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: o.Key})
			require.NoError(t, err, *o.Key)
			b, err := io.ReadAll(got.Body)
			got.Body.Close()
			require.NoError(t, err)
			out[*o.Key] = b
		}
	}
	return out
}
