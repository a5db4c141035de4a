package tamper_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/internal/spanattr"
	"github.com/toolaudit/toolaudit/internal/tamper"
)

// The test binary runs as a writer process when $TAMPER_WRITER is set:
// "root|users|days|lines per user-day|id offset|batch".
func TestMain(m *testing.M) {
	if spec := os.Getenv("TAMPER_WRITER"); spec != "" {
		if err := writer(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func writer(spec string) error {
	f := strings.Split(spec, "|")
	n, _ := strconv.Atoi(f[3])
	off, _ := strconv.Atoi(f[4])
	batch, _ := strconv.Atoi(f[5])
	exp, err := exporter.New(f[0], exporter.WithLocation(time.UTC), exporter.WithChain(os.Getenv("TAMPER_NOCHAIN") == ""))
	if err != nil {
		return err
	}
	ctx := context.Background()
	var stubs tracetest.SpanStubs
	id := off
	for _, day := range strings.Split(f[2], ",") {
		t0, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return err
		}
		for i := range n {
			for _, u := range strings.Split(f[1], ",") {
				id++
				stubs = append(stubs, stub(u, t0.Add(time.Duration(i)*time.Second+time.Hour), id))
				if len(stubs) == batch {
					if err := exp.ExportSpans(ctx, stubs.Snapshots()); err != nil {
						return err
					}
					stubs = stubs[:0]
				}
			}
		}
	}
	if err := exp.ExportSpans(ctx, stubs.Snapshots()); err != nil {
		return err
	}
	return exp.Shutdown(ctx)
}

func stub(user string, end time.Time, n int) tracetest.SpanStub {
	tid := trace.TraceID{0xab, byte(n >> 16), byte(n >> 8), byte(n)}
	sid := trace.SpanID{0xcd, byte(n >> 16), byte(n >> 8), byte(n)}
	return tracetest.SpanStub{
		Name:        spanattr.SpanNamePrefix + "search",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}),
		StartTime:   end.Add(-1500 * time.Microsecond),
		EndTime:     end,
		Attributes: []attribute.KeyValue{
			spanattr.KeyOperationName.String(spanattr.OperationExecuteTool),
			spanattr.KeyToolName.String("search"),
			spanattr.KeyEndUserID.String(user),
			spanattr.KeyToolCallArguments.String(fmt.Sprintf(`{"q":"café %d","page":2}`, n)),
			spanattr.KeyStatus.String("ok"),
			spanattr.KeyResultChars.Int(5),
			spanattr.KeyToolCallResult.String("hello"),
		},
	}
}

// startWriter starts a writer process.
func startWriter(t *testing.T, root, users, days string, lines, off, batch int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("TAMPER_WRITER=%s|%s|%s|%d|%d|%d", root, users, days, lines, off, batch))
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	return cmd
}

// days of the test trees, in order.
const days = "2026-11-25,2026-11-26,2026-11-27"

// writeTree writes a tree of 3 users over 3 days, day after day, each day
// with 3 writer processes at once, 40 lines per user-day each, in batches
// of 7.
func writeTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "home")
	for i, day := range strings.Split(days, ",") {
		var cmds []*exec.Cmd
		for p := range 3 {
			cmds = append(cmds, startWriter(t, root, "alice,bob,carol", day, 40, i*1000000+p*100000, 7))
		}
		for _, c := range cmds {
			require.NoError(t, c.Wait())
		}
	}
	return root
}

// copyTree copies a tree (and its checkpoint folder, if any) to a new place.
func copyTree(t *testing.T, root string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "home")
	for _, pair := range [][2]string{{root, dst}, {tamper.CheckpointDir(root), tamper.CheckpointDir(dst)}} {
		if _, err := os.Stat(pair[0]); err != nil {
			continue
		}
		require.NoError(t, os.CopyFS(pair[1], os.DirFS(pair[0])))
	}
	return dst
}

func dayPath(root, user, day string) string {
	return filepath.Join(root, user, "tool_audit", day+".jsonl")
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return bytes.SplitAfter(b, []byte("\n"))[:bytes.Count(b, []byte("\n"))]
}

func writeLines(t *testing.T, path string, lines [][]byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, bytes.Join(lines, nil), 0o600))
}

// verdicts maps "user day" to "status line" for every row.
func verdicts(t *testing.T, cfg tamper.Config) map[string]string {
	t.Helper()
	rows, err := tamper.Verify(context.Background(), cfg)
	require.NoError(t, err)
	m := map[string]string{}
	for _, r := range rows {
		m[r.User+" "+r.Day] = r.Status + " " + strconv.Itoa(r.Line)
	}
	return m
}

// allOK is the verdicts of an untouched tree of writeTree.
func allOK(status string) map[string]string {
	m := map[string]string{}
	for _, u := range []string{"alice", "bob", "carol"} {
		for _, d := range strings.Split(days, ",") {
			m[u+" "+d] = status + " 0"
		}
	}
	return m
}

func newKey(t *testing.T) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seal.key")
	require.NoError(t, tamper.GenerateKey(path))
	priv, err := tamper.LoadPrivateKey(path)
	require.NoError(t, err)
	pub, err := tamper.LoadPublicKey(path + ".pub")
	require.NoError(t, err)
	return priv, pub
}

// countLines counts the lines of every day file under root.
func countLines(t *testing.T, root string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			n++
		}
		return sc.Err()
	}))
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
