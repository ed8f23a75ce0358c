#!/usr/bin/env python3
"""Sequential sock64 requests, a new connection each, until STOPFILE
exists or --max requests or --seconds pass.  A failed request is tried
again up to --retries times.  Prints one line, "SENT OK FAILED RETRIED"
(FAILED: requests that failed every try; RETRIED: tries that failed),
then the first word of each reply seen, with its count."""
import argparse
import collections
import os
import socket
import sys
import time


def request(port, payload, timeout):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(str(len(payload)).encode().ljust(64) + payload)
        buf = b""
        while len(buf) < 64:
            c = s.recv(64 - len(buf))
            if not c:
                raise EOFError("closed before replying")
            buf += c
        n = int(buf.decode())
        body = b""
        while len(body) < n:
            c = s.recv(n - len(body))
            if not c:
                raise EOFError("closed inside the reply")
            body += c
        return body
    finally:
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--stopfile", required=True)
    p.add_argument("--max", type=int, default=100000)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--retries", type=int, default=0)
    a = p.parse_args()
    seen = collections.Counter()
    sent = ok = failed = retried = 0
    end = time.monotonic() + a.seconds
    while sent < a.max and time.monotonic() < end:
        if os.path.exists(a.stopfile):
            break
        sent += 1
        for attempt in range(a.retries + 1):
            try:
                reply = request(a.port, b"req%d" % sent, 5)
                seen[reply.split(b" ")[0]] += 1
                ok += 1
                break
            except (OSError, EOFError) as e:
                print("request %d try %d failed: %s" % (sent, attempt + 1, e),
                      file=sys.stderr)
                if attempt == a.retries:
                    failed += 1
                else:
                    retried += 1
    print(sent, ok, failed, retried)
    for k, v in sorted(seen.items()):
        print(k.decode(errors="replace"), v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
