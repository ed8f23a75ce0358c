#!/usr/bin/env python3
"""Requests per second against one address, two ways: a new connection
per request, and requests one after another on one connection.  Each
runs at most --count requests or --seconds, whichever ends first.
Prints "PERCONN_RPS ONECONN_RPS"."""
import argparse
import socket
import sys
import time


def exchange(s, payload):
    s.sendall(str(len(payload)).encode().ljust(64) + payload)
    buf = b""
    while len(buf) < 64:
        c = s.recv(64 - len(buf))
        if not c:
            raise EOFError
        buf += c
    n = int(buf.decode())
    body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c:
            raise EOFError
        body += c
    return body


def per_connection(port, count, seconds):
    done, start = 0, time.monotonic()
    while done < count and time.monotonic() - start < seconds:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            exchange(s, b"ping")
        done += 1
    return done / (time.monotonic() - start)


def one_connection(port, count, seconds):
    done, start = 0, time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while done < count and time.monotonic() - start < seconds:
            exchange(s, b"ping")
            done += 1
    return done / (time.monotonic() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--seconds", type=float, default=3)
    a = p.parse_args()
    print("%.0f %.0f" % (per_connection(a.port, a.count, a.seconds),
                         one_connection(a.port, a.count * 5, a.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
