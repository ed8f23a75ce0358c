#!/usr/bin/env python3
"""A client that is still sending when the server is told to stop.

It pipelines requests, reads the replies slowly (a small receive buffer,
a pause after each read), and sends SIGTERM to the server once it has
received --term-after bytes, so that the server stops with replies
queued for us and requests of ours it has not read.  Then it reads on
until the server closes, and says what it got:

    bytes B replies R partial P reset yes|no [status S]

B counts every byte received, R the whole replies (each checked against
its request: the server echoes), P the bytes of a last, cut reply.  With
--inetd the server is `SOCK64D -i -v ARGS` on a loopback TCP connection of our
own, and S is its exit status.

Modes: "big" sends one 8 MiB request and a small one behind it; "many"
sends 200 requests of 64 KiB from a second thread while reading.
Exit status: 0 when every reply was checked, 1 on a wrong reply, 3 when
the server was still open after --timeout seconds.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time


def requests(mode):
    if mode == "big":
        return [os.urandom(8 << 20), b"behind the big one"]
    return [bytes([i % 251]) * 65536 for i in range(200)]


def frame(payload):
    return str(len(payload)).encode().ljust(64) + payload


def connect(a):
    """Returns (socket, server pid, Popen or None)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Set before connecting: no window scaling past it, no autotuning.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    if a.inetd is None:
        s.connect(("127.0.0.1", a.port))
        return s, a.pid, None
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    s.connect(ls.getsockname())
    conn, _ = ls.accept()
    ls.close()
    with open(a.log, "ab") as log:
        proc = subprocess.Popen([a.inetd, "-i", "-v"] + a.args.split(), stdin=conn,
                                stdout=conn, stderr=log)
    conn.close()
    return s, proc.pid, proc


def send_all(s, data, result):
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except ConnectionResetError:
        result.append("reset")
    except OSError:
        pass        # the server stopped reading: expected here


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["big", "many"])
    p.add_argument("--port", type=int)
    p.add_argument("--pid", type=int, help="the server to stop")
    p.add_argument("--inetd", help="run this sock64d -i ourselves")
    p.add_argument("--log", default=os.devnull)
    p.add_argument("--term-after", type=int, default=1 << 20)
    p.add_argument("--chunk", type=int, default=32768)
    p.add_argument("--pause", type=float, default=0.01)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--args", default="", help="more sock64d -i arguments")
    a = p.parse_args()

    reqs = requests(a.mode)
    s, pid, proc = connect(a)
    data = b"".join(frame(r) for r in reqs)
    writer = None
    wrote = []
    if a.mode == "big":
        s.sendall(data)
    else:
        writer = threading.Thread(target=send_all, args=(s, data, wrote),
                                  daemon=True)
        writer.start()

    got = bytearray()
    received = 0
    replies = 0
    reset = False
    termed = False
    deadline = time.monotonic() + a.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            print("still open after %.0f s" % a.timeout)
            return 3
        s.settimeout(left)
        try:
            chunk = s.recv(a.chunk)
        except socket.timeout:
            continue
        except ConnectionResetError:
            reset = True
            break
        if not chunk:
            break
        received += len(chunk)
        got += chunk
        while len(got) >= 64:
            n = int(got[:64])
            if len(got) < 64 + n:
                break
            if replies >= len(reqs) or got[64:64 + n] != reqs[replies]:
                print("reply %d is wrong (%d bytes)" % (replies + 1, n))
                return 1
            replies += 1
            del got[:64 + n]
        if not termed and a.term_after >= 0 and \
                received >= a.term_after:
            os.kill(pid, signal.SIGTERM)
            termed = True
        time.sleep(a.pause)
    if writer is not None:
        writer.join(a.timeout)
    # A reset shows in whichever thread meets it first.
    reset = reset or "reset" in wrote
    line = "bytes %d replies %d partial %d reset %s" % (
        received, replies, len(got), "yes" if reset else "no")
    if proc is not None:
        line += " status %d" % proc.wait(timeout=a.timeout)
    s.close()
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
