#!/usr/bin/env python3
"""A sock64d --per-connection service (frames): a key-value store kept
for the life of the connection, which a program per request could not
keep.  Requests:

    set KEY VALUE   ->  ok
    get KEY         ->  VALUE (empty if unset)
    del KEY         ->  ok
    keys            ->  the keys, one per line, sorted

Anything else gets "error: ...".  Values are bytes, binary-safe.  Each
reply is flushed at once:

    sock64d --per-connection -- contrib/kv.py
"""
import sys


def read_exact(f, n):
    buf = b""
    while len(buf) < n:
        chunk = f.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def answer(store, req):
    words = req.split(b" ", 2)
    cmd = words[0]
    if cmd == b"set" and len(words) == 3:
        store[words[1]] = words[2]
        return b"ok"
    if cmd == b"get" and len(words) == 2:
        return store.get(words[1], b"")
    if cmd == b"del" and len(words) == 2:
        store.pop(words[1], None)
        return b"ok"
    if cmd == b"keys" and len(words) == 1:
        return b"\n".join(sorted(store))
    return b"error: set KEY VALUE, get KEY, del KEY or keys"


def main():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    store = {}
    while True:
        hdr = read_exact(inp, 64)
        if hdr is None:
            return 0
        req = read_exact(inp, int(hdr))
        if req is None:
            return 1
        rep = answer(store, req)
        out.write(b"%-64d" % len(rep) + rep)
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
