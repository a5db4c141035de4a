#!/usr/bin/env python3
"""An independent verifier of toolaudit's hash chains, from docs/format.md only.

Standard library only. It checks the chain of every user-day file and the
tombstones left by retention, as `toolaudit verify` does without --pubkey
(signatures and checkpoints are left to toolaudit), and prints one JSON
object per user-day: user, day, status, lines, line.

    python3 scripts/verify_chain.py ROOT [--checkpoints DIR]

Exit status 1 when a user-day is tampered, 0 otherwise.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import sys

SUFFIX = b',"chain":"'
SUFFIX_LEN = len(SUFFIX) + 64 + 2
HEX = re.compile(rb"[0-9a-f]{64}\Z")
USER = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\Z")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def genesis(user):
    """The link a user's chain starts from."""
    return hashlib.sha256(b"toolaudit chain v1\x00" + user.encode()).digest()


def split(line):
    """(bytes before the chain field, link) or None."""
    if len(line) < SUFFIX_LEN + 1 or not line.endswith(b'"}'):
        return None
    s = line[-SUFFIX_LEN:]
    if not s.startswith(SUFFIX) or not HEX.match(s[len(SUFFIX):-2]):
        return None
    return line[:-SUFFIX_LEN], bytes.fromhex(s[len(SUFFIX):-2].decode())


def is_object(line):
    try:
        return isinstance(json.loads(line.decode("utf-8", "surrogateescape")), dict)
    except Exception:  # any failure to read the line makes it torn
        return False


def link(prev, p):
    return hashlib.sha256(prev + p).digest()


def verify_day(data, prev, alt, started):
    """Checks one day file's bytes; returns a dict of what it found."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    d = dict(lines=len(lines), chained=0, legacy=0, torn=0, first_torn=0,
             fail=0, head=prev, start=prev, heads=[], started=started)
    first = True
    for n, line in enumerate(lines, 1):
        s = split(line)
        if s is None:
            if not is_object(line):
                d["torn"] += 1
                d["first_torn"] = d["first_torn"] or n
            elif not d["started"]:
                d["legacy"] += 1
            elif not d["fail"]:
                d["fail"] = n
        else:
            p, got = s
            d["chained"] += 1
            d["started"] = True
            if link(d["head"], p) != got:
                if not first:
                    d["fail"] = d["fail"] or n
                else:
                    for a in reversed(alt):
                        if link(a, p) == got:
                            d["start"] = a
                            break
                    else:
                        d["fail"] = d["fail"] or n
            first = False
            d["head"] = got
        d["heads"].append(d["head"])
    return d


def names(path):
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []


def valid_day(s):
    if not DAY.match(s):
        return False
    try:
        datetime.date.fromisoformat(s)
        return True
    except ValueError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--checkpoints")
    args = ap.parse_args()
    root = args.root
    cp = args.checkpoints or os.path.normpath(root) + ".checkpoints"
    users = sorted({u for u in names(root) + names(cp)
                    if u == "@unattributed" or USER.match(u)})
    tampered = False
    for user in users:
        days = set()
        for n in names(os.path.join(root, user, "tool_audit")):
            if n.endswith(".jsonl") and valid_day(n[:-6]):
                days.add(n[:-6])
        for n in names(os.path.join(cp, user)):
            if n.endswith(".tombstone.json") and valid_day(n[:-15]):
                days.add(n[:-15])
        prev, alt, started = genesis(user), [], False
        for day in sorted(days):
            row = dict(user=user, day=day)
            try:
                with open(os.path.join(root, user, "tool_audit", day + ".jsonl"), "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                data = None
            if data is None:
                try:
                    with open(os.path.join(cp, user, day + ".tombstone.json"), "rb") as f:
                        tomb = json.loads(f.read())
                except FileNotFoundError:
                    continue
                prev, alt = bytes.fromhex(tomb["head"]), [genesis(user)]
                started = started or prev != genesis(user)
                row.update(status="retained", lines=tomb["lines"], line=0)
            else:
                d = verify_day(data, prev, alt, started)
                if d["chained"]:
                    alt = [d["start"]] + d["heads"]
                prev, started = d["head"], d["started"]
                if d["fail"]:
                    status, line = "tampered", d["fail"]
                    tampered = True
                elif d["torn"]:
                    status, line = "torn", d["first_torn"]
                elif d["legacy"]:
                    status, line = "legacy", 0
                else:
                    status, line = "ok", 0
                row.update(status=status, lines=d["lines"], line=line)
            print(json.dumps(row))
    return 1 if tampered else 0


if __name__ == "__main__":
    sys.exit(main())
