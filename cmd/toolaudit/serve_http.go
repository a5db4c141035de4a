package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"html/template"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/toolaudit/toolaudit/reader"
)

//go:embed web/templates/*.html web/static/*
var webFiles embed.FS

// contentSecurityPolicy allows the page's own stylesheet, script and SSE
// only: no inline script or style, no other origin, no framing, and DOM
// sinks such as innerHTML refuse strings (Trusted Types).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'; report-uri /csp-report"

// server is the state of serve: read-only, safe for concurrent requests.
type server struct {
	r         *reader.Reader
	now       func() time.Time
	traceURL  string
	poll      time.Duration
	creds     *credentials // nil: no authentication (loopback only)
	log       io.Writer
	pages     map[string]*template.Template
	checkRoot func() error // the root's state, for the live stream's warning
	cspMu     sync.Mutex
	cspWindow time.Time     // the start of the minute counted
	cspLogged int           // reports in that minute
	streams   chan struct{} // a token per /events stream open, liveMax at most
}

// credentials are the basic-auth user and password, kept as hashes so
// that comparing them takes the same time whatever was sent.
type credentials struct{ user, pass [sha256.Size]byte }

func newCredentials(user, pass string) *credentials {
	return &credentials{sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))}
}

func (c *credentials) match(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	hu, hp := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	return ok && subtle.ConstantTimeCompare(hu[:], c.user[:])&subtle.ConstantTimeCompare(hp[:], c.pass[:]) == 1
}

func (s *server) handler() http.Handler {
	s.pages = parsePages()
	s.streams = make(chan struct{}, liveMax)
	static, _ := fs.Sub(webFiles, "web/static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("POST /csp-report", s.cspReport)
	mux.HandleFunc("GET /{$}", s.users)
	mux.HandleFunc("GET /u/{user}", s.recent)
	mux.HandleFunc("GET /u/{user}/call", s.call)
	mux.HandleFunc("GET /u/{user}/{day}", s.day)
	mux.HandleFunc("GET /stats", s.stats)
	mux.HandleFunc("GET /live", s.live)
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, "no such page: "+cut(sanitize(r.URL.Path), 100))
	})
	return s.guard(mux)
}

// guard sets the security headers of every answer and checks the
// credentials, or, without them, that the request names a loopback host:
// a web page elsewhere cannot then read the audit by pointing a name of
// its own at 127.0.0.1 (DNS rebinding).
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if s.creds != nil {
			if !s.creds.match(r) {
				h.Set("WWW-Authenticate", `Basic realm="toolaudit", charset="UTF-8"`)
				s.fail(w, http.StatusUnauthorized, "authentication required")
				return
			}
		} else if host := hostOnly(r.Host); !isLoopbackHost(host) {
			s.fail(w, http.StatusForbidden, "this server answers only to a loopback host name (localhost, 127.0.0.1, [::1]), not "+cut(sanitize(r.Host), 100))
			return
		}
		// A path ServeMux would clean (//, /./, /..) gets a 404 page of ours:
		// the mux's redirect echoes the query into a body of its own.
		if p := r.URL.EscapedPath(); p != "/" && path.Clean(p) != strings.TrimSuffix(p, "/") {
			s.fail(w, http.StatusNotFound, "no such page: "+cut(sanitize(p), 100))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.URL.Path != "/csp-report" {
			h.Set("Allow", "GET, HEAD")
			s.fail(w, http.StatusMethodNotAllowed, "read-only: method "+cut(sanitize(r.Method), 20)+" not allowed")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// cspReportsPerMinute bounds the reports logged: any page can post them,
// cross-site too.
const cspReportsPerMinute = 10

// cspReport logs the violation reports browsers send, one line each, at
// most cspReportsPerMinute a minute; a body over 8 KiB is cut.
func (s *server) cspReport(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(http.MaxBytesReader(w, r.Body, 8<<10), 8<<10))
	s.cspMu.Lock()
	if now := time.Now(); now.Sub(s.cspWindow) >= time.Minute {
		s.cspWindow, s.cspLogged = now, 0
	}
	s.cspLogged++
	n := s.cspLogged
	s.cspMu.Unlock()
	switch {
	case n <= cspReportsPerMinute:
		log.New(s.log, "", 0).Printf("toolaudit: serve: CSP violation reported: %s", cut(sanitize(string(b)), 2000))
	case n == cspReportsPerMinute+1:
		log.New(s.log, "", 0).Printf("toolaudit: serve: more than %d CSP violation reports this minute: not logging the rest", cspReportsPerMinute)
	}
	w.WriteHeader(http.StatusNoContent)
}

// page is what every template gets.
type page struct {
	Title    string
	Nav      string // the nav entry to mark current
	Warnings []string
	Data     any
}

// render executes the named page template into a buffer first, so that a
// failure is a 500 page, not half a page.
func (s *server) render(w http.ResponseWriter, status int, name string, p page) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		log.New(s.log, "", 0).Printf("toolaudit: serve: rendering %s: %v", name, err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail answers with an error page naming the problem.
func (s *server) fail(w http.ResponseWriter, status int, problem string) {
	s.render(w, status, "error", page{Title: http.StatusText(status), Data: struct {
		Status  int
		Problem string
	}{status, problem}})
}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{"clean": sanitize, "deref": func(p *float64) float64 { return *p }}
	pages := map[string]*template.Template{}
	for _, name := range []string{"users", "recent", "day", "call", "stats", "live", "error"} {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(webFiles,
			"web/templates/layout.html", "web/templates/entries.html", "web/templates/"+name+".html"))
	}
	return pages
}
