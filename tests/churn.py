#!/usr/bin/env python3
"""churn.py PORT COUNT: COUNT connections to 127.0.0.1:PORT one after
the other, each one request ("n<i>") whose echo is checked, then closed.
Prints "COUNT served"; fails with the connection's number otherwise.
One process for them all, so that the cost measured is the server's,
not a client's fork and exec per connection."""
import socket
import sys

port, count = int(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    msg = b"n%d" % i
    frame = str(len(msg)).encode().ljust(64) + msg
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(frame)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    assert got == frame, ("connection %d" % i, got)
print("%d served" % count)
