// Package e2e holds end-to-end tests against real outside programs. Jaeger
// is pinned in the module e2e/jaeger, which has a go.work of its own, so its
// dependencies never reach the core's go.mod or the workspace's module
// graph.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

// jaegerBinary returns a Jaeger binary: $JAEGER_BIN when set, else one
// built from the Go module proxy (github.com/jaegertracing/jaeger/cmd/jaeger
// at the version e2e/jaeger/go.mod pins as a tool). It skips the test,
// saying why, when Jaeger cannot be built.
func jaegerBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("JAEGER_BIN"); bin != "" {
		if _, err := os.Stat(bin); err == nil {
			return bin
		}
		t.Logf("JAEGER_BIN=%s does not exist: building Jaeger", bin)
	}
	bin := filepath.Join(t.TempDir(), "jaeger")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/jaegertracing/jaeger/cmd/jaeger")
	cmd.Dir = "jaeger" // the module that pins it, with its own go.work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("skipped: cannot build Jaeger v1.76.0 from the module proxy (%v): %s", err, lastLines(string(out), 5))
	}
	return bin
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

const jaegerConfig = `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
extensions:
  jaeger_query:
    storage:
      traces: mem
    http:
      endpoint: 127.0.0.1:%d
    grpc:
      endpoint: 127.0.0.1:%d
  jaeger_storage:
    backends:
      mem:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
      http:
        endpoint: 127.0.0.1:%d
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: mem
`

type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		TraceID       string `json:"traceID"`
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		Tags          []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"tags"`
	} `json:"spans"`
}

// TestQuickstartReachesJaeger runs the quickstart with OTLP forwarding
// pointed at a real Jaeger, then checks that every audited tool call
// arrived there as an execute_tool span with the GenAI attributes, matched
// by trace and span id.
func TestQuickstartReachesJaeger(t *testing.T) {
	if testing.Short() {
		t.Skip("long: builds and runs Jaeger")
	}
	bin := jaegerBinary(t)
	queryPort, queryGRPC, otlpGRPC, otlpHTTP := freePort(t), freePort(t), freePort(t), freePort(t)
	cfg := filepath.Join(t.TempDir(), "jaeger.yaml")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, jaegerConfig, queryPort, queryGRPC, otlpGRPC, otlpHTTP), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jaeger := exec.CommandContext(ctx, bin, "--config", cfg)
	logs, err := os.Create(filepath.Join(t.TempDir(), "jaeger.log"))
	require.NoError(t, err)
	jaeger.Stdout, jaeger.Stderr = logs, logs
	require.NoError(t, jaeger.Start())
	defer func() {
		cancel()
		_ = jaeger.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("jaeger log:\n%s", lastLines(string(b), 30))
		}
	}()
	queryURL := fmt.Sprintf("http://127.0.0.1:%d", queryPort)
	require.Eventually(t, func() bool {
		resp, err := http.Get(queryURL + "/api/services")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 60*time.Second, 200*time.Millisecond, "Jaeger did not start")

	for _, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			port := otlpHTTP
			if protocol == "grpc" {
				port = otlpGRPC
			}
			service := fmt.Sprintf("toolaudit-e2e-%s-%d", strings.ReplaceAll(protocol, "/", "-"), time.Now().UnixNano())
			root := t.TempDir()
			qs := exec.Command("go", "run", "./examples/quickstart", "-quiet", "-root", root)
			qs.Dir = ".."
			qs.Env = append(os.Environ(),
				fmt.Sprintf("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%d", port),
				"OTEL_EXPORTER_OTLP_PROTOCOL="+protocol,
				"OTEL_SERVICE_NAME="+service)
			out, err := qs.CombinedOutput()
			require.NoError(t, err, string(out))
			require.Contains(t, string(out), "forwarding spans over OTLP ("+protocol+")", "the quickstart says it forwards")

			// The audit files: every call, with its ids.
			r := reader.New(root)
			entries, err := reader.Collect(r.RecentAll(context.Background(), reader.Query{Days: 1, Limit: 100}))
			require.NoError(t, err)
			require.Len(t, entries, 5)

			var spans map[string]map[string]any // "trace/span" -> tags
			names := map[string]string{}
			require.Eventually(t, func() bool {
				resp, err := http.Get(queryURL + "/api/traces?service=" + service + "&limit=100")
				if err != nil {
					return false
				}
				defer resp.Body.Close()
				var body struct{ Data []jaegerTrace }
				if json.NewDecoder(resp.Body).Decode(&body) != nil {
					return false
				}
				spans = map[string]map[string]any{}
				for _, tr := range body.Data {
					for _, s := range tr.Spans {
						tags := map[string]any{}
						for _, tag := range s.Tags {
							tags[tag.Key] = tag.Value
						}
						key := strings.TrimLeft(s.TraceID, "0") + "/" + strings.TrimLeft(s.SpanID, "0")
						spans[key] = tags
						names[key] = s.OperationName
					}
				}
				return len(spans) >= len(entries)
			}, 30*time.Second, 250*time.Millisecond, "the spans did not reach Jaeger")

			for _, e := range entries {
				key := strings.TrimLeft(e.TraceID, "0") + "/" + strings.TrimLeft(e.SpanID, "0")
				tags, ok := spans[key]
				if !assert.True(t, ok, "audited call %s %s not in Jaeger", e.Tool, key) {
					continue
				}
				assert.Equal(t, "execute_tool "+e.Tool, names[key])
				assert.Equal(t, "execute_tool", tags["gen_ai.operation.name"])
				assert.Equal(t, e.Tool, tags["gen_ai.tool.name"])
				assert.Equal(t, e.User, tags["enduser.id"])
				assert.Equal(t, e.Engine, tags["gen_ai.provider.name"])
				assert.Equal(t, e.Model, tags["gen_ai.request.model"])
				assert.Equal(t, string(e.Status), tags["toolaudit.status"])
				_, hasArgs := tags["gen_ai.tool.call.arguments"]
				assert.False(t, hasArgs, "content is opt-in for backends")
			}
		})
	}
}
