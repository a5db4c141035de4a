package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/toolaudit/toolaudit/reader"
)

// envServeAuth holds basic-auth credentials, "user:password", for serve.
const envServeAuth = "TOOLAUDIT_SERVE_AUTH"

// serveOptions are the flags of serve.
type serveOptions struct {
	addr     string
	authFile string
	traceURL string
	poll     time.Duration
}

func (a *app) serveCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a read-only web view of the audit: users, recent calls, days, calls, stats, live",
		Long: `serve answers HTTP on --addr with read-only pages of the audit under --root.
It listens on loopback by default; on any other address it refuses to start
unless basic-auth credentials ("user:password") are given in the file
--auth-file or in $TOOLAUDIT_SERVE_AUTH. Stop it with Ctrl-C.`,
		Example: `  toolaudit serve --root /var/lib/agent/home
  toolaudit serve --addr 0.0.0.0:8080 --auth-file /etc/toolaudit/serve.auth
  toolaudit serve --trace-url 'http://jaeger:16686/trace/{trace_id}'`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.untilStopped = true
			h, err := a.newServer(o)
			if err != nil {
				return err
			}
			l, err := net.Listen("tcp", o.addr)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.env.stderr, "toolaudit: serving %s (read-only) on http://%s/\n", a.root, l.Addr())
			return serveUntilDone(cmd.Context(), l, h)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on; other than loopback it needs --auth-file or $"+envServeAuth)
	f.StringVar(&o.authFile, "auth-file", "", `file holding the basic-auth credentials "user:password" (else $`+envServeAuth+`)`)
	f.StringVar(&o.traceURL, "trace-url", "", "link each call to its trace: an http(s) URL with {trace_id} in it")
	f.DurationVar(&o.poll, "poll", 250*time.Millisecond, "how often the live page looks for new lines")
	return cmd
}

// newServer checks the options and returns the handler of serve.
func (a *app) newServer(o serveOptions) (http.Handler, error) {
	if err := a.checkRoot(); err != nil {
		return nil, err
	}
	creds, err := loadCredentials(o.authFile, a.env.getenv(envServeAuth))
	if err != nil {
		return nil, err
	}
	loop, err := isLoopbackAddr(o.addr)
	if err != nil {
		return nil, usageError{err}
	}
	if !loop && creds == nil {
		return nil, usageError{fmt.Errorf("refusing to serve on %q without authentication: it is not a loopback address; give --auth-file or $%s (\"user:password\")", o.addr, envServeAuth)}
	}
	if err := checkTraceURL(o.traceURL); err != nil {
		return nil, usageError{err}
	}
	s := &server{
		r:         reader.New(a.root, reader.WithClock(a.env.now)),
		now:       a.env.now,
		traceURL:  o.traceURL,
		poll:      o.poll,
		creds:     creds,
		log:       a.env.stderr,
		checkRoot: a.checkRoot,
	}
	return s.handler(), nil
}

// serveUntilDone serves l until ctx is done, then shuts down: the
// requests' contexts derive from ctx, so live pages end too.
func serveUntilDone(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := newHTTPServer(h)
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return ctx.Err()
}

// serveTimeouts bound how long a client may take to send a request and
// keep an idle connection. There is no WriteTimeout: it would cut the
// live streams, which clear their read deadline themselves.
var serveTimeouts = struct{ header, read, idle time.Duration }{10 * time.Second, 30 * time.Second, 2 * time.Minute}

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: serveTimeouts.header,
		ReadTimeout:       serveTimeouts.read,
		IdleTimeout:       serveTimeouts.idle,
	}
}

// isLoopbackAddr reports whether addr (host:port) listens on loopback only:
// "localhost" or a loopback IP. An empty host means every interface.
func isLoopbackAddr(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("invalid --addr %q: %w", addr, err)
	}
	return isLoopbackHost(host), nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkTraceURL accepts "" or an absolute http(s) URL holding {trace_id}.
func checkTraceURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(strings.ReplaceAll(s, "{trace_id}", "0"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid --trace-url %q: want an http:// or https:// URL", s)
	}
	if !strings.Contains(s, "{trace_id}") {
		return fmt.Errorf("invalid --trace-url %q: it has no {trace_id}", s)
	}
	return nil
}

// loadCredentials reads "user:password" from file, else from env; nil when
// neither is set.
func loadCredentials(file, env string) (*credentials, error) {
	src, text := "$"+envServeAuth, env
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading --auth-file: %w", err)
		}
		src, text = "--auth-file "+file, string(b)
	}
	text = strings.TrimRight(text, "\r\n")
	if file == "" && text == "" {
		return nil, nil
	}
	user, pass, ok := strings.Cut(text, ":")
	if !ok || user == "" || strings.ContainsAny(text, "\r\n") {
		return nil, usageError{fmt.Errorf("invalid credentials in %s: want one line \"user:password\"", src)}
	}
	if len(pass) < 12 {
		return nil, usageError{fmt.Errorf("invalid credentials in %s: the password must have at least 12 characters", src)}
	}
	return newCredentials(user, pass), nil
}
