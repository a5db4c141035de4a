package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/toolaudit/toolaudit/reader"
	"github.com/toolaudit/toolaudit/record"
)

// One split of user errors for the command and the pages: a wrapped
// *reader.UserError is a warning too, in both, and in reader.Collect.
func TestSplitUserErrors(t *testing.T) {
	ue := &reader.UserError{User: "bob", Err: errors.New("opening bob/tool_audit: denied")}
	wrapped := fmt.Errorf("reading: %w", ue)
	other := errors.New("root gone")
	refused, others := splitUserErrors(errors.Join(ue, wrapped, other))
	assert.Equal(t, []error{ue, wrapped}, refused)
	assert.Equal(t, "root gone", others.Error())
	warns, others := userWarnings([]string{"w"}, errors.Join(wrapped, other))
	assert.Equal(t, []string{"w", wrapped.Error()}, warns)
	assert.Equal(t, "root gone", others.Error())

	seq := func(yield func(record.Entry, error) bool) {
		_ = yield(record.Entry{}, wrapped) && yield(record.Entry{Tool: "after"}, nil)
	}
	es, err := reader.Collect(seq)
	assert.Len(t, es, 1, "Collect goes on past a wrapped *UserError")
	assert.ErrorIs(t, err, ue)
}
