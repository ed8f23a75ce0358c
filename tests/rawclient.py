#!/usr/bin/env python3
"""Raw-byte client for the sock64 tests.

Sends the bytes of standard input to a server exactly as given (whole, or
in chunks with a pause between them), optionally half-closes, then copies
everything the server sends to standard output until the server closes.

Exit status: 0 when the server closed the connection, 3 when it was still
open after --timeout seconds, 4 when the connection was reset.
"""
import argparse
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int)
    p.add_argument("--unix")
    p.add_argument("--chunk", type=int, default=0,
                   help="send in pieces of this many bytes")
    p.add_argument("--delay", type=float, default=0.0,
                   help="seconds between pieces")
    p.add_argument("--split", type=int, default=-1,
                   help="send in two pieces, split at this offset")
    p.add_argument("--no-shutdown", action="store_true",
                   help="keep our side open after sending")
    p.add_argument("--timeout", type=float, default=5.0)
    a = p.parse_args()

    data = sys.stdin.buffer.read()
    if a.unix:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(a.unix)
    else:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s.settimeout(a.timeout)
    if a.unix is None:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    if a.split >= 0:
        pieces = [data[:a.split], data[a.split:]]
    elif a.chunk > 0:
        pieces = [data[i:i + a.chunk] for i in range(0, len(data), a.chunk)]
    else:
        pieces = [data]
    try:
        for i, piece in enumerate(pieces):
            if i > 0 and a.delay > 0:
                time.sleep(a.delay)
            s.sendall(piece)
        if not a.no_shutdown:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass

    out = sys.stdout.buffer
    deadline = time.monotonic() + a.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            out.flush()
            return 3
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            out.flush()
            return 3
        except ConnectionResetError:
            out.flush()
            return 4
        if not chunk:
            out.flush()
            return 0
        out.write(chunk)


if __name__ == "__main__":
    sys.exit(main())
