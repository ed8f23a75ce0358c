#!/usr/bin/env python3
"""A misbehaving server for the client tests.

Listens on 127.0.0.1 port 0, prints the port and closes stdout, serves
one connection in the given way, then exits; it never lives longer than
--lifetime seconds.

Modes:
  silent   read requests, never answer
  close    read one request header, close without answering
  partial  answer with half a reply frame, then close
  garbage  answer with a malformed header
  huge     answer with a header announcing 10**15 bytes
"""
import argparse
import os
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--lifetime", type=float, default=10.0)
    a = p.parse_args()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(a.lifetime)
    sys.stdout.write("%d\n" % ls.getsockname()[1])
    sys.stdout.flush()
    os.close(1)

    deadline = time.monotonic() + a.lifetime
    try:
        conn, _ = ls.accept()
    except socket.timeout:
        return 0
    conn.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        conn.recv(64)
        if a.mode == "silent":
            while time.monotonic() < deadline:
                if not conn.recv(65536):
                    break
        elif a.mode == "partial":
            conn.sendall(b"13".ljust(64) + b"Hello")
        elif a.mode == "garbage":
            conn.sendall(b"thirteen".ljust(64) + b"Hello Server!")
        elif a.mode == "huge":
            conn.sendall(b"1000000000000000".ljust(64))
    except (socket.timeout, OSError):
        pass
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
