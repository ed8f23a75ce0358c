#!/usr/bin/env bats
# Limits and time-outs: what a slow, greedy or stuck client gets, and
# how the daemon behaves when the system runs out of descriptors.

bats_require_minimum_version 1.5.0
load helpers

# The churn tests make thousands of forks, 11 s here on an idle machine
# whose fork costs 0.8 ms; the limit guards against a hang, not a slow
# machine loaded twice over.
setup_file() {
	export BATS_TEST_TIMEOUT=120
}

teardown() {
	daemon_stop
	release_held
}

@test "--idle-timeout closes a connection that sends nothing" {
	daemon_start -v --idle-timeout 1
	local start=$SECONDS
	# rawclient exits 0 only when the server closed the connection.
	run -0 raw --no-shutdown --timeout 10 </dev/null
	[ $((SECONDS - start)) -le 4 ]
	wait_until 5 grep -q "idle timeout" "$DAEMON_LOG"
	run -0 grep -E "debug: 127\.0\.0\.1:[0-9]+: idle timeout" "$DAEMON_LOG"
}

@test "--idle-timeout counts from the last frame, not from the connection" {
	daemon_start --idle-timeout 1
	{ frame one; frame two; frame three; } >"$BATS_TEST_TMPDIR/req"
	# Three frames 0.6 s apart: 1.8 s in all, never 1 s idle.
	raw --chunk 77 --delay 0.6 <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/rep"
}

@test "--frame-timeout cuts a client that trickles a frame a byte at a time" {
	daemon_start --frame-timeout 2
	frame "Hello Server!" >"$BATS_TEST_TMPDIR/req"
	local start=$SECONDS
	run -0 raw --chunk 1 --delay 0.5 --no-shutdown --timeout 20 \
	    <"$BATS_TEST_TMPDIR/req"
	assert_output ""
	[ $((SECONDS - start)) -le 6 ]
	wait_until 5 grep -q "frame timeout" "$DAEMON_LOG"
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: frame timeout" "$DAEMON_LOG"
}

@test "--write-timeout closes a connection whose client stops reading" {
	daemon_start -m 4M --write-timeout 1
	# 16 MiB of requests and not one reply read: the server must give up
	# writing, and our own sends must then fail or stall, not hang.
	run -0 "$PYTHON3" - "$DAEMON_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(15)
frame = b"4194304".ljust(64) + bytes(4 << 20)
try:
    for _ in range(4):
        s.sendall(frame)
except (socket.timeout, OSError):
    pass
time.sleep(3)
print("done")
PY
	wait_until 5 grep -q "write timeout" "$DAEMON_LOG"
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: write timeout \(no reply byte taken for 1 s\)" "$DAEMON_LOG"
	wait_until 5 eval '[ -z "$(daemon_children)" ]'
}

@test "-c 2: a third client is served only after one of the first two leaves" {
	daemon_start -v -c 2
	hold_connections 2
	client -t 20 third >"$BATS_TEST_TMPDIR/third" &
	local third=$!
	# It waits in the backlog: no third child, no reply.
	if wait_until 1 connected_children 3; then
		fail "a third child started while -c 2 was full"
	fi
	[ ! -s "$BATS_TEST_TMPDIR/third" ]
	kill "${HELD_PIDS[0]}"
	wait "${HELD_PIDS[0]}" || true
	wait "$third"
	run -0 cat "$BATS_TEST_TMPDIR/third"
	assert_output third
}

@test "--max-per-source refuses, logs and closes the connection over the limit" {
	daemon_start -v --max-per-source 2
	hold_connections 2
	# Closed at once: end of input, no reply.
	run -0 raw --no-shutdown --timeout 5 </dev/null
	assert_output ""
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: refused on 127\.0\.0\.1:$DAEMON_PORT: 2 connections from this address already \(--max-per-source\)" "$DAEMON_LOG"
	# One leaves: the address may connect again.
	kill "${HELD_PIDS[0]}"
	wait "${HELD_PIDS[0]}" || true
	wait_until 5 eval '[ "$(daemon_children | wc -l)" -eq 1 ]'
	run -0 client again
	assert_output again
}

@test "--max-per-source counts IPv4-mapped IPv6 clients as their IPv4 address" {
	have_ipv6 || skip "this machine has no IPv6 loopback (::1)"
	daemon_start_with -v --max-per-source 1 -l 127.0.0.1:0 -l :0
	local v4 dual
	v4=$(sed -n 1p <<<"$DAEMON_PORTS")
	dual=$(sed -n 2p <<<"$DAEMON_PORTS")
	hold_client "$v4"
	wait_until 5 connected_children 1
	# 127.0.0.1 reaches the dual-stack socket as ::ffff:127.0.0.1.
	run -1 --separate-stderr "$SOCK64" -c "127.0.0.1:$dual" -t 5 mapped
	run -0 grep -E "127\.0\.0\.1:[0-9]+: refused on \[::\]:$dual" "$DAEMON_LOG"
	# A real IPv6 address is another source.
	run -0 "$SOCK64" -c "[::1]:$dual" -t 5 v6
	assert_output v6
}

@test "--max-per-source counts unix clients by their uid" {
	local sock="$BATS_TEST_TMPDIR/s.sock"
	daemon_start_with -v --max-per-source 1 -l "unix:$sock"
	{ header 13; printf 'Hel'; } >"$BATS_TEST_TMPDIR/half"
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --unix "$sock" \
	    --no-shutdown --timeout 20 <"$BATS_TEST_TMPDIR/half" >/dev/null &
	HELD_PIDS+=($!)
	wait_until 5 connected_children 1
	run -1 --separate-stderr "$SOCK64" -c "unix:$sock" -t 5 second
	assert_equal "$stderr" "sock64: server closed the connection before replying"
	run -0 grep "uid $(id -u): refused on unix:$sock: 1 connections from this user already (--max-per-source)" "$DAEMON_LOG"
}

@test "out of descriptors, the daemon pauses accepting without spinning, then recovers" {
	daemon_start
	# Lower the daemon's descriptor limit so that accept(2) fails (EMFILE).
	prlimit --pid "$DAEMON_PID" --nofile=4:
	local i pids=()
	for ((i = 0; i < 3; i++)); do
		client -t 30 "waiting $i" >"$BATS_TEST_TMPDIR/out.$i" &
		pids+=($!)
	done
	wait_until 5 grep -q "Too many open files" "$DAEMON_LOG"
	daemon_stays_idle "out of descriptors"
	# Rate-limited: one warning, not one per attempt.
	run -0 grep -c "Too many open files" "$DAEMON_LOG"
	assert_output 1
	prlimit --pid "$DAEMON_PID" --nofile=1024:
	wait_pids "${pids[@]}"
	# Not $i: bats's run uses a variable of that name.
	local k
	for ((k = 0; k < 3; k++)); do
		run -0 cat "$BATS_TEST_TMPDIR/out.$k"
		assert_output "waiting $k"
	done
}

@test "5000 connections of churn: no zombie, no descriptor or memory growth" {
	daemon_start
	run -0 client warm-up
	local fds rss
	fds=$(daemon_fds)
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status")
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/churn.py" "$DAEMON_PORT" 5000
	assert_output "5000 served"
	wait_until 10 eval '[ -z "$(daemon_children)" ]'
	assert_equal "$(daemon_fds)" "$fds"
	local now
	now=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status")
	echo "parent RSS: $rss KiB before, $now KiB after" >&3
	[ "$now" -le $((rss + 64)) ]
}

# proc_kb PID FIELD: a "FIELD: N kB" line of /proc/PID/status, as N.
proc_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# proc_rchar PID: how many bytes the process has read so far.
proc_rchar() {
	awk '$1 == "rchar:" { print $2 }' "/proc/$1/io"
}

# children_reading BYTES N: N children have read BYTES each and sleep
# again (so they have handled what they read).
children_reading() {
	local pid n=0
	for pid in $(daemon_children); do
		[ "$(proc_rchar "$pid")" = "$1" ] &&
		    [ "$(proc_state "$pid")" = S ] && n=$((n + 1))
	done
	[ "$n" -eq "$2" ]
}

@test "a header announcing 64 MiB costs memory for the bytes that came, not the 64 MiB" {
	[ -r "/proc/$$/io" ] || skip "no /proc/PID/io here"
	daemon_start -m 64M
	# One client sends nothing (the yardstick); four send a header that
	# announces 64 MiB and 1000 bytes of it, then hold.
	"$PYTHON3" -c '
import socket, sys, time
port = int(sys.argv[1])
idle = socket.create_connection(("127.0.0.1", port))
held = [socket.create_connection(("127.0.0.1", port)) for i in range(4)]
for s in held:
    s.sendall(b"67108864".ljust(64) + bytes(1000))
time.sleep(30)' "$DAEMON_PORT" &
	local holder=$! pid idle= size rss base
	wait_until 10 children_reading 1064 4
	for pid in $(daemon_children); do
		[ "$(proc_rchar "$pid")" = 0 ] && idle=$pid
	done
	[ -n "$idle" ] || fail "no idle child"
	base=$(proc_kb "$idle" VmSize)
	for pid in $(daemon_children); do
		[ "$pid" = "$idle" ] && continue
		size=$(proc_kb "$pid" VmSize)
		rss=$(proc_kb "$pid" VmRSS)
		echo "child $pid: VmSize $size kB (idle: $base kB), VmRSS $rss kB"
		# Today's buffer is 128 KiB; 64 MiB would be 65536 kB more.
		((size - base < 8192)) ||
		    fail "child $pid reserved $((size - base)) kB for 1000 bytes"
		((rss < 65536)) || fail "child $pid has $rss kB resident"
	done
	kill "$holder"
	wait "$holder" || true
}

@test "256 silent clients hold the -c slots only until --frame-timeout: a real client behind them is served" {
	# Every slot taken by a client that sends nothing: the next client
	# waits in the backlog until one of them is closed.  The first frame
	# is due within --frame-timeout of connecting, so that is 2 s here,
	# not the 300 s of --idle-timeout.
	daemon_start -c 256 -b 512 --frame-timeout 2
	run -0 "$PYTHON3" - "$DAEMON_PORT" "$DAEMON_PID" <<'PY'
import os, socket, sys, time
port, daemon = int(sys.argv[1]), int(sys.argv[2])

def children():
    n = 0
    for t in os.listdir("/proc/%d/task" % daemon):
        with open("/proc/%d/task/%s/children" % (daemon, t)) as f:
            n += len(f.read().split())
    return n

silent = [socket.create_connection(("127.0.0.1", port)) for i in range(256)]
end = time.monotonic() + 30
while children() < 256:
    if time.monotonic() > end:
        sys.exit("only %d children for 256 clients" % children())
    time.sleep(0.01)
start = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"5".ljust(64) + b"hello")
reply = b""
try:
    while len(reply) < 69:
        chunk = s.recv(69)
        if not chunk:
            break
        reply += chunk
except socket.timeout:
    sys.exit("not served within 10 s")
assert reply == b"5".ljust(64) + b"hello", reply
print("served after %.1f s" % (time.monotonic() - start))
closed = 0
for c in silent:
    c.settimeout(10)
    if c.recv(1) == b"":
        closed += 1
print("%d silent clients closed" % closed)
PY
	assert_line "256 silent clients closed"
	echo "$output"
	# Served within the first-frame deadline, with room for a busy host.
	[[ "${lines[0]}" =~ ^served\ after\ ([0-9]+)\.[0-9]\ s$ ]] || fail "$output"
	((BASH_REMATCH[1] < 10))
	run -0 grep -c "frame timeout (no request in the first 2 s)" "$DAEMON_LOG"
	assert_output 256
}

# fd_wrapper N: a sock64d that starts with N more descriptors open (from
# 3 up, as a leaky supervisor leaves them) under a limit of 4096, so its
# own sockets get numbers past FD_SETSIZE (1024).  Exec keeps the pid.
# (Python: bash itself crashes on redirections that many.)
fd_wrapper() {
	cat >"$BATS_TEST_TMPDIR/many-fds.py" <<'PY'
import os, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
for _ in range(int(sys.argv[1])):
    os.set_inheritable(os.open("/dev/null", os.O_RDONLY), True)
os.execv(sys.argv[2], sys.argv[2:])
PY
	printf '#!/bin/sh\nexec "%s" "%s" %d "%s" "$@"\n' "$PYTHON3" \
	    "$BATS_TEST_TMPDIR/many-fds.py" "$1" "$SOCK64D" \
	    >"$BATS_TEST_TMPDIR/many-fds"
	chmod +x "$BATS_TEST_TMPDIR/many-fds"
}

# highest_socket_fd PID: the largest descriptor number that is a socket.
# One find(1), not a readlink per descriptor: 2000 forks take a minute
# on a loaded machine.
highest_socket_fd() {
	find /proc/"$1"/fd -lname 'socket:*' -printf '%f\n' | sort -n |
	    tail -n 1
}

@test "with 2000 inherited descriptors the parent idles, serves and stops on SIGTERM" {
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] || [ "$hard" -ge 4096 ] ||
	    skip "the hard descriptor limit ($hard) is below 4096"
	fd_wrapper 2000
	SOCK64D=$BATS_TEST_TMPDIR/many-fds daemon_start
	# The listening socket is far past what an fd_set can hold.
	[ "$(highest_socket_fd "$DAEMON_PID")" -gt 2000 ]
	daemon_stays_idle "idle"
	run -0 client -t 10 "past FD_SETSIZE"
	assert_output "past FD_SETSIZE"
	daemon_stop_by TERM 10
}

# refused_summed LOG: the connections the summary lines of LOG count.
refused_summed() {
	awk '/: refused [0-9]+ more connections in the last [0-9]+ s \(--max-per-source\)/ {
		for (i = 1; i < NF; i++)
			if ($i == "refused") { n += $(i + 1); break }
	} END { print n + 0 }' "$1"
}

@test "--max-per-source: a source's first refusal is logged at once, the next ones summed up in one line" {
	daemon_start --max-per-source 1
	hold_client "$DAEMON_PORT"
	wait_until 5 eval '[ "$(daemon_children | wc -l)" -eq 1 ]'
	run -0 "$PYTHON3" - "$DAEMON_PORT" <<'PY'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.monotonic() + 30
for i in range(50):
    assert time.monotonic() < deadline, "too slow: %d done" % i
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        assert s.recv(1) == b"", "served over the limit"
    except ConnectionResetError:
        pass
    s.close()
print("50 refused")
PY
	assert_output "50 refused"
	# Each was refused (and closed) by now; one line says so at once.
	run -0 grep -c "refused on 127.0.0.1:$DAEMON_PORT: 1 connections from this address already (--max-per-source)" "$DAEMON_LOG"
	assert_output 1
	# The other 49 are summed up when the 10 s interval ends.
	wait_until 25 eval '[ "$(refused_summed "$DAEMON_LOG")" -ge 49 ]'
	assert_equal "$(refused_summed "$DAEMON_LOG")" 49
	run -0 grep -c "refused" "$DAEMON_LOG"
	[ "$output" -le 3 ]
}

# fifo_fill FIFO: writes to FIFO until it takes not one byte more, as a
# log reader that stopped reading leaves it.
fifo_fill() {
	"$PYTHON3" - "$1" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
for piece in (b"filler\n" * 512, b"f\n"):
    try:
        while True:
            os.write(fd, piece)
    except BlockingIOError:
        pass
PY
}

# fifo_drain FIFO: prints what FIFO holds now, but the filler.
fifo_drain() {
	"$PYTHON3" - "$1" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except BlockingIOError:
        break
    if not chunk:
        break
    data += chunk
for line in data.decode(errors="replace").splitlines():
    if line not in ("filler", "f"):
        print(line)
PY
}

# served_from SOURCE: a request from SOURCE (a 127.0.0.x) is answered
# within 10 s.
served_from() {
	"$PYTHON3" - "$DAEMON_PORT" "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(10)
s.bind((sys.argv[2], 0))
s.connect(("127.0.0.1", int(sys.argv[1])))
req = b"5".ljust(64) + b"hello"
s.sendall(req)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    got += chunk
assert got == req, got
PY
}

@test "a log nobody reads stops neither accepting nor SIGTERM, and dropped lines are counted" {
	local fifo=$BATS_TEST_TMPDIR/stderr hold
	mkfifo "$fifo"
	# The test holds the FIFO open and never reads it, as a stalled
	# log reader would; the daemon does not inherit that descriptor.
	exec {hold}<>"$fifo"
	printf '#!/bin/bash\nexec "%s" "$@" 2>"%s" %d<&-\n' "$SOCK64D" "$fifo" \
	    "$hold" >"$BATS_TEST_TMPDIR/stalled"
	chmod +x "$BATS_TEST_TMPDIR/stalled"
	SOCK64D=$BATS_TEST_TMPDIR/stalled daemon_start --max-per-source 1
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$DAEMON_PORT" \
	    --no-shutdown --timeout 30 </dev/null >/dev/null &
	HELD_PIDS+=($!)
	wait_until 5 eval '[ "$(daemon_children | wc -l)" -eq 1 ]'
	fifo_fill "$fifo"
	# 127.0.0.1 connects 1000 times over its limit: each refusal is a
	# line the log cannot take.
	run -0 "$PYTHON3" - "$DAEMON_PORT" <<'PY'
import socket, sys, time
port, deadline, n = int(sys.argv[1]), time.monotonic() + 30, 0
while n < 1000 and time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        break	# the backlog is full: nobody accepts
    n += 1
print(n)
PY
	assert_output 1000
	# Another address is served at once, and SIGHUP's line costs nothing.
	run -0 served_from 127.0.0.2
	kill -HUP "$DAEMON_PID"
	run -0 served_from 127.0.0.3
	# Once the log takes lines again, the first says how many it lost.
	fifo_drain "$fifo" >"$BATS_TEST_TMPDIR/read"
	kill -HUP "$DAEMON_PID"
	wait_until 10 eval 'fifo_drain "$fifo" >>"$BATS_TEST_TMPDIR/read";
	    grep -q "SIGHUP ignored" "$BATS_TEST_TMPDIR/read"'
	# Among the parent's own lines (the children's summaries waited for
	# the log and come in between), the count comes just before.
	run -0 grep -A1 -E "warning: [0-9]+ log lines dropped: standard error did not take them" \
	    <(grep -F "sock64d[$DAEMON_PID]:" "$BATS_TEST_TMPDIR/read")
	assert_line --index 1 --partial "info: SIGHUP ignored"
	[ "$(sed -n 's/.*warning: \([0-9]*\) log lines dropped.*/\1/p' "$BATS_TEST_TMPDIR/read")" -ge 2 ]
	# Full again: SIGTERM still stops it at once.
	fifo_fill "$fifo"
	daemon_stop_by TERM 5
	exec {hold}<&-
}
