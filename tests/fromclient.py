#!/usr/bin/env python3
"""Opens COUNT connections one after another from a chosen local address
(127.0.0.2, say: the whole of 127/8 is loopback), each sending one
request frame, and prints "served S refused R": served when the reply
came back, refused when the server closed the connection (or reset it)
without one.  Every connection has --timeout seconds, and all of them
--deadline seconds; running out of either fails with exit status 1.
"""
import argparse
import socket
import sys
import time


def one(a, payload):
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        if a.bind:
            s.bind((a.bind, 0))
        s.connect((a.host, a.port))
        s.sendall(b"%-64d" % len(payload) + payload)
        got = b""
        want = 64 + len(payload)
        while len(got) < want:
            chunk = s.recv(want - len(got))
            if not chunk:
                return False
            got += chunk
        if got[64:] != payload:
            sys.exit("wrong reply: %r" % got)
        return True
    except (ConnectionResetError, BrokenPipeError):
        return False
    finally:
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--deadline", type=float, default=40.0)
    a = p.parse_args()
    end = time.monotonic() + a.deadline
    served = refused = 0
    for i in range(a.count):
        if time.monotonic() > end:
            sys.exit("deadline passed after %d connections" % i)
        if one(a, b"from %s #%d" % (a.bind.encode() or b"-", i)):
            served += 1
        else:
            refused += 1
    print("served %d refused %d" % (served, refused))


if __name__ == "__main__":
    main()
