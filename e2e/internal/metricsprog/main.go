// Command metricsprog serves the metrics of audited tool calls for the
// Prometheus end-to-end test. It serves /metrics on -addr, prints
// "listening ADDR", then reads commands from standard input, one a line,
// and answers each with one line once done:
//
//	USER TOOL   call TOOL (search: ok, fail: an error, shell: refused for bob)
//	quit        shut down and exit
//
// Every call waits until its audit line is written (or spilled).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/otelx/prom"
)

func main() {
	root := flag.String("root", "", "audit root folder")
	addr := flag.String("addr", "127.0.0.1:0", "address to serve /metrics on")
	spill := flag.Int("spill", 16<<20, "bytes of lines kept after a failed write")
	flag.Parse()
	if err := run(*root, *addr, *spill); err != nil {
		log.Fatal(err)
	}
}

func run(root, addr string, spill int) error {
	ctx := context.Background()
	mp, handler, err := prom.NewMeterProvider()
	if err != nil {
		return err
	}
	exp, err := exporter.New(root, exporter.WithMeterProvider(mp), exporter.WithMaxSpillBytes(spill),
		exporter.WithRetryInterval(200*time.Millisecond), exporter.WithErrorHandler(func(error) {}))
	if err != nil {
		return err
	}
	tp, err := otelx.NewTracerProvider(exp, otelx.WithWaitForExport())
	if err != nil {
		return err
	}
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp), toolaudit.WithMeterProvider(mp),
		toolaudit.WithAuthorizer(func(_ context.Context, c toolaudit.Call) error {
			if c.Tool == "shell" && c.User == "bob" {
				return errors.New("bob may not run shell commands")
			}
			return nil
		}))
	tools := map[string]toolaudit.Tool{
		"search": mw.Wrap("search", func(context.Context, map[string]any) (string, error) { return "3 results", nil }),
		"fail":   mw.Wrap("fail", func(context.Context, map[string]any) (string, error) { return "", errors.New("backend down") }),
		"shell":  mw.Wrap("shell", func(context.Context, map[string]any) (string, error) { return "ok", nil }),
	}

	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", handler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	fmt.Printf("listening %s\n", l.Addr())

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch {
		case len(f) == 1 && f[0] == "quit":
			return errors.Join(srv.Shutdown(ctx), tp.Shutdown(ctx), mp.Shutdown(ctx))
		case len(f) == 2 && tools[f[1]] != nil:
			_, err := tools[f[1]](toolaudit.ContextWithUser(ctx, f[0]), map[string]any{"q": "x"})
			fmt.Printf("done %v\n", err != nil)
		default:
			fmt.Printf("bad command %q\n", in.Text())
		}
	}
	return in.Err()
}
