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
	if err == nil {
		return nil
	}
	var others []error
	for _, e := range flatten(err) {
		var ue *reader.UserError
		if errors.As(e, &ue) {
			printError(a.env.stderr, e)
			a.refused = true
		} else {
			others = append(others, e)
		}
	}
	return errors.Join(others...)
}
