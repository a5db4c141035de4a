// Command quickstart audits a few tool calls of two users end to end: the
// calls become OpenTelemetry spans, the spans become JSON lines under a
// folder it prints (and pretty-printed spans on standard output, and over
// OTLP when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// is set), and the audit is read back with package reader. The calls are
// also measured (gen_ai.execute_tool.duration): it prints their counts per
// tool and outcome.
//
//	go run ./examples/quickstart            # audit files in a new temporary folder
//	go run ./examples/quickstart -root DIR  # audit files under DIR
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"

	"github.com/toolaudit/toolaudit/record"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/otlp"
	"github.com/toolaudit/toolaudit/reader"
)

func main() {
	root := flag.String("root", "", "audit root folder (default: a new temporary folder)")
	quiet := flag.Bool("quiet", false, "do not print the forwarded spans")
	flag.Parse()
	if err := run(context.Background(), *root, *quiet, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// weatherArgs is the input of the typed weather tool.
type weatherArgs struct {
	City string `json:"city"`
	Days int    `json:"days"`
}

func run(ctx context.Context, root string, quiet bool, out io.Writer) error {
	if root == "" {
		dir, err := os.MkdirTemp("", "toolaudit-quickstart-")
		if err != nil {
			return err
		}
		root = dir
	}
	fmt.Fprintf(out, "audit root: %s\n", root)

	// 1. The audit sink and a tracer provider wired for auditing, which also
	//    forwards every span to standard output.
	audit, err := exporter.New(root)
	if err != nil {
		return err
	}
	var spans io.Writer = out
	if quiet {
		spans = nil
	}
	opts := []otelx.Option{otelx.WithStdout(spans)}
	if otlp.Configured() {
		// The standard OTEL_EXPORTER_OTLP_* variables configure the exporter.
		exp, err := otlp.New(ctx)
		if err != nil {
			return err
		}
		opts = append(opts, otelx.WithForwarder(exp))
		fmt.Fprintf(out, "forwarding spans over OTLP (%s) to %s\n",
			cmp.Or(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf"),
			cmp.Or(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")))
	}
	if os.Getenv("OTEL_SERVICE_NAME") == "" {
		opts = append(opts, otelx.WithResource(resource.NewSchemaless(attribute.String("service.name", "toolaudit-quickstart"))))
	}
	tp, err := otelx.NewTracerProvider(audit, opts...)
	if err != nil {
		return err
	}

	// The tool metrics, read here by hand; prom.NewMeterProvider or
	// otlp.NewMetricReader would export them.
	metrics := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics))

	// 2. Wrap the tools. The authorizer refuses shell commands for bob.
	mw := toolaudit.New(
		toolaudit.WithTracerProvider(tp),
		toolaudit.WithMeterProvider(mp),
		toolaudit.WithAuthorizer(func(ctx context.Context, c toolaudit.Call) error {
			if c.Tool == "shell" && c.User == "bob" {
				return errors.New("bob may not run shell commands")
			}
			return nil
		}),
	)
	search := mw.Wrap("search", func(ctx context.Context, args map[string]any) (string, error) {
		return fmt.Sprintf("3 results for %q", args["q"]), nil
	})
	shell := mw.Wrap("shell", func(ctx context.Context, args map[string]any) (string, error) {
		return "ok: " + fmt.Sprint(args["cmd"]), nil
	})
	weather := toolaudit.WrapFunc(mw, "weather", func(ctx context.Context, in weatherArgs) (string, error) {
		if in.City == "" {
			return "", errors.New("city is required")
		}
		return fmt.Sprintf("%s: sunny, 21 °C for %d days", in.City, in.Days), nil
	})

	// 3. An agent run per user: the context carries the user, engine and model.
	alice := toolaudit.ContextWithRun(toolaudit.ContextWithUser(ctx, "alice"), "anthropic", "claude-sonnet-4-5")
	bob := toolaudit.ContextWithRun(toolaudit.ContextWithUser(ctx, "bob"), "openai", "gpt-5")
	calls := []func() error{
		func() error {
			_, err := search(alice, map[string]any{"q": "café opening hours", "notes": strings.Repeat("x", 600)})
			return err
		},
		func() error { _, err := weather(alice, weatherArgs{City: "Zürich", Days: 3}); return err },
		func() error { _, err := weather(bob, weatherArgs{}); return err },
		func() error { _, err := shell(bob, map[string]any{"cmd": "rm -rf /"}); return err },
		func() error { _, err := shell(alice, map[string]any{"cmd": "ls"}); return err },
	}
	for _, call := range calls {
		if err := call(); err != nil {
			fmt.Fprintf(out, "tool error (audited): %v\n", err)
		}
	}

	// 4. Shutdown writes everything accepted so far.
	if err := tp.Shutdown(ctx); err != nil {
		return err
	}

	// 5. The calls measured, per tool and outcome.
	if err := printMetrics(ctx, metrics, out); err != nil {
		return err
	}

	// 6. Read the audit back.
	r := reader.New(root)
	users, err := r.Users(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nusers: %s\n", strings.Join(users, ", "))
	entries, err := reader.Collect(r.RecentAll(ctx, reader.Query{}))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "recent entries, newest first:\n")
	for _, e := range entries {
		args := string(e.Args)
		if len(args) > 60 {
			args = args[:57] + "..."
		}
		fmt.Fprintf(out, "  %s %-5s %-7s %-6s %s -> %q\n", e.Time.Format(record.TimeLayout), e.User, e.Tool, e.Status, args, e.ResultSnippet)
	}
	return nil
}

// printMetrics prints the count of gen_ai.execute_tool.duration per tool
// and outcome.
func printMetrics(ctx context.Context, rd *sdkmetric.ManualReader, out io.Writer) error {
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(ctx, &rm); err != nil {
		return err
	}
	var rows []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok || m.Name != "gen_ai.execute_tool.duration" {
				continue
			}
			for _, dp := range h.DataPoints {
				tool, _ := dp.Attributes.Value("gen_ai.tool.name")
				status, _ := dp.Attributes.Value("toolaudit.status")
				rows = append(rows, fmt.Sprintf("  %-7s %-6s %d", tool.AsString(), status.AsString(), dp.Count))
			}
		}
	}
	slices.Sort(rows)
	fmt.Fprintf(out, "\ncalls measured (gen_ai.execute_tool.duration count):\n%s\n", strings.Join(rows, "\n"))
	return nil
}
