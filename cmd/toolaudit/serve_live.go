package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/toolaudit/toolaudit/reader"
)

// liveShown is the number of recent calls the live page starts with.
const liveShown = 20

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
	seq := s.r.RecentAll(ctx, reader.Query{Days: 7, Limit: liveShown})
	if user != "" {
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
// "call" events with a callView as JSON, "warning" events with a refused
// user's error as a JSON string. It ends when the client goes or the
// server stops.
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
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\nevent: ready\ndata: {}\n\n")
	if rc.Flush() != nil {
		return
	}
	for e, err := range s.r.Follow(ctx, s.poll, users...) {
		event, data := "call", []byte(nil)
		if err != nil {
			if !isUserError(err) && !errors.Is(err, reader.ErrInvalidUser) {
				continue // the root missing for now, and the like: said once, following goes on
			}
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
