// Package layout holds the on-disk layout of audit files, shared by the
// exporter (which writes it) and the reader (which reads it):
//
//	{root}/{user}/tool_audit/YYYY-MM-DD.jsonl
//
// Every name that reaches a path is checked here first; nothing from a span
// or a request is pasted into a path unchecked.
package layout

import (
	"errors"
	"fmt"
	"time"
)

// AuditDir is the folder under a user's folder that holds the day files.
const AuditDir = "tool_audit"

// Ext is the extension of a day file.
const Ext = ".jsonl"

// DayLayout is the time layout of a day string and of a day file's name.
const DayLayout = "2006-01-02"

// Unattributed is the reserved folder for tool calls that carry no user or
// a user name that is not valid. It starts with '@', which no valid user
// name contains, so it can never collide with a real user.
const Unattributed = "@unattributed"

// MaxUserLen is the longest valid user name, in bytes.
const MaxUserLen = 64

// ErrInvalidUser is wrapped by every error about a bad user name.
var ErrInvalidUser = errors.New("invalid user name")

// ErrInvalidDay is wrapped by every error about a bad day string.
var ErrInvalidDay = errors.New("invalid day")

// ValidateUser reports whether user can name a folder under the root: 1 to
// 64 ASCII letters, digits, '.', '_' or '-', not starting with '.'. The
// reserved Unattributed name is accepted too.
func ValidateUser(user string) error {
	if user == Unattributed {
		return nil
	}
	if user == "" {
		return fmt.Errorf("%w: empty", ErrInvalidUser)
	}
	if len(user) > MaxUserLen {
		return fmt.Errorf("%w: %d bytes long, the limit is %d", ErrInvalidUser, len(user), MaxUserLen)
	}
	if user[0] == '.' {
		return fmt.Errorf("%w %q: starts with '.'", ErrInvalidUser, user)
	}
	for i := 0; i < len(user); i++ {
		c := user[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' {
			continue
		}
		return fmt.Errorf("%w %q: character %q at byte %d is not a letter, digit, '.', '_' or '-'", ErrInvalidUser, user, c, i)
	}
	return nil
}

// ParseDay parses a YYYY-MM-DD string as a real calendar date in loc.
func ParseDay(day string, loc *time.Location) (time.Time, error) {
	if len(day) != len(DayLayout) {
		return time.Time{}, fmt.Errorf("%w %q: want YYYY-MM-DD", ErrInvalidDay, day)
	}
	t, err := time.ParseInLocation(DayLayout, day, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w %q: want a real YYYY-MM-DD date", ErrInvalidDay, day)
	}
	return t, nil
}

// DayFile returns the path, relative to the root, of user's file for the
// day of t (in t's location). user must have passed ValidateUser.
func DayFile(user string, t time.Time) string {
	b := make([]byte, 0, len(user)+len(AuditDir)+len(DayLayout)+len(Ext)+2)
	b = append(b, user...)
	b = append(b, '/')
	b = append(b, AuditDir...)
	b = append(b, '/')
	b = t.AppendFormat(b, DayLayout)
	b = append(b, Ext...)
	return string(b)
}

// UserDir returns the path, relative to the root, of user's audit folder.
func UserDir(user string) string { return user + "/" + AuditDir }
