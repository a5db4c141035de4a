// Package ship copies the day files of an audit root to object storage,
// whole lines, in order, and keeps its progress beside them so that a crash
// or a restart neither loses nor repeats a line.
//
// # The local file stays the write-ahead log
//
// The exporter never waits on the network: it appends to
// {root}/{user}/tool_audit/YYYY-MM-DD.jsonl as before. A [Shipper] looks at
// the root every interval (default 30 s) and uploads, for each day file, the
// complete lines written since its last upload as one object (a piece),
// under a key that the file's state alone decides:
//
//	{user}/tool_audit/{YYYY-MM-DD}/{host}/{offset}.jsonl
//
// offset is the piece's first byte in the local file, 16 decimal digits, so
// a listing of {user}/tool_audit/{day}/ returns one user's day, host by
// host, each host's pieces in file order. The [Store] writes a key once (S3
// If-None-Match: *); a piece found already there is compared with the local
// bytes and, if it is a prefix of them, counted as shipped. Progress is
// written, atomically, after the object: a crash between the two uploads the
// same bytes under the same key again, which the store refuses, so no line
// is stored twice.
//
// # Compaction and retention
//
// Once a day is over in every time zone (12:00 UTC the next day) and its
// file has not changed for an hour ([WithCompactAfter]), a host's pieces of
// a user-day are read back, checked against the local file, joined into
//
//	{user}/tool_audit/{YYYY-MM-DD}/{host}.jsonl
//
// and deleted. A line written after that is a piece past the compacted
// object's length; [Object] states how to read a user-day. With
// [WithRetention] the store locks each compacted object for the whole
// retention and each piece for at most [PieceRetention], after which the
// pieces are deleted.
//
// # State
//
// The shipper keeps its state under {root}/.ship/ (a name no user folder
// can have): the host name (made once, hostname plus a random suffix, so a
// host that lost its disk never reuses keys), a lock held while a shipper
// runs, and one small progress file per day file. It deletes nothing local.
//
// # Stores
//
// Package ship links no cloud SDK. The S3 store is the module
// github.com/toolaudit/toolaudit/s3ship; tests may use any [Store]. In
// process, [WithExporter] ties a shipper to the exporter's provider; as a
// sidecar, the command runs toolaudit ship. docs/object-storage.md has the
// guarantees and caveats.
package ship
