#!/usr/bin/env bats
# Running under systemd: sockets passed by socket activation (Accept=no
# and Accept=yes, through systemd-socket-activate), readiness and status
# datagrams to NOTIFY_SOCKET, and journal-style log lines.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export BATS_TEST_TIMEOUT=60
}

setup() {
	command -v systemd-socket-activate >/dev/null ||
	    missing "systemd-socket-activate is not installed (package systemd)"
}

teardown() {
	release_held
	ssa_stop
}

# ssa_start NSOCKETS ARGS...: runs systemd-socket-activate ARGS in the
# background (stdout to $BATS_TEST_TMPDIR/ports, stderr to DAEMON_LOG)
# and waits until it has bound NSOCKETS sockets.  Without --accept it
# execs the program at the first connection, so DAEMON_PID then is the
# daemon.
ssa_start() {
	local n=$1
	shift
	DAEMON_LOG="$BATS_TEST_TMPDIR/daemon.log"
	systemd-socket-activate "$@" >"$BATS_TEST_TMPDIR/ports" \
	    2>"$DAEMON_LOG" 3>&- &
	DAEMON_PID=$!
	if ! wait_until 5 eval \
	    '[ "$(grep -c "^Listening on" "$DAEMON_LOG")" -ge "$n" ]'; then
		echo "systemd-socket-activate did not listen; its log:" >&2
		cat "$DAEMON_LOG" >&2
		return 1
	fi
}

# ssa_stop: SIGTERM by pid and wait, whatever the exit status.
ssa_stop() {
	[ -n "${DAEMON_PID:-}" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" || true
	DAEMON_PID=
}

# socket_fds: how many sockets the daemon holds, not counting the one
# per spare waiting for a client.
socket_fds() {
	local n
	n=$(ls -l "/proc/$DAEMON_PID/fd" | grep -c 'socket:' || true)
	echo $((n - $(daemon_spares | wc -l)))
}

@test "Accept=no: sock64d serves a TCP and a unix socket from systemd and binds nothing" {
	local port sock="$BATS_TEST_TMPDIR/s.sock"
	port=$(free_port)
	ssa_start 2 --fdname=web:local -l "127.0.0.1:$port" -l "$sock" \
	    "$SOCK64D" -1 -v $(spares_option)
	# The first connection makes systemd-socket-activate exec sock64d.
	run -0 "$SOCK64" -c "127.0.0.1:$port" "over TCP"
	assert_output "over TCP"
	run -0 "$SOCK64" -c "unix:$sock" "over unix"
	assert_output "over unix"
	assert_equal "$(cat "/proc/$DAEMON_PID/comm")" sock64d
	run -0 cat "$DAEMON_LOG"
	assert_line --regexp "info: listening on 127\.0\.0\.1:$port \(from systemd, fd 3, name web\)\$"
	assert_line --regexp "info: listening on unix:$sock \(from systemd, fd 4, name local\)\$"
	# -1 reports the adopted sockets like bound ones.
	assert_equal "$(cat "$BATS_TEST_TMPDIR/ports")" "$port
unix:$sock"
	# Only the two passed sockets: none bound, none left by clients.
	wait_until 5 eval '[ -z "$(daemon_children)" ]'
	assert_equal "$(socket_fds)" 2
	daemon_stop
	# The socket file belongs to systemd and is left alone.
	[ -S "$sock" ]
}

@test "Accept=no: a client of systemd's socket has TCP_NODELAY too" {
	local port
	port=$(free_port)
	ssa_start 1 -l "127.0.0.1:$port" "$SOCK64D" -v $(spares_option)
	# systemd's socket has no TCP_NODELAY: each child sets it.
	hold_client "$port"
	wait_until 10 eval '[ "$(cat "/proc/$DAEMON_PID/comm")" = sock64d ]'
	wait_until 5 connected_children 1
	assert_nodelay "$(daemon_children)"
}

@test "Accept=no: serving many clients over systemd's socket leaves no zombie" {
	local sock="$BATS_TEST_TMPDIR/s.sock" i
	ssa_start 1 -l "$sock" "$SOCK64D"
	for ((i = 0; i < 100; i++)); do
		"$SOCK64" -c "unix:$sock" "n$i" >/dev/null ||
		    { echo "connection $i failed" >&2; return 1; }
	done
	wait_until 5 no_zombies
	daemon_stop
}

@test "Accept=no: --listen with sockets from systemd is a usage error" {
	local sock="$BATS_TEST_TMPDIR/s.sock" status=0
	ssa_start 1 -l "$sock" "$SOCK64D" -l 127.0.0.1:0
	run -1 "$SOCK64" -t 5 -c "unix:$sock" hello
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	assert_equal "$status" 2
	run -0 grep -F "sock64d: --listen conflicts with the sockets systemd passed (LISTEN_FDS)" "$DAEMON_LOG"
}

@test "Accept=yes: each connection runs sock64d -i, which logs the peer address" {
	local port
	port=$(free_port)
	ssa_start 1 -l "127.0.0.1:$port" --inetd -a "$SOCK64D" -i -v
	run -0 "$SOCK64" -c "127.0.0.1:$port" "Hello Server!" again
	assert_output "Hello Server!
again"
	wait_until 5 grep -q "closed after 2 requests" "$DAEMON_LOG"
	run -0 grep -E "debug: 127\.0\.0\.1:[0-9]+: connected \(inetd mode\)\$" "$DAEMON_LOG"
}

@test "Accept=yes: a malformed frame closes that connection only" {
	local port
	port=$(free_port)
	ssa_start 1 -l "127.0.0.1:$port" --inetd -a "$SOCK64D" -i
	DAEMON_PORT=$port
	run -0 raw <"$FIXTURES/malformed.frame"
	wait_until 5 grep -q "malformed header" "$DAEMON_LOG"
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: malformed header" "$DAEMON_LOG"
	run -0 "$SOCK64" -c "127.0.0.1:$port" after
	assert_output after
}

@test "Accept=yes: 200 sequential connections are each served, none left behind" {
	local sock="$BATS_TEST_TMPDIR/s.sock"
	ssa_start 1 -l "$sock" --inetd -a "$SOCK64D" -i
	run -0 "$PYTHON3" - "$sock" <<'PY'
import socket, sys
def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk: raise EOFError("closed after %d bytes" % len(buf))
        buf += chunk
    return buf
for i in range(200):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    msg = b"message %d" % i
    s.sendall(str(len(msg)).encode().ljust(64) + msg)
    n = int(recv_exact(s, 64))
    assert recv_exact(s, n) == msg, i
    s.close()
print("ok")
PY
	assert_output ok
	wait_until 5 eval '[ -z "$(daemon_children)" ]'
}

@test "Accept=yes: with stderr on the connection, no log byte reaches the client" {
	local sock="$BATS_TEST_TMPDIR/s.sock"
	# inetd's way: fd 2 is the connection too.
	ssa_start 1 -l "$sock" --inetd -a \
	    sh -c 'exec "$0" -i -v 2>&1' "$SOCK64D"
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --unix "$sock" \
	    < <(frame ok; header "1 3")
	assert_output "$(frame ok)"
}

# notify_session NOTIFY_SOCKET: runs sock64d with NOTIFY_SOCKET on a
# datagram socket of its own and prints every message it receives, one
# per line with newlines as "|": it checks at READY=1 that both
# listeners accept, serves three clients, waits for the status to show
# them, then sends SIGTERM and waits for STOPPING=1 and exit 0.
notify_session() {
	"$PYTHON3" - "$SOCK64D" "$1" "$(free_port)" "$BATS_TEST_TMPDIR/l.sock" \
	    2>"$BATS_TEST_TMPDIR/notify.err" <<'PY'
import os, signal, socket, subprocess, sys, time
daemon, name, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind("\0" + name[1:] if name.startswith("@") else name)
n.settimeout(10)
env = dict(os.environ, NOTIFY_SOCKET=name)
p = subprocess.Popen([daemon, "-l", "127.0.0.1:%d" % port,
                      "-l", "unix:" + path], env=env)
def request(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(addr)
    s.sendall(b"2".ljust(64) + b"hi")
    data = b""
    while len(data) < 66:
        chunk = s.recv(66 - len(data))
        if not chunk: break
        data += chunk
    s.close()
    assert data == b"2".ljust(64) + b"hi", data
def receive():
    msg = n.recv(4096).decode()
    print(msg.replace("\n", "|"), flush=True)
    return msg
try:
    msg = receive()
    assert msg.startswith("READY=1"), msg
    # Ready means both listeners accept now, without retrying.
    request(socket.AF_INET, ("127.0.0.1", port))
    request(socket.AF_UNIX, path)
    request(socket.AF_INET, ("127.0.0.1", port))
    while "0 connections now, 3 served" not in msg:
        msg = receive()
    p.send_signal(signal.SIGTERM)
    while "STOPPING=1" not in msg:
        msg = receive()
    print("exit", p.wait(timeout=10))
finally:
    if p.poll() is None:
        p.kill()
        p.wait()
PY
}

@test "NOTIFY_SOCKET: READY=1 once the listeners accept, STATUS= with counts, STOPPING=1 on SIGTERM" {
	run -0 notify_session "$BATS_TEST_TMPDIR/notify"
	assert_line --index 0 "READY=1|STATUS=0 connections now, 0 served, 0 refused"
	assert_line --regexp '^STATUS=[0-9]+ connections now, [1-3] served, 0 refused$'
	assert_line "STATUS=0 connections now, 3 served, 0 refused"
	assert_line --regexp '^STOPPING=1\|STATUS=stopping'
	assert_line "exit 0"
}

@test "NOTIFY_SOCKET: an abstract socket name (@...) works too" {
	run -0 notify_session "@sock64-test-$$-$RANDOM"
	assert_line --index 0 "READY=1|STATUS=0 connections now, 0 served, 0 refused"
	assert_line --regexp '^STOPPING=1'
	assert_line "exit 0"
}

@test "NOTIFY_SOCKET: status is sent at most once a second, however many clients" {
	local sock="$BATS_TEST_TMPDIR/s.sock"
	run -0 "$PYTHON3" - "$SOCK64D" "$BATS_TEST_TMPDIR/notify" "$sock" <<'PY'
import os, signal, socket, subprocess, sys, time
daemon, name, path = sys.argv[1:]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(name)
n.settimeout(10)
p = subprocess.Popen([daemon, "-l", "unix:" + path],
                     env=dict(os.environ, NOTIFY_SOCKET=name),
                     stderr=subprocess.DEVNULL)
try:
    assert n.recv(4096).startswith(b"READY=1")
    start = time.monotonic()
    while time.monotonic() - start < 1.5:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.close()
    n.settimeout(1.5)
    count = 0
    try:
        while True:
            n.recv(4096)
            count += 1
    except socket.timeout:
        pass
    # 1.5 s of clients, then at most one more report of the settled counts.
    print("ok" if 1 <= count <= 4 else "%d reports" % count)
finally:
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
PY
	assert_output ok
}

@test "NOTIFY_SOCKET that cannot be reached is one warning, never fatal" {
	NOTIFY_SOCKET="$BATS_TEST_TMPDIR/nobody" daemon_start
	run -0 client one
	run -0 client two
	daemon_stop
	run -0 grep -c "notify" "$DAEMON_LOG"
	assert_output 1
	run -0 grep -F "warning: notify $BATS_TEST_TMPDIR/nobody: " "$DAEMON_LOG"
}

@test "NOTIFY_SOCKET that is not a unix socket address is a warning" {
	NOTIFY_SOCKET=relative/path daemon_start
	run -0 client still
	assert_output still
	run -0 grep -F "warning: NOTIFY_SOCKET 'relative/path' is not a unix socket path" "$DAEMON_LOG"
}

@test "under systemd's journal the daemon's lines carry <N> priority prefixes" {
	# The file the kit sends the daemon's stderr to (bats-sock64(7)).
	DAEMON_LOG="$BATS_TEST_TMPDIR/sock64d.log"
	: >"$DAEMON_LOG"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$DAEMON_LOG") daemon_start -v
	run -0 client hi
	daemon_stop
	run -0 cat "$DAEMON_LOG"
	assert_line "<6>listening on 127.0.0.1:$DAEMON_PORT"
	assert_line --regexp '^<7>127\.0\.0\.1:[0-9]+: connected to 127\.0\.0\.1:'
	assert_line "<6>stopped"
	refute_line --partial "sock64d["
}
