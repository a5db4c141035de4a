package browser

import (
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/record"
)

// seedTree writes several users and days, hostile arguments among them,
// and a user whose folder leads out of the root (refused).
func seedTree(t *testing.T) string {
	root := t.TempDir()
	now := time.Now()
	hostile := call("alice", "search", record.StatusOK, now.Add(-50*time.Minute),
		`{"q":"`+strings.ReplaceAll(hostileScript, `"`, `\"`)+`","link":"`+hostileLink+`","b":"`+bidi+`"}`)
	hostile.ResultSnippet = hostileImg
	hostile.TraceID, hostile.SpanID, hostile.CallID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "call-hostile"
	var es []record.Entry
	for i := range 8 {
		st := record.StatusOK
		if i%3 == 0 {
			st = record.StatusError
		}
		e := call("alice", []string{"search", "fetch_url", "shell"}[i%3], st, now.Add(-time.Duration(30+10*i)*time.Hour), `{"i":`+string(rune('0'+i))+`}`)
		e.Duration = time.Duration(5+40*i*i) * time.Millisecond
		es = append(es, e)
	}
	es = append(es,
		call("alice", "search", record.StatusError, now.Add(-40*time.Minute), `{"q":"weather in Paris"}`),
		call("alice", "fetch_url", record.StatusDenied, now.Add(-30*time.Minute), `{"url":"`+hostileLink+`"}`),
		hostile,
		call("bob", "shell", record.StatusOK, now.Add(-72*time.Hour), `{"cmd":"ls"}`),
		call("bob", "search", record.StatusOK, now.Add(-20*time.Minute), `{"q":"`+bidi+`"}`),
		call("carol", "read_file", record.StatusOK, now.Add(-48*time.Hour), `{"path":"/etc/hosts"}`),
	)
	seed(t, root, es...)
	outside := t.TempDir()
	seed(t, outside, call("victim", "secret", record.StatusOK, now, `{}`))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "mallory"), 0o700))
	require.NoError(t, os.Symlink(filepath.Join(outside, "victim", "tool_audit"), filepath.Join(root, "mallory", "tool_audit")))
	return root
}

func TestServeInBrowser(t *testing.T) {
	ctx, console := browser(t)
	root := seedTree(t)
	srv := serve(t, buildToolaudit(t), root, "--trace-url", "http://jaeger.invalid:16686/trace/{trace_id}")
	r := reader.New(root)
	bg := context.Background()
	// One folder for every page's screenshot: kept with go test -artifacts
	// (under -outputdir), else temporary.
	shots := t.ArtifactDir()
	t.Logf("screenshots in %s", shots)

	// noHostileScriptRan checks, on the page shown, that no hostile
	// text ran or became a link.
	noHostileScriptRan := func(where string) {
		assert.True(t, eval[bool](t, ctx, `typeof window.pwned === "undefined"`), "a hostile script ran on %s", where)
		assert.Zero(t, eval[int](t, ctx, `document.querySelectorAll('a[href^="javascript:" i], img, iframe, script:not([src="/static/live.js"])').length`), where)
		assert.NotContains(t, eval[string](t, ctx, `document.body.textContent`), "\u202e", where)
	}

	t.Run("users", func(t *testing.T) {
		step(t, ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("users")))
		users, err := r.Users(bg)
		require.Error(t, err, "mallory is refused")
		assert.Equal(t, users, texts(t, ctx, "#users td.user a"))
		var days []string
		for _, u := range users {
			d, _ := r.Days(bg, u)
			days = append(days, itoa(len(d)))
		}
		assert.Equal(t, days, texts(t, ctx, "#users td.days"))
		warns := texts(t, ctx, "#warnings li")
		require.Len(t, warns, 1)
		assert.Contains(t, warns[0], "user mallory: ")
		noHostileScriptRan("users")
		screenshot(t, ctx, shots, "users")
	})

	t.Run("recent, filtered, then a call", func(t *testing.T) {
		step(t, ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("users")))
		_, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#users a[href="/u/alice"]`)))
		require.NoError(t, err)
		step(t, ctx, chromedp.WaitVisible(chromedp.ID("calls")))
		want, err := reader.Collect(r.Recent(bg, "alice", reader.Query{Days: 7, Limit: 50}))
		require.NoError(t, err)
		assert.Equal(t, tools(want), texts(t, ctx, "#calls td.tool"), "newest first, as reader.Recent")
		assert.Equal(t, times(want), texts(t, ctx, "#calls td.time"))
		args := texts(t, ctx, "#calls td.args code")
		assert.Contains(t, args, `{"q":"`+hostileScript+`","link":"`+hostileLink+`","b":"abc\u202eevil"}`, "hostile text shown as text, the bidi override as an escape")
		noHostileScriptRan("recent")
		screenshot(t, ctx, shots, "recent")

		step(t, ctx, chromedp.SendKeys(chromedp.ID("f-tool"), "search*"), chromedp.Click(chromedp.ID("f-error")))
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("f-go")))
		require.NoError(t, err)
		require.Equal(t, int64(200), resp.Status)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		require.NoError(t, err)
		assert.Contains(t, loc, "status=error")
		var filtered []record.Entry
		for _, e := range want {
			if ok, _ := path.Match("search*", e.Tool); ok && e.Status == record.StatusError {
				filtered = append(filtered, e)
			}
		}
		require.NotEmpty(t, filtered)
		assert.Equal(t, times(filtered), texts(t, ctx, "#calls td.time"))
		assert.Equal(t, []string{"search*"}, []string{eval[string](t, ctx, `document.getElementById("f-tool").value`)})
		screenshot(t, ctx, shots, "recent-filtered")

		// Open the hostile call from the unfiltered list.
		step(t, ctx, chromedp.Navigate(srv.URL+"/u/alice?text=pwned&tool=search"), chromedp.WaitVisible(chromedp.ID("calls")))
		_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#calls tbody tr:first-child td.time a")))
		require.NoError(t, err)
		step(t, ctx, chromedp.WaitVisible(chromedp.ID("fields")))
		assert.Equal(t, []string{"search"}, texts(t, ctx, "#c-tool"))
		assert.Equal(t, []string{"call-hostile"}, texts(t, ctx, "#c-callid"))
		pre := texts(t, ctx, "#c-args")
		require.Len(t, pre, 1)
		assert.Contains(t, pre[0], "\n  \"q\": \""+hostileScript+"\",\n", "pretty-printed, shown as text")
		assert.Equal(t, []string{hostileImg}, texts(t, ctx, "#c-result"))
		href := eval[string](t, ctx, `document.getElementById("trace-link").href`)
		assert.Equal(t, "http://jaeger.invalid:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736", href)
		noHostileScriptRan("call")
		screenshot(t, ctx, shots, "call")
	})

	t.Run("day", func(t *testing.T) {
		days, err := r.Days(bg, "alice")
		require.NoError(t, err)
		day := days[len(days)-2]
		step(t, ctx, chromedp.Navigate(srv.URL+"/u/alice/"+day), chromedp.WaitVisible(chromedp.ID("calls")))
		want, err := reader.Collect(r.Day(bg, "alice", day))
		require.NoError(t, err)
		assert.Equal(t, times(want), texts(t, ctx, "#calls td.time"), "in file order, as reader.Day")
		noHostileScriptRan("day")
		screenshot(t, ctx, shots, "day")
	})

	t.Run("stats", func(t *testing.T) {
		step(t, ctx, chromedp.Navigate(srv.URL+"/stats?days=7"), chromedp.WaitVisible(chromedp.ID("chart-days")))
		total := 0
		users, _ := r.Users(bg)
		for _, u := range users {
			days, _ := r.Days(bg, u)
			for _, d := range days {
				if d >= time.Now().AddDate(0, 0, -6).Format("2006-01-02") {
					es, _ := reader.Collect(r.Day(bg, u, d))
					total += len(es)
				}
			}
		}
		assert.Equal(t, []string{itoa(total) + " calls in the last 7 days."}, texts(t, ctx, "#stats-total"))
		assert.Len(t, texts(t, ctx, "#chart-days g.bar"), 7)
		assert.NotEmpty(t, texts(t, ctx, "#chart-days rect.st-error"))
		assert.NotEmpty(t, texts(t, ctx, "#chart-tools rect.p95"))
		noHostileScriptRan("stats")
		screenshot(t, ctx, shots, "stats")
	})

	t.Run("live", func(t *testing.T) {
		step(t, ctx, chromedp.Navigate(srv.URL+"/live"), chromedp.WaitVisible(chromedp.CSS(`body[data-live="connected"]`)))
		before := len(texts(t, ctx, "#calls tbody tr"))
		time.Sleep(400 * time.Millisecond) // the server's first poll marks where new lines start
		probe := call("bob", "live_probe", record.StatusDenied, time.Now(), `{"q":"`+strings.ReplaceAll(hostileScript, `"`, `\"`)+`"}`)
		probe.ResultSnippet = hostileImg
		seed(t, root, probe)
		start := time.Now()
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		require.NoError(t, chromedp.Do(tctx, chromedp.WaitVisible(chromedp.CSS("#calls tbody tr.live"))), "the new call did not appear within 2 s")
		t.Logf("the new call appeared %v after it was written", time.Since(start).Round(time.Millisecond))
		assert.Equal(t, "live_probe", texts(t, ctx, "#calls tbody tr:first-child td.tool")[0])
		assert.Equal(t, before+1, len(texts(t, ctx, "#calls tbody tr")))
		assert.Contains(t, texts(t, ctx, "#calls tbody tr:first-child td.args")[0], hostileScript)
		href := eval[string](t, ctx, `document.querySelector("#calls tbody tr.live td.time a").getAttribute("href")`)
		assert.True(t, strings.HasPrefix(href, "/u/bob/call?"), href)
		noHostileScriptRan("live")
		screenshot(t, ctx, shots, "live")
	})

	t.Run("bad input", func(t *testing.T) {
		resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(srv.URL+"/u/%3Cscript%3Ewindow.pwned=1%3C%2Fscript%3E"))
		require.NoError(t, err)
		assert.Equal(t, int64(400), resp.Status)
		assert.Contains(t, texts(t, ctx, "#problem-text")[0], `invalid user name "<script>window.pwned=1</script>"`)
		noHostileScriptRan("400 page")
		screenshot(t, ctx, shots, "bad-user")
	})

	t.Run("without JavaScript", func(t *testing.T) {
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		require.NoError(t, chromedp.Do(tab))
		_, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		require.NoError(t, err)
		step(t, tab, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("users")))
		_, err = chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`#users a[href="/u/bob"]`)))
		require.NoError(t, err)
		step(t, tab, chromedp.WaitVisible(chromedp.ID("filter")), chromedp.SendKeys(chromedp.ID("f-text"), "ls"))
		_, err = chromedp.RunResponse(tab, chromedp.Click(chromedp.ID("f-go")))
		require.NoError(t, err)
		step(t, tab, chromedp.WaitVisible(chromedp.CSS(`input#f-text[value="ls"]`)))
		assert.Equal(t, []string{"shell"}, texts(t, tab, "#calls td.tool"))
		step(t, tab, chromedp.Navigate(srv.URL+"/live"), chromedp.WaitVisible(chromedp.ID("calls")))
		assert.NotContains(t, eval[string](t, tab, `document.body.getAttribute("data-live") || ""`), "connected", "live.js did not run")
		assert.NotEmpty(t, texts(t, tab, "#calls td.tool"), "the live page starts with the newest calls, server-rendered")
		screenshot(t, tab, shots, "live-nojs")
	})

	time.Sleep(300 * time.Millisecond) // late console messages and CSP reports
	for _, m := range console() {
		if m.Source == "network" && strings.Contains(m.URL, "/u/%3Cscript%3E") {
			continue // the 400 asked for, which the browser logs
		}
		if m.Type == chromedp.ConsoleError || m.IsException() || m.Source == "security" || strings.Contains(m.Text, "CSP-VIOLATION") {
			t.Errorf("console %s (source %q, %s): %s", m.Type, m.Source, m.URL, m.Text)
		}
	}
	assert.NotContains(t, srv.log(), "CSP violation", "no CSP report reached the server")

	// The control: the same checks do see a violation. In a tab of its
	// own, an inline script is put into a page; the policy blocks it, the
	// listener logs it and the server gets the report.
	t.Run("CSP control", func(t *testing.T) {
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		require.NoError(t, chromedp.Do(tab))
		msgs := chromedp.Console(tab)
		step(t, tab, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("users")))
		// Trusted Types refuse the string handler at once (and report it).
		refused := eval[string](t, tab, `(() => { try { const a = document.createElement("a");
  a.setAttribute("onclick", "window.pwned=2"); document.body.append(a); a.click(); } catch (e) { return String(e) } return "" })()`)
		assert.Contains(t, refused, "TrustedScript")
		assert.True(t, eval[bool](t, tab, `typeof window.pwned === "undefined"`), "the inline handler was blocked")
		seen := make(chan string, 1)
		go func() {
			for m, err := range msgs {
				if err != nil {
					return
				}
				if m.Source == "security" || strings.Contains(m.Text, "CSP-VIOLATION") {
					seen <- m.Text
					return
				}
			}
		}()
		select {
		case text := <-seen:
			t.Logf("seen as it should be: %s", text)
		case <-time.After(5 * time.Second):
			t.Error("the inline handler's CSP violation was not seen in the console")
		}
		require.Eventually(t, func() bool { return strings.Contains(srv.log(), "CSP violation reported") }, 5*time.Second, 50*time.Millisecond,
			"the report did not reach the server")
	})
}

func tools(es []record.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Tool)
	}
	return out
}

func times(es []record.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Time.Local().Format("2006-01-02 15:04:05"))
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
