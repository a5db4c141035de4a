//go:build unix

package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A refused user is a warning on every page, never a blank or failed page.
func TestServeShowsRefusedUsersAsWarnings(t *testing.T) {
	ts := serveApp(t, badRoot(t), serveOptions{}, nil)
	for path, want := range map[string][]string{
		"/":               {"carol", "alice"},
		"/u/bob":          {},
		"/u/dan":          {"d-old"},
		"/stats":          {"c-tool"},
		"/live":           {"c-tool"},
		"/u/carol":        {"c-tool"},
		"/stats?user=bob": {},
	} {
		resp, body := get(t, ts.URL+path)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		if path != "/u/carol" {
			assert.Contains(t, body, `id="warnings"`, path)
		}
		for _, w := range want {
			assert.Contains(t, body, w, path)
		}
		assert.NotContains(t, body, "secret", path)
	}
	_, body := get(t, ts.URL+"/")
	assert.Contains(t, body, "user bob: ")
	assert.Contains(t, body, "bob/tool_audit")
}
