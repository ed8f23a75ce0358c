#!/usr/bin/env python3
"""A client that speaks as a load balancer would: a PROXY header, then
sock64 request frames, one per MESSAGE argument.  Prints each reply's
payload on a line of its own.

Exit status: 0 when every request got its reply, 1 when the server
closed the connection first (the number of replies goes to stderr).
"""
import argparse
import ipaddress
import socket
import struct
import sys
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def split_addr(s):
    host, _, port = s.rpartition(":")
    return ipaddress.ip_address(host.strip("[]")), int(port)


def header(kind, src, dst):
    if kind == "none":
        return b""
    if kind == "v2local":
        return SIG + b"\x20\x00\x00\x00"
    (sip, sport), (dip, dport) = split_addr(src), split_addr(dst)
    if sip.version == 6 and dip.version == 4:
        dip = ipaddress.ip_address("::ffff:%s" % dip)
    if kind == "v1":
        proto = "TCP4" if sip.version == 4 else "TCP6"
        return ("PROXY %s %s %s %d %d\r\n" %
                (proto, sip, dip, sport, dport)).encode()
    fam = b"\x11" if sip.version == 4 else b"\x21"
    if kind == "v2unspec":
        # The family, but an unspecified transport protocol: the
        # receiver must ignore the addresses.
        fam = b"\x10" if sip.version == 4 else b"\x20"
    body = sip.packed + dip.packed + struct.pack("!HH", sport, dport)
    # A TLV (PP2_TYPE_AUTHORITY) that the server must skip.
    if kind == "v2badtlv":
        # Its length says one byte more than the header holds.
        body += b"\x02\x00\x0a" + b"sock64.io"
    else:
        body += b"\x02\x00\x09" + b"sock64.io"
    return SIG + b"\x21" + fam + struct.pack("!H", len(body)) + body


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--header", default="v2",
                   choices=["v1", "v2", "v2local", "v2badtlv", "v2unspec",
                            "none"])
    p.add_argument("--src", default="203.0.113.7:4242")
    p.add_argument("--dst", default="198.51.100.1:8000")
    p.add_argument("--chunk", type=int, default=0,
                   help="send the header in pieces of this many bytes")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--bind", default="",
                   help="connect from this local address")
    p.add_argument("--hold", type=float, default=0.0,
                   help="send, then keep the connection this long")
    p.add_argument("messages", nargs="*")
    a = p.parse_args()

    s = socket.create_connection((a.host, a.port), timeout=a.timeout,
                                 source_address=(a.bind, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    hdr = header(a.header, a.src, a.dst)
    frames = b"".join(str(len(m.encode())).encode().ljust(64) + m.encode()
                      for m in a.messages)
    try:
        if a.chunk > 0:
            for i in range(0, len(hdr), a.chunk):
                s.sendall(hdr[i:i + a.chunk])
                time.sleep(a.delay)
            s.sendall(frames)
        elif a.hold > 0:
            s.sendall(hdr + frames[:70])
        else:
            # Header and frames in one segment: none may be lost.
            s.sendall(hdr + frames)
        if a.hold <= 0:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    if a.hold > 0:
        # Wait for the server to close, or for the time to run out.
        try:
            s.settimeout(a.hold)
            while s.recv(4096):
                pass
            print("closed", file=sys.stderr)
            return 1
        except socket.timeout:
            return 0
    got = 0
    try:
        for _ in a.messages:
            n = int(recv_exact(s, 64).decode())
            sys.stdout.buffer.write(recv_exact(s, n) + b"\n")
            got += 1
    except (EOFError, OSError):
        print("closed after %d replies" % got, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
