#!/usr/bin/env python3
"""Runs a command as a child subreaper (Linux prctl): processes it leaves
behind are adopted by us instead of PID 1, which may not reap them.
Once the command exits, kills and reaps those still running, and says
on stderr how many there were ("leftover processes: N") and which
("leftover: PID COMMAND").  Exits with the command's
status.
"""
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def running(pid):
    """True if pid is alive: orphans that have exited already (zombies
    handed to us to reap) are not left over."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("subreaper: prctl: %s" % os.strerror(ctypes.get_errno()))
    status = subprocess.run(sys.argv[1:]).returncode
    pid = os.getpid()
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        left = [int(p) for p in f.read().split() if running(int(p))]
    for p in left:
        try:
            with open("/proc/%d/cmdline" % p, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            print("leftover: %d %s" % (p, cmd.strip()), file=sys.stderr)
        except OSError:
            pass
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    if left:
        print("leftover processes: %d" % len(left), file=sys.stderr)
    sys.exit(status)


if __name__ == "__main__":
    main()
