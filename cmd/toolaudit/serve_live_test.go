package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openEvents connects to /events and waits for its ready event; the
// stream is closed at the end of the test.
func openEvents(t *testing.T, url string) (*http.Response, *bufio.Scanner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	sc := bufio.NewScanner(resp.Body)
	if resp.StatusCode == http.StatusOK {
		for sc.Scan() && sc.Text() != "event: ready" {
		}
	}
	return resp, sc
}

// Live connections are capped: each follows the audit on its own, so the
// one past the cap is refused with 503 and a message, and a place freed is
// taken again.
func TestServeLiveConnectionsCapped(t *testing.T) {
	ts := serveApp(t, sample(t), serveOptions{poll: time.Hour}, nil)
	var first *http.Response
	for i := range liveMax {
		resp, _ := openEvents(t, ts.URL+"/events")
		require.Equal(t, http.StatusOK, resp.StatusCode, i)
		if i == 0 {
			first = resp
		}
	}
	resp, sc := openEvents(t, ts.URL+"/events?user=alice")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	var body strings.Builder
	for sc.Scan() {
		body.WriteString(sc.Text())
	}
	assert.Contains(t, body.String(), "too many live connections")
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	first.Body.Close()
	require.Eventually(t, func() bool {
		resp, _ := openEvents(t, ts.URL+"/events")
		return resp.StatusCode == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond, "a closed connection frees its place")
}

// An error that is not one user's, such as the root gone, is a warning
// event, once, not silence.
func TestServeLiveWarnsOfOtherErrors(t *testing.T) {
	root := sample(t)
	ts := serveApp(t, root, serveOptions{poll: 20 * time.Millisecond}, nil)
	require.NoError(t, os.RemoveAll(root))
	_, sc := openEvents(t, ts.URL+"/events")
	var got []string
	for sc.Scan() {
		if sc.Text() == "event: warning" {
			sc.Scan()
			got = append(got, sc.Text())
			break
		}
	}
	require.Len(t, got, 1, "a warning event")
	assert.Contains(t, got[0], "does not exist")
}
