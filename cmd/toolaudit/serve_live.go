package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/toolaudit/toolaudit/reader"
)

// liveShown is the number of recent calls the live page starts with.
const liveShown = 20

// liveMax caps the /events connections open at once. Each runs a Follow
// of its own (polling, one open file per user followed); past the cap a
// connection is refused with 503. A cap rather than one Follow shared by
// every connection: each connection keeps Follow's contract as it is (its
// user only, lines from its start, a lasting warning told to it too), and
// no subscriber too slow to keep up can hold the others back.
const liveMax = 32

type liveData struct {
	User   string
	Events string // the SSE URL the script connects to
	Calls  []callView
}

// live shows the newest calls, server-rendered; its script (live.js) adds
// the calls that /events announces, newest on top.
func (s *server) live(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := r.URL.Query().Get("user")
	var seq readSeq
	if user == "" {
		seq = s.r.RecentAll(ctx, reader.Query{Days: 7, Limit: liveShown})
	} else {
		seq = s.r.Recent(ctx, user, reader.Query{Days: 7, Limit: liveShown})
	}
	d := liveData{User: user, Events: "/events"}
	if user != "" {
		d.Events += "?" + url.Values{"user": {user}}.Encode()
	}
	var warns []string
	for e, err := range seq {
		if err != nil {
			if errors.Is(err, reader.ErrInvalidUser) {
				s.fail(w, http.StatusBadRequest, err.Error())
				return
			}
			if warns, err = userWarnings(warns, err); err != nil {
				s.fail(w, http.StatusInternalServerError, err.Error())
				return
			}
			continue
		}
		d.Calls = append(d.Calls, s.view(&e))
	}
	s.render(w, http.StatusOK, "live", page{Title: "Live", Nav: "live", Warnings: warns, Data: d})
}

// events streams, as server-sent events, the calls appended from now on:
// "call" events with a callView as JSON, "warning" events with an error
// as a JSON string (a refused user, the root missing: each once while it
// lasts, as Follow yields them). It ends when the client goes or the
// server stops; past liveMax streams at once it answers 503.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var users []string
	if u := r.URL.Query().Get("user"); u != "" {
		if _, err := s.r.Days(ctx, u); errors.Is(err, reader.ErrInvalidUser) {
			s.fail(w, http.StatusBadRequest, err.Error())
			return
		}
		users = []string{u}
	}
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		w.Header().Set("Retry-After", "10")
		s.fail(w, http.StatusServiceUnavailable, fmt.Sprintf("too many live connections (%d): reload later", liveMax))
		return
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's ReadTimeout: with the read deadline
	// left, the connection's background read would fail and end the stream.
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\nevent: ready\ndata: {}\n\n")
	if rc.Flush() != nil {
		return
	}
	if err := s.checkRoot(); err != nil {
		// The reader follows a root that does not exist yet in silence.
		fmt.Fprintf(w, "event: warning\ndata: %s\n\n", mustJSON(oneLine(err.Error())))
		if rc.Flush() != nil {
			return
		}
	}
	for e, err := range s.r.Follow(ctx, s.poll, users...) {
		event, data := "call", []byte(nil)
		if err != nil {
			// Follow yields each error once while it lasts, and goes on.
			event, data = "warning", mustJSON(oneLine(err.Error()))
		} else {
			data = mustJSON(s.view(&e))
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// mustJSON marshals v, which cannot fail for strings and callView. JSON
// never holds a raw line break, so one data line carries it.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
