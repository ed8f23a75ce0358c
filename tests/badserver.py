#!/usr/bin/env python3
"""A server that stops badly, for the tests of bats-sock64's sock64_stop.

Takes the place of sock64d (its options are ignored): prints a port line
on stdout and closes it, as sock64d -1 does, then misbehaves in the
given way.  It never lives longer than --lifetime seconds.

Modes:
  silent   print nothing and keep stdout open (never "listens")
  zombie   start a child that exits at once, and never reap it
  exit3    exit with status 3 on SIGTERM
  deaf     ignore SIGTERM
  orphan   start a child that outlives us; exit 0 on SIGTERM
"""
import os
import signal
import sys
import time


def state(pid):
    """The one-letter state of a process, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def main():
    mode = sys.argv[1]
    lifetime = 30.0
    # Everything is in place before the port line: a test may stop us
    # the moment it has read it.
    if mode == "exit3":
        signal.signal(signal.SIGTERM, lambda s, f: os._exit(3))
    elif mode == "deaf":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda s, f: os._exit(0))
    if mode == "zombie":
        child = os.fork()
        if child == 0:
            os._exit(0)
        deadline = time.monotonic() + 10
        while state(child) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
    if mode == "orphan":
        if os.fork() == 0:
            os.close(1)  # the port line's end of file is the parent's
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(lifetime)
            os._exit(0)
    if mode != "silent":
        print("1", flush=True)
        os.close(1)
    time.sleep(lifetime)


if __name__ == "__main__":
    main()
