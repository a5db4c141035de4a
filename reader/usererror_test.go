//go:build unix

package reader_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/reader"
)

// badTree is a root where whoever can write in some users' folders has
// planted what the reader must refuse: bob's tool_audit is a symlink out
// of the root, dan's newest day file is a FIFO and erin's a folder. Their
// older days, and alice and carol, are readable.
func badTree(t *testing.T) string {
	t.Helper()
	root, outside := t.TempDir(), t.TempDir()
	today, yesterday := now.Format("2006-01-02"), now.AddDate(0, 0, -1).Format("2006-01-02")
	for i, u := range []string{"alice", "carol", "dan", "erin"} {
		writeDay(t, root, u, yesterday, line(u, u+"-old", at(yesterday, 10+i, 0)))
	}
	writeDay(t, root, "alice", today, line("alice", "alice-new", at(today, 10, 0)))
	writeDay(t, root, "carol", today, line("carol", "carol-new", at(today, 11, 0)))
	writeDay(t, outside, "victim", today, line("victim", "secret", at(today, 12, 0)))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bob"), 0o700))
	require.NoError(t, os.Symlink(filepath.Join(outside, "victim", "tool_audit"), filepath.Join(root, "bob", "tool_audit")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "dan", "tool_audit", today+".jsonl"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "erin", "tool_audit", today+".jsonl"), 0o700))
	return root
}

// refused returns the users that err's *reader.UserError values name, and
// fails if err holds anything else.
func refused(t *testing.T, err error) []string {
	t.Helper()
	var users []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ue *reader.UserError
		if assert.True(t, errors.As(err, &ue), "not a *UserError: %v", err) {
			users = append(users, ue.User)
			assert.Contains(t, err.Error(), ue.User)
		}
	}
	if err != nil {
		walk(err)
	}
	return users
}

func TestOneBadUserHidesNoOne(t *testing.T) {
	root := badTree(t)
	r := newReader(root)

	users, err := r.Users(ctx)
	assert.Equal(t, []string{"alice", "carol", "dan", "erin"}, users)
	assert.Equal(t, []string{"bob"}, refused(t, err))
	assert.ErrorContains(t, err, "bob/tool_audit")

	all, err := reader.Collect(r.RecentAll(ctx, reader.Query{}))
	assert.Equal(t, []string{"carol-new", "alice-new", "erin-old", "dan-old", "carol-old", "alice-old"}, tools(all))
	assert.Equal(t, []string{"bob", "dan", "erin"}, refused(t, err), "one error per refused user, in name order")
	assert.ErrorContains(t, err, "dan/tool_audit/"+now.Format("2006-01-02")+".jsonl")
	assert.NotContains(t, fmt.Sprint(tools(all)), "secret")

	var seq []string
	var seqErrs []error
	for e, err := range r.RecentAll(ctx, reader.Query{Days: 0, Limit: -1}) {
		if err != nil {
			seqErrs = append(seqErrs, err)
			continue
		}
		seq = append(seq, e.Tool)
	}
	assert.Equal(t, tools(all), seq)
	assert.Equal(t, []string{"bob", "dan", "erin"}, refused(t, errors.Join(seqErrs...)))

	got, err := reader.Collect(r.Recent(ctx, "dan", reader.Query{}))
	assert.Equal(t, []string{"dan-old"}, tools(got), "the other days still come back")
	assert.Equal(t, []string{"dan"}, refused(t, err))

	got, err = reader.Collect(r.Recent(ctx, "bob", reader.Query{}))
	assert.Empty(t, got)
	assert.Equal(t, []string{"bob"}, refused(t, err), "one error for the folder, not one per day")

	_, err = r.Days(ctx, "bob")
	assert.Equal(t, []string{"bob"}, refused(t, err))
	_, err = reader.Collect(r.Day(ctx, "erin", now.Format("2006-01-02")))
	assert.Equal(t, []string{"erin"}, refused(t, err))
}

// TestFollowPastBadUsers follows every user of a root with refused users:
// each is reported once, by name, and the others' lines come through.
func TestFollowPastBadUsers(t *testing.T) {
	root := badTree(t)
	r := newReader(root)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	path := filepath.Join(root, "carol", "tool_audit", now.Format("2006-01-02")+".jsonl")
	go func() {
		for ctx.Err() == nil {
			appendLine(t, path, line("carol", "live", now)+"\n")
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var errs []error
	var got record.Entry
	for e, err := range r.Follow(ctx, 5*time.Millisecond) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = e
		cancel()
	}
	assert.Equal(t, "live", got.Tool)
	users := refused(t, errors.Join(errs...))
	slices.Sort(users)
	assert.Equal(t, []string{"bob", "dan", "erin"}, users)
}
