#!/usr/bin/env python3
"""nodelay.py PID: of the connected TCP sockets process PID holds, how
many have TCP_NODELAY set.  Prints "N of M"; exit 0 when M > 0 and
N == M, 1 otherwise, 2 when the sockets cannot be looked at (a copy of
each is taken with pidfd_getfd(2), Linux 5.6, which needs ptrace
rights over PID)."""
import ctypes
import os
import socket
import sys

SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture


def main():
    pid = int(sys.argv[1])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    pidfd = os.pidfd_open(pid)
    have = total = 0
    try:
        for name in os.listdir("/proc/%d/fd" % pid):
            try:
                if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
                    continue
            except FileNotFoundError:
                continue
            fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                err = ctypes.get_errno()
                print("pidfd_getfd: %s" % os.strerror(err), file=sys.stderr)
                return 2
            s = socket.socket(fileno=fd)
            try:
                if s.family not in (socket.AF_INET, socket.AF_INET6):
                    continue
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    continue
                total += 1
                if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY):
                    have += 1
            finally:
                s.close()
    finally:
        os.close(pidfd)
    print("%d of %d" % (have, total))
    return 0 if total > 0 and have == total else 1


sys.exit(main())
