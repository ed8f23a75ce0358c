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


def main():
    mode = sys.argv[1]
    lifetime = 30.0
    if mode != "silent":
        print("1", flush=True)
        os.close(1)
    if mode == "zombie":
        if os.fork() == 0:
            os._exit(0)
    if mode == "orphan":
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(lifetime)
            os._exit(0)
    if mode == "exit3":
        signal.signal(signal.SIGTERM, lambda s, f: os._exit(3))
    elif mode == "deaf":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda s, f: os._exit(0))
    time.sleep(lifetime)


if __name__ == "__main__":
    main()
