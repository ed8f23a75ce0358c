#!/usr/bin/env python3
"""The tutorial's server (origin/tutorial.txt), rebuilt for the benchmark.

A thread per client: read the 64-byte length header, read the payload,
reply with two send calls, the header and then the payload, as the
tutorial does.  Where the tutorial's code would fail on ordinary input
it is made correct without changing its design: recv() is looped until
the whole header or payload is in (one recv may return less), the two
sends are sendall() (one send may send less), the payload stays bytes
(str() would break binary payloads), and the connection ends when the
client closes it.

usage: tutorial_server.py PORT   (listens on 127.0.0.1, prints the port)
"""
import socket
import sys
import threading


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def reply(conn, data):
    msg_len = len(data)
    send_len = str(msg_len).encode()
    send_len += b" " * (64 - len(send_len))
    conn.sendall(send_len)
    conn.sendall(data)


def handle_client(conn, addr):
    try:
        while True:
            header = recv_exact(conn, 64)
            if header is None:
                break
            data_len = int(header.decode())
            data = recv_exact(conn, data_len) if data_len > 0 else b""
            if data is None:
                break
            reply(conn, data)
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    max_connections = 50
    sock.listen(max_connections)
    print(sock.getsockname()[1], flush=True)
    while True:
        try:
            conn, addr = sock.accept()
        except OSError as e:
            print("[ERROR_CONNECTING_NEW_CLIENT] :", str(e), file=sys.stderr)
            continue
        t = threading.Thread(target=handle_client, args=(conn, addr),
                             daemon=True)
        t.start()


if __name__ == "__main__":
    main()
