// Command toolaudit reads, follows, filters and summarises the audit files
// that the toolaudit exporter (or the reference Python module) writes.
//
//	toolaudit users
//	toolaudit recent [USER] [--days N] [--limit N]
//	toolaudit day USER YYYY-MM-DD
//	toolaudit follow [USER]
//	toolaudit stats [--since T] [--until T] [--days N]
//	toolaudit serve [--addr 127.0.0.1:8080] [--auth-file F] [--trace-url U]
//
// Global flags, before or after the command: --root (default
// $TOOLAUDIT_ROOT, else ./home), -o table|json|csv, --no-color. A user's
// folder or day file that cannot be read (a symlink leading out of the
// root, a FIFO, no permission) is skipped with one warning on stderr, and
// the rest is printed. Exit codes: 0 success, 1 error (bad user name,
// impossible date, unreadable root, a user or file skipped), 2 wrong usage
// (unknown command or flag).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{
		stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		isTerminal: isTerminal(os.Stdout), width: terminalWidth(os.Stdout), now: time.Now,
	}))
}
