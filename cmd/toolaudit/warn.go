package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/toolaudit/toolaudit/reader"
)

// printError prints err on w, one line per error it joins, each with the
// command's prefix once: the library's errors carry it already.
func printError(w io.Writer, err error) {
	for _, e := range flatten(err) {
		fmt.Fprintf(w, "toolaudit: %s\n", strings.TrimPrefix(oneLine(e.Error()), "toolaudit: "))
	}
}

// flatten returns the errors err joins with errors.Join, or err alone.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	errs := j.Unwrap()
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	if strings.Join(msgs, "\n") != err.Error() {
		return []error{err} // fmt.Errorf with several %w: one message
	}
	var out []error
	for _, e := range errs {
		out = append(out, flatten(e)...)
	}
	return out
}

// warn prints on stderr, one line each, the errors about single users that
// err holds (*reader.UserError) and remembers that some were refused, so
// that the command ends with exit code 1 after printing what it could. It
// returns the other errors err holds, joined; nil if none.
func (a *app) warn(err error) error {
	refused, others := splitUserErrors(err)
	for _, e := range refused {
		printError(a.env.stderr, e)
		a.refused = true
	}
	return others
}

// splitUserErrors splits the errors err holds into those about single
// users (*reader.UserError), which are warnings, and the others, joined.
func splitUserErrors(err error) (refused []error, others error) {
	if err == nil {
		return nil, nil
	}
	var rest []error
	for _, e := range flatten(err) {
		if isUserError(e) {
			refused = append(refused, e)
		} else {
			rest = append(rest, e)
		}
	}
	return refused, errors.Join(rest...)
}

// isUserError reports whether err concerns one user only.
func isUserError(err error) bool {
	var ue *reader.UserError
	return errors.As(err, &ue)
}
