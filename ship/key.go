package ship

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/toolaudit/toolaudit/internal/layout"
)

// Key returns the key, relative to a store's prefix, of the piece of
// user's day file that starts at byte offset, shipped by host.
func Key(user, day, host string, offset int64) string {
	return fmt.Sprintf("%s/%s/%s/%s/%016d%s", user, layout.AuditDir, day, host, offset, layout.Ext)
}

// CompactedKey returns the key of host's day file of user once compacted:
// the pieces' folder name with the extension.
func CompactedKey(user, day, host string) string {
	return user + "/" + layout.AuditDir + "/" + day + "/" + host + layout.Ext
}

// Object is what a key written by a Shipper names. Reading a user-day
// means, for each host, its compacted object if there is one, then its
// pieces whose Offset is at least the compacted object's length (lines that
// came after the compaction); without a compacted object, all its pieces.
type Object struct {
	User, Day, Host string
	Offset          int64 // the first byte's offset in the day file; 0 when Compacted
	Compacted       bool
}

// ParseKey parses a key that Key or CompactedKey made; ok is false for
// any other.
func ParseKey(key string) (o Object, ok bool) {
	p := strings.Split(key, "/")
	if len(p) < 4 || len(p) > 5 || p[1] != layout.AuditDir || layout.ValidateUser(p[0]) != nil {
		return o, false
	}
	o.User, o.Day = p[0], p[2]
	if len(o.Day) != len(layout.DayLayout) {
		return o, false
	}
	last, ok := strings.CutSuffix(p[len(p)-1], layout.Ext)
	if !ok {
		return o, false
	}
	if len(p) == 4 {
		o.Host, o.Compacted = last, true
		return o, validName(o.Host)
	}
	o.Host = p[3]
	off, err := strconv.ParseInt(last, 10, 64)
	if err != nil || len(last) != 16 || off < 0 {
		return o, false
	}
	o.Offset = off
	return o, validName(o.Host)
}
