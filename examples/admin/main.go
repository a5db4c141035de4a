// Command admin serves the recent-activity view of the audit log over HTTP,
// as an admin page of an agent platform would, with the reader package:
//
//	go run ./examples/admin -root ./home -addr localhost:8080
//	curl localhost:8080/users
//	curl 'localhost:8080/users/alice/recent?days=7&limit=50'
//	curl localhost:8080/users/alice/days/2026-11-27
//	curl 'localhost:8080/recent?limit=100'
//
// User names and days come from the request, so they are hostile input:
// the reader refuses anything that could leave the audit root, and the
// handlers answer 400 with the reader's message, which names what was
// wrong. Each answer is a JSON array of audit entries (the file's format);
// a user whose folder or file cannot be read is named in an X-Refused-User
// header and the others are answered all the same.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/toolaudit/toolaudit/reader"
)

func main() {
	root := flag.String("root", "./home", "audit root folder")
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	flag.Parse()
	srv := &http.Server{Addr: *addr, Handler: handler(reader.New(*root)), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("serving the audit under %s on http://%s", *root, *addr)
	log.Fatal(srv.ListenAndServe())
}

// handler routes the admin endpoints to r.
func handler(r *reader.Reader) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, req *http.Request) {
		users, err := r.Users(req.Context())
		reply(w, list(users), err)
	})
	mux.HandleFunc("GET /users/{user}/recent", withQuery(func(req *http.Request, q reader.Query) ([]record.Entry, error) {
		return reader.Collect(r.Recent(req.Context(), req.PathValue("user"), q))
	}))
	mux.HandleFunc("GET /users/{user}/days/{day}", func(w http.ResponseWriter, req *http.Request) {
		entries, err := reader.Collect(r.Day(req.Context(), req.PathValue("user"), req.PathValue("day")))
		reply(w, list(entries), err)
	})
	mux.HandleFunc("GET /recent", withQuery(func(req *http.Request, q reader.Query) ([]record.Entry, error) {
		return reader.Collect(r.RecentAll(req.Context(), q))
	}))
	return mux
}

// withQuery serves the entries read returns for the days and limit of the
// request's query.
func withQuery(read func(*http.Request, reader.Query) ([]record.Entry, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		q, err := query(req)
		if err != nil {
			reply(w, nil, err)
			return
		}
		entries, err := read(req, q)
		reply(w, list(entries), err)
	}
}

// errBadParam marks a query parameter that is not a number.
var errBadParam = errors.New("bad parameter")

// query reads days and limit (absent means the reader's defaults).
func query(req *http.Request) (reader.Query, error) {
	var q reader.Query
	for _, p := range []struct {
		name string
		dst  *int
	}{{"days", &q.Days}, {"limit", &q.Limit}} {
		if s := req.URL.Query().Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return q, fmt.Errorf("%w: %s=%q is not a number", errBadParam, p.name, s)
			}
			*p.dst = n
		}
	}
	return q, nil
}

// reply writes v as JSON, or err with the status it deserves: 400 for what
// the request got wrong, 500 for the rest. Users whose folder or file was
// refused (reader.UserError) do not hide the others: v is sent, with one
// X-Refused-User header per refused user.
func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil && onlyRefusedUsers(err, w.Header()) {
		err = nil
	}
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, reader.ErrInvalidUser) || errors.Is(err, reader.ErrInvalidDay) ||
			errors.Is(err, reader.ErrInvalidQuery) || errors.Is(err, errBadParam) {
			status = http.StatusBadRequest
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	json.NewEncoder(w).Encode(v)
}

// onlyRefusedUsers adds a header per *reader.UserError in err and reports
// whether err holds nothing else.
func onlyRefusedUsers(err error, h http.Header) bool {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var users []string
	for _, e := range errs {
		var ue *reader.UserError
		if !errors.As(e, &ue) {
			return false
		}
		users = append(users, ue.User)
	}
	for _, u := range users {
		h.Add("X-Refused-User", u)
	}
	return true
}

// list is s, empty rather than nil: [] in JSON, not null.
func list[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
