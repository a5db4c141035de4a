package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// promtool returns the path of promtool, or skips the test saying why.
func promtool(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("skipped: promtool not found (Debian: apt-get install prometheus): the alert rules are not checked")
	}
	return bin
}

// TestAlertRules checks docs/alerts.yml and runs its unit tests,
// docs/alerts_test.yml.
func TestAlertRules(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = filepath.Join("..", "docs")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool %s: %s", strings.Join(args, " "), out)
		require.Contains(t, string(out), "SUCCESS", "promtool %s", strings.Join(args, " "))
	}
}

const prometheusConfig = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: metricsprog
    scrape_interval: 200ms
    scrape_timeout: 200ms
    static_configs: [{targets: [%q]}]
`

// prog is the running metricsprog.
type prog struct {
	t   *testing.T
	in  io.Writer
	out *bufio.Scanner
}

// call makes user call tool in the program, and waits until it is done.
func (p prog) call(user, tool string, times int) {
	p.t.Helper()
	for range times {
		_, err := fmt.Fprintf(p.in, "%s %s\n", user, tool)
		require.NoError(p.t, err)
		require.True(p.t, p.out.Scan(), "metricsprog ended")
		require.True(p.t, strings.HasPrefix(p.out.Text(), "done "), p.out.Text())
	}
}

// query asks Prometheus for the instant vector of q: each series by its
// labels (k=v,k=v sorted, without __name__, job and instance), to its value.
func query(t *testing.T, base, q string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Status string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, "success", body.Status, q)
	got := map[string]float64{}
	for _, r := range body.Data.Result {
		var kv []string
		for k, v := range r.Metric {
			if k != "__name__" && k != "job" && k != "instance" {
				kv = append(kv, k+"="+v)
			}
		}
		sort.Strings(kv)
		v, err := strconv.ParseFloat(r.Value[1].(string), 64)
		require.NoError(t, err)
		got[strings.Join(kv, ",")] = v
	}
	return got
}

// eventually waits until Prometheus answers q with want.
func eventually(t *testing.T, base, q string, want map[string]float64) {
	t.Helper()
	var got map[string]float64
	if !assert.Eventually(t, func() bool {
		got = query(t, base, q)
		return assert.ObjectsAreEqual(want, got)
	}, 30*time.Second, 200*time.Millisecond) {
		t.Fatalf("%s: got %v, want %v", q, got, want)
	}
}

// TestPrometheusScrapesToolMetrics runs a real Prometheus scraping a
// program that makes a known mix of calls, and checks through Prometheus's
// HTTP API the tool metrics per tool and outcome, then the audit's health
// through a disk fault (a file where a user's folder should be, which stops
// root too) and its recovery, with the alert on lost lines firing.
func TestPrometheusScrapesToolMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("long: runs Prometheus")
	}
	promBin := os.Getenv("PROMETHEUS_BIN")
	if promBin == "" {
		var err error
		if promBin, err = exec.LookPath("prometheus"); err != nil {
			t.Skip("skipped: prometheus not found (Debian: apt-get install prometheus; or set PROMETHEUS_BIN)")
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "metricsprog")
	build := exec.Command("go", "build", "-o", bin, "./internal/metricsprog")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	root := filepath.Join(dir, "audit")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A spill of 1000 bytes holds two or three lines: the fault below gives
	// some up.
	cmd := exec.CommandContext(ctx, bin, "-root", root, "-spill", "1000")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder // the exporter's reports of the fault, shown on failure
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("metricsprog stderr:\n%s", lastLines(stderr.String(), 30))
		}
	}()
	p := prog{t: t, in: stdin, out: bufio.NewScanner(stdout)}
	require.True(t, p.out.Scan())
	target, ok := strings.CutPrefix(p.out.Text(), "listening ")
	require.True(t, ok, p.out.Text())

	rules, err := filepath.Abs(filepath.Join("..", "docs", "alerts.yml"))
	require.NoError(t, err)
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, prometheusConfig, rules, target), 0o600))
	port := freePort(t)
	logs, err := os.Create(filepath.Join(dir, "prometheus.log"))
	require.NoError(t, err)
	pr := exec.CommandContext(ctx, promBin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	pr.Stdout, pr.Stderr = logs, logs
	require.NoError(t, pr.Start())
	defer func() {
		cancel()
		_ = pr.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("prometheus log:\n%s", lastLines(string(b), 30))
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "Prometheus did not start")

	// Scraped before the calls: the counters' increases are then seen whole.
	eventually(t, base, `up{job="metricsprog"}`, map[string]float64{"": 1})

	// The mix.
	p.call("alice", "search", 3)
	p.call("alice", "fail", 2)
	p.call("bob", "shell", 2)
	p.call("alice", "shell", 1)
	eventually(t, base, "sum by (gen_ai_tool_name, toolaudit_status, error_type) (gen_ai_execute_tool_duration_seconds_count)", map[string]float64{
		"gen_ai_tool_name=search,toolaudit_status=ok":                                 3,
		"error_type=*errors.errorString,gen_ai_tool_name=fail,toolaudit_status=error": 2,
		"gen_ai_tool_name=shell,toolaudit_status=denied":                              2,
		"gen_ai_tool_name=shell,toolaudit_status=ok":                                  1,
	})
	health := `sum by (m) (label_replace({__name__=~"toolaudit_audit_.*"}, "m", "$1", "__name__", "toolaudit_audit_(.*)"))`
	healthy := func(written float64) map[string]float64 {
		return map[string]float64{"m=lines_written_total": written, "m=lines_failed_total": 0, "m=lines_pending": 0, "m=files_open": 2}
	}
	eventually(t, base, health, healthy(8))
	assert.Empty(t, query(t, base, `ALERTS{alertname=~"ToolauditAudit.*"}`))

	// The fault: mallory's folder cannot be made.
	blocker := filepath.Join(root, "mallory")
	require.NoError(t, os.WriteFile(blocker, []byte("in the way"), 0o600))
	const faulty = 6
	p.call("mallory", "search", faulty)
	var got map[string]float64
	require.Eventually(t, func() bool {
		got = query(t, base, health)
		return got["m=lines_pending"] > 0 && got["m=lines_failed_total"] > 0 &&
			got["m=lines_pending"]+got["m=lines_failed_total"] == faulty && got["m=last_error_time_seconds"] > 0
	}, 30*time.Second, 200*time.Millisecond, "the fault in the health metrics: %v", got)
	t.Logf("during the fault: %v", got)
	assert.InDelta(t, float64(time.Now().Unix()), got["m=last_error_time_seconds"], 60)
	pending := got["m=lines_pending"]
	eventually(t, base, `count by (alertname, alertstate) (ALERTS{alertname=~"ToolauditAudit.*"})`,
		map[string]float64{"alertname=ToolauditAuditLinesFailed,alertstate=firing": 1, "alertname=ToolauditAuditLinesPending,alertstate=pending": 1})

	// The recovery: the spill is written by the exporter's retry.
	require.NoError(t, os.Remove(blocker))
	eventually(t, base, `sum(toolaudit_audit_lines_pending)`, map[string]float64{"": 0})
	got = query(t, base, health)
	assert.Equal(t, 8+pending, got["m=lines_written_total"], "the pending lines were written: %v", got)
	assert.Equal(t, 3.0, got["m=files_open"])
	p.call("mallory", "search", 1)
	eventually(t, base, `sum(toolaudit_audit_lines_written_total)`, map[string]float64{"": 9 + pending})
	eventually(t, base, `sum(gen_ai_execute_tool_duration_seconds_count)`, map[string]float64{"": 8 + faulty + 1})

	_, err = fmt.Fprintln(stdin, "quit")
	require.NoError(t, err)
}
