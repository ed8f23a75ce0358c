#!/usr/bin/env bats
# The exec handler: sock64d -- PROGRAM [ARG]... runs PROGRAM once per
# request, payload on stdin, stdout as the reply.

bats_require_minimum_version 1.5.0
load helpers

# Clients a test runs in the background; a test that fails midway
# leaves them to teardown, which stops and waits for each.
BG_PIDS=()

teardown() {
	local pid
	for pid in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	daemon_stop
}

# exec_client ARGS...: tests/fixtures/exec_client.py (see there).
exec_client() {
	"$PYTHON3" "$FIXTURES/exec_client.py" "$@"
}

# pids_gone PID...: true once none of them exists, not even as a zombie.
pids_gone() {
	local pid
	for pid in "$@"; do
		[ -e "/proc/$pid" ] && return 1
	done
	return 0
}

# A sleep with a unique duration is a marker /proc can find.
new_marker() {
	MARKER="40.$$$RANDOM"
}

@test "a filter becomes a service: tr uppercases each request" {
	daemon_start -- tr a-z A-Z
	run -0 client "Hello Server!" again
	assert_output "$(printf 'HELLO SERVER!\nAGAIN')"
}

@test "binary payloads with NULs pass through cat unchanged" {
	head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	printf 'a\0b\0\0c\n\0' >>"$BATS_TEST_TMPDIR/in"
	daemon_start -- cat
	client -n <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
}

@test "an empty request gives the program an empty stdin at once" {
	daemon_start -- sh -c 'wc -c'
	run -0 client ""
	assert_output 0
}

@test "a 1 MiB payload through a program that writes before reading does not deadlock" {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	daemon_start --max-reply 2M -- sh "$FIXTURES/exec_write_first.sh"
	"$SOCK64" -t 20 -n -c "127.0.0.1:$DAEMON_PORT" \
	    <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
	{ head -c 524288 /dev/zero; cat "$BATS_TEST_TMPDIR/in"; } |
	    cmp - "$BATS_TEST_TMPDIR/out"
}

@test "a program that exits 0 without reading its input still replies" {
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	daemon_start -- echo unread
	run -0 client <"$BATS_TEST_TMPDIR/in"
	assert_output unread
}

@test "environment over IPv4: UCSPI and systemd names, request numbers" {
	daemon_start -- sh "$FIXTURES/exec_env.sh"
	run -0 exec_client --port "$DAEMON_PORT" one two
	local port
	port=$(sed -n 's/^client_port=//p' <<<"$output")
	assert_line PROTO=TCP
	assert_line TCPREMOTEIP=127.0.0.1
	assert_line "TCPREMOTEPORT=$port"
	assert_line TCPLOCALIP=127.0.0.1
	assert_line "TCPLOCALPORT=$DAEMON_PORT"
	assert_line REMOTE_ADDR=127.0.0.1
	assert_line "REMOTE_PORT=$port"
	assert_line SOCK64_REQUEST=1
	assert_line SOCK64_REQUEST=2
	refute_line --regexp '^UNIX'
}

@test "environment over IPv6" {
	have_ipv6 || skip "no IPv6 loopback"
	daemon_start_with -l '[::1]:0' -- sh "$FIXTURES/exec_env.sh"
	run -0 exec_client --host ::1 --port "$DAEMON_PORT" one
	local port
	port=$(sed -n 's/^client_port=//p' <<<"$output")
	assert_line PROTO=TCP
	assert_line TCPREMOTEIP=::1
	assert_line "TCPREMOTEPORT=$port"
	assert_line TCPLOCALIP=::1
	assert_line "TCPLOCALPORT=$DAEMON_PORT"
	assert_line REMOTE_ADDR=::1
	assert_line "REMOTE_PORT=$port"
	assert_line SOCK64_REQUEST=1
}

@test "an IPv4 client of a dual-stack listener is shown as plain IPv4" {
	have_ipv6 || skip "no IPv6 loopback"
	daemon_start_with -l :0 -- sh "$FIXTURES/exec_env.sh"
	run -0 exec_client --port "$DAEMON_PORT" one
	assert_line TCPREMOTEIP=127.0.0.1
	assert_line TCPLOCALIP=127.0.0.1
	assert_line REMOTE_ADDR=127.0.0.1
}

@test "environment over a unix socket: PROTO=UNIX and the peer's credentials" {
	local sock="$BATS_TEST_TMPDIR/s.sock"
	daemon_start_with -l "unix:$sock" -- sh "$FIXTURES/exec_env.sh"
	run -0 exec_client --unix "$sock" one two
	local pid
	pid=$(sed -n 's/^client_pid=//p' <<<"$output")
	assert_line PROTO=UNIX
	assert_line "UNIXREMOTEUID=$(id -u)"
	assert_line "UNIXREMOTEGID=$(id -g)"
	assert_line "UNIXREMOTEEUID=$(id -u)"
	assert_line "UNIXREMOTEEGID=$(id -g)"
	assert_line "UNIXREMOTEPID=$pid"
	assert_line SOCK64_REQUEST=2
	refute_line --regexp '^(TCP|REMOTE_)'
}

@test "connection variables left in the server's environment never reach the program" {
	local sock="$BATS_TEST_TMPDIR/s.sock"
	TCPREMOTEIP=192.0.2.66 TCPREMOTEHOST=stale.example PROTO=TCP \
	    REMOTE_ADDR=192.0.2.66 SSL_CLIENT_VERIFY=SUCCESS \
	    SSL_CLIENT_S_DN_CN=admin SSL_SESSION_ID=00ff SSL_PROTOCOL=TLSv1.3 \
	    SSL_CERT_FILE=/etc/ssl/certs/ca.pem \
	    daemon_start_with -l "unix:$sock" -- sh "$FIXTURES/exec_env.sh"
	run -0 exec_client --unix "$sock" one
	assert_line PROTO=UNIX
	refute_line --regexp '^(TCP|REMOTE_|SSL_CLIENT_|SSL_SESSION_|SSL_PROTOCOL)'
	# Not a connection's: OpenSSL's own variables stay.
	assert_line SSL_CERT_FILE=/etc/ssl/certs/ca.pem
}

@test "a successful run leaves nothing behind: its background jobs are killed" {
	daemon_start -- sh -c 'sleep 37 >/dev/null 2>&1 & echo $!'
	run -0 client first
	local bg=$output
	[ -n "$bg" ]
	# Killed and reaped: no process, not even a zombie.
	wait_until 5 eval '[ ! -e /proc/'"$bg"' ]'
	run -0 client second
}

# ESCAPE: sh -c code that leaves "sleep $MARKER" behind in a session and
# process group of its own, off the program's stdout; it waits until the
# sleep is there and then says "escaped" on stderr.  MARKER comes in the
# environment: in an argument, it would mark the server's own processes.
ESCAPE='setsid sleep "$MARKER" </dev/null >/dev/null 2>&1 &
while [ "$(cut -d " " -f 6 "/proc/$!/stat" 2>/dev/null)" != "$!" ]; do
	sleep 0.01
done
echo escaped >&2'

need_setsid() {
	command -v setsid >/dev/null || fail "setsid(1) (util-linux) is needed"
}

# ask_twice PORT GOFILE: one connection, request "one", then, once GOFILE
# exists (at most 20 s), request "two"; prints each reply on a line.
ask_twice() {
	"$PYTHON3" - "$@" <<'PY'
import os, socket, sys, time
def ask(s, b):
    s.sendall(str(len(b)).encode().ljust(64) + b)
    buf = b""
    while len(buf) < 64 or len(buf) < 64 + int(buf[:64]):
        c = s.recv(65536)
        if not c:
            sys.exit("closed")
        buf += c
    print(buf[64:].decode().strip(), flush=True)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
ask(s, b"one")
end = time.monotonic() + 20
while not os.path.exists(sys.argv[2]):
    if time.monotonic() > end:
        sys.exit("no go")
    time.sleep(0.01)
ask(s, b"two")
PY
}

@test "a descendant that calls setsid does not outlive its request" {
	need_setsid
	new_marker
	MARKER=$MARKER daemon_start --handler-timeout 10 -- sh -c "$ESCAPE
	    echo reply"
	run -0 client x
	assert_output reply
	grep -q '^escaped$' "$DAEMON_LOG"
	wait_until 5 no_marker_procs "$MARKER"
}

@test "a descendant that calls setsid is killed after each run, the connection still open" {
	need_setsid
	new_marker
	MARKER=$MARKER daemon_start -v --handler-timeout 10 -- sh -c "$ESCAPE
	    echo \"reply \$SOCK64_REQUEST\""
	ask_twice "$DAEMON_PORT" "$BATS_TEST_TMPDIR/go" \
	    >"$BATS_TEST_TMPDIR/out" &
	local cpid=$!
	BG_PIDS+=("$cpid")
	wait_until 10 grep -qx 'reply 1' "$BATS_TEST_TMPDIR/out"
	wait_until 5 no_marker_procs "$MARKER"
	# The connection is open yet: its child has not said it closed.
	run -1 grep -q 'closed after' "$DAEMON_LOG"
	touch "$BATS_TEST_TMPDIR/go"
	wait "$cpid"
	grep -qx 'reply 2' "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^escaped$' "$DAEMON_LOG")" -eq 2 ]
	wait_until 5 no_marker_procs "$MARKER"
}

@test "SIGTERM during a run: a descendant that called setsid is killed before the server exits" {
	need_setsid
	new_marker
	MARKER=$MARKER daemon_start -v --grace 2 --handler-timeout 30 \
	    -- sh -c "$ESCAPE
	    exec sleep \"\$MARKER\""
	exec_client --port "$DAEMON_PORT" x >"$BATS_TEST_TMPDIR/out" &
	local cpid=$!
	wait_until 10 grep -q '^escaped$' "$DAEMON_LOG"
	kill -TERM "$DAEMON_PID"
	local status=0
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	assert_equal "$status" 0
	wait "$cpid" || true
	grep -q 'handler failed (stopped by shutdown)' "$DAEMON_LOG"
	# The server has exited: nothing of its programs may remain.
	no_marker_procs "$MARKER"
}

@test "a program that exits while its background child holds stdout open replies at once" {
	new_marker
	MARKER=$MARKER daemon_start --handler-timeout 30 -- \
	    sh -c 'sleep "$MARKER" & echo reply'
	# Well before --handler-timeout.
	run -0 "$SOCK64" -t 10 -c "127.0.0.1:$DAEMON_PORT" x
	assert_output reply
	wait_until 5 no_marker_procs "$MARKER"
	run -0 "$SOCK64" -t 10 -c "127.0.0.1:$DAEMON_PORT" x
	assert_output reply
}

@test "all a program wrote before it exited is the reply, though a child holds stdout" {
	new_marker
	MARKER=$MARKER daemon_start --max-reply 2M --handler-timeout 30 -- \
	    sh -c 'sleep "$MARKER" & head -c 1000000 /dev/zero'
	"$SOCK64" -t 10 -n -c "127.0.0.1:$DAEMON_PORT" x \
	    >"$BATS_TEST_TMPDIR/out"
	head -c 1000000 /dev/zero | cmp - "$BATS_TEST_TMPDIR/out"
	wait_until 5 no_marker_procs "$MARKER"
}

# hangup_client (--port PORT | --unix PATH) [--reset] GOFILE: sends one
# request, waits until GOFILE exists (at most 20 s), then closes the
# connection without reading, with a reset (RST) if --reset is given.
hangup_client() {
	"$PYTHON3" - "$@" <<'PY'
import argparse, os, socket, struct, sys, time
p = argparse.ArgumentParser()
p.add_argument("--port", type=int)
p.add_argument("--unix")
p.add_argument("--reset", action="store_true")
p.add_argument("go")
a = p.parse_args()
if a.unix:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.unix)
else:
    s = socket.create_connection(("127.0.0.1", a.port), timeout=20)
s.sendall(b"1".ljust(64) + b"x")
end = time.monotonic() + 20
while not os.path.exists(a.go):
    if time.monotonic() > end:
        sys.exit("no go")
    time.sleep(0.01)
if a.reset:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PY
}

# hangup_during_run tcp|unix [--reset]: a client that hangs up while its
# program sleeps far into --handler-timeout; the program must be gone
# within seconds, and the log must say why.
hangup_during_run() {
	local sock="$BATS_TEST_TMPDIR/s.sock" to
	new_marker
	if [ "$1" = unix ]; then
		MARKER=$MARKER daemon_start_with -l "unix:$sock" \
		    --handler-timeout 30 -- sh -c 'exec sleep "$MARKER"'
		to=(--unix "$sock")
	else
		MARKER=$MARKER daemon_start --handler-timeout 30 \
		    -- sh -c 'exec sleep "$MARKER"'
		to=(--port "$DAEMON_PORT")
	fi
	shift
	hangup_client "${to[@]}" "$@" "$BATS_TEST_TMPDIR/go" &
	local cpid=$!
	BG_PIDS+=("$cpid")
	wait_until 10 eval '[ -n "$(marker_procs "$MARKER")" ]'
	touch "$BATS_TEST_TMPDIR/go"
	wait "$cpid"
	wait_until 5 no_marker_procs "$MARKER"
	grep -q 'request 1: handler stopped (the client closed the connection)' \
	    "$DAEMON_LOG"
	run -1 grep -q 'handler failed' "$DAEMON_LOG"
}

@test "a unix-socket client that hangs up while its program runs stops the program" {
	hangup_during_run unix
}

@test "a TCP client that resets the connection while its program runs stops the program" {
	hangup_during_run tcp --reset
}

@test "inetd mode: a reader of stdout that goes away stops the program" {
	new_marker
	MARKER=$MARKER "$PYTHON3" - "$SOCK64D" "$BATS_TEST_TMPDIR/log" \
	    "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/out" <<'PY' &
import os, subprocess, sys, time
sock64d, log, go = sys.argv[1:4]
p = subprocess.Popen([sock64d, "-i", "--handler-timeout", "30", "--",
                      "sh", "-c", 'exec sleep "$MARKER"'],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(log, "w"))
# The request, and stdin kept open: only stdout goes away.
p.stdin.write(b"1".ljust(64) + b"x")
p.stdin.flush()
end = time.monotonic() + 20
while not os.path.exists(go) and time.monotonic() < end:
    time.sleep(0.01)
p.stdout.close()
try:
    print("status %d" % p.wait(timeout=10))
except subprocess.TimeoutExpired:
    print("still running")
    p.kill()
    p.wait()
p.stdin.close()
PY
	local cpid=$!
	BG_PIDS+=("$cpid")
	wait_until 10 eval '[ -n "$(marker_procs "$MARKER")" ]'
	touch "$BATS_TEST_TMPDIR/go"
	wait "$cpid"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output "status 1"
	no_marker_procs "$MARKER"
	grep -q 'handler stopped (the client closed the connection)' \
	    "$BATS_TEST_TMPDIR/log"
	run -1 grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' \
	    "$BATS_TEST_TMPDIR/log"
}

@test "a client that half-closes after its request still gets the reply of a slow program" {
	local sock="$BATS_TEST_TMPDIR/s.sock"
	daemon_start_with -l 127.0.0.1:0 -l "unix:$sock" \
	    -- sh -c 'cat >/dev/null; sleep 1; printf done'
	# rawclient.py half-closes once it has sent (see sock64(7)).
	run -0 raw --timeout 10 <<<"$(frame x)"
	assert_output "$(frame done)"
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --unix "$sock" \
	    --timeout 10 <<<"$(frame x)"
	assert_output "$(frame done)"
}

@test "inetd mode: end of input after the request is no hang-up" {
	# A pipe whose writer is gone once it has written the request.
	run -0 --separate-stderr "$SOCK64D" -i \
	    -- sh -c 'cat >/dev/null; sleep 1; printf done' < <(frame x)
	assert_output "$(frame done)"
	# Nothing but the summary: no hang-up, no failure.
	[[ "$stderr" =~ ^sock64d\[[0-9]+\]:\ info:\ peer=stdin\ .*\ requests=1\ .*\ end=eof$ ]]
}

@test "the program inherits no descriptor beyond 0, 1 and 2" {
	exec 7</dev/null
	daemon_start -- sh -c 'ls /proc/$$/fd'
	exec 7<&-
	run -0 client x
	assert_output "$(printf '0\n1\n2')"
}

@test "the program runs in its own process group, SIGPIPE default, nothing blocked" {
	# grep is the program itself after exec: its own mask, not a
	# shell's mid-fork.  The server starts with SIGQUIT and SIGUSR1
	# ignored, as a background job may: the program must not inherit it.
	trap '' QUIT USR1
	daemon_start -- sh -c 'set -- $(cat /proc/$$/stat); echo "$1 $5";
	    exec grep -E "^Sig(Blk|Ign)" /proc/self/status'
	run -0 client x
	local pid pgid
	read -r pid pgid <<<"${lines[0]}"
	assert_equal "$pgid" "$pid"
	assert_line --regexp '^SigBlk:[[:space:]]+0+$'
	local ign
	ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' <<<"$output")
	trap - QUIT USR1
	# No standard signal (1-31) ignored: not SIGPIPE (bit 12), SIGQUIT
	# (2) or SIGUSR1 (9).  32 and 33 belong to the C library's threads.
	[ $((0x$ign & 0x7fffffff)) -eq 0 ]
}

@test "the program's stderr goes to the server's log, not to the client" {
	daemon_start -- sh -c 'echo to-the-log >&2; echo reply'
	run -0 --separate-stderr client x
	assert_output reply
	assert_equal "$stderr" ""
	grep -q '^to-the-log$' "$DAEMON_LOG"
}

@test "a non-zero exit: no reply, the connection closes, the log says why" {
	daemon_start -- sh -c 'cat >/dev/null; exit 3'
	run -1 client x
	assert_output --partial "closed the connection before replying"
	grep -q 'handler failed (exit 3)' "$DAEMON_LOG"
}

@test "replies before a failed request are kept" {
	daemon_start -- sh -c 'test "$SOCK64_REQUEST" -lt 3 && cat'
	run -1 exec_client --port "$DAEMON_PORT" a b c d
	assert_line a
	assert_line b
	assert_line closed
	refute_line d
	grep -q 'request 3: handler failed (exit 1)' "$DAEMON_LOG"
}

@test "a program killed by a signal: no reply, logged with the signal" {
	daemon_start -- sh -c 'kill -KILL $$'
	run -1 client x
	grep -q 'handler failed (signal 9)' "$DAEMON_LOG"
}

@test "--handler-timeout kills a sleeping program and leaves no process behind" {
	new_marker
	daemon_start --handler-timeout 1 -- sleep "$MARKER"
	run -1 "$SOCK64" -t 10 -c "127.0.0.1:$DAEMON_PORT" x
	assert_output --partial "closed the connection before replying"
	grep -q 'handler failed (timeout)' "$DAEMON_LOG"
	wait_until 5 no_marker_procs "$MARKER"
}

@test "the timeout kills the program's whole process group, children too" {
	new_marker
	daemon_start --handler-timeout 1 -- sh -c \
	    'echo "pids $$" >&2; sleep "$1" & echo "pids $!" >&2; sleep "$1"' \
	    sh "$MARKER"
	run -1 "$SOCK64" -t 10 -c "127.0.0.1:$DAEMON_PORT" x
	grep -q 'handler failed (timeout)' "$DAEMON_LOG"
	wait_until 5 no_marker_procs "$MARKER"
	# Not even zombies: the program and its background child are gone.
	local pids
	pids=$(sed -n 's/^pids //p' "$DAEMON_LOG")
	[ "$(wc -w <<<"$pids")" -eq 2 ]
	# shellcheck disable=SC2086
	wait_until 5 pids_gone $pids
}

@test "output over --max-reply: no reply, the program is killed" {
	daemon_start --max-reply 1k -- yes
	run -1 client x
	grep -q 'handler failed (output over 1024 bytes)' "$DAEMON_LOG"
}

@test "output of exactly --max-reply bytes is a reply" {
	daemon_start --max-reply 11 -- echo 0123456789
	run -0 client x
	assert_output 0123456789
}

@test "--max-reply defaults to --max-message" {
	daemon_start -m 100 -- sh -c 'head -c 101 /dev/zero'
	run -1 client x
	grep -q 'handler failed (output over 100 bytes)' "$DAEMON_LOG"
}

@test "a program that is not found makes start-up fail with status 2" {
	run -2 "$SOCK64D" -1 -l 127.0.0.1:0 -- no-such-program-sock64
	assert_output "sock64d: program 'no-such-program-sock64' not found in PATH"
	run -2 "$SOCK64D" -1 -l 127.0.0.1:0 -- "$BATS_TEST_TMPDIR/nothing"
	assert_output --partial "No such file or directory"
}

@test "a program that is not executable makes start-up fail with status 2" {
	printf '#!/bin/sh\n' >"$BATS_TEST_TMPDIR/noexec"
	chmod 644 "$BATS_TEST_TMPDIR/noexec"
	run -2 "$SOCK64D" -i -- "$BATS_TEST_TMPDIR/noexec" </dev/null
	assert_output --partial "Permission denied"
	run -2 "$SOCK64D" -i -- /tmp </dev/null
}

@test "inetd mode runs the program per request over pipes" {
	{ frame one; frame two; } >"$BATS_TEST_TMPDIR/req"
	run -0 --separate-stderr "$SOCK64D" -i -q -- tr a-z A-Z \
	    <"$BATS_TEST_TMPDIR/req"
	assert_output "$(frame ONE; frame TWO)"
	assert_equal "$stderr" ""
}

@test "inetd mode: a failed program ends the connection with status 1" {
	run -1 --separate-stderr "$SOCK64D" -i -- false <<<"$(frame x)"
	assert_output ""
	[[ "$stderr" == *": stdin: request 1: handler failed (exit 1)"$'\n'*" end=handler-failed handler_failure=exit" ]]
}

@test "inetd mode on one socket as stdin, stdout and stderr: program stderr stays out of the stream" {
	run -0 "$PYTHON3" - "$SOCK64D" <<'EOF'
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1], "-i", "--", "sh", "-c",
                      "echo noise >&2; echo noise2 >&2; tr a-z A-Z"],
                     stdin=b, stdout=b, stderr=b)
b.close()
a.sendall(b"5".ljust(64) + b"hello")
a.shutdown(socket.SHUT_WR)
a.settimeout(10)
got = b""
while True:
    c = a.recv(65536)
    if not c:
        break
    got += c
rc = p.wait(timeout=10)
want = b"5".ljust(64) + b"HELLO"
print("ok" if got == want and rc == 0 else "bad: %r rc=%d" % (got, rc))
EOF
	assert_output ok
}

@test "a pipelined burst of 100 requests: a program run each, replies in order" {
	daemon_start -- sh -c 'printf "%s %s %s" "$SOCK64_REQUEST" $$ "$(cat)"'
	local reqs=() i
	for ((i = 1; i <= 100; i++)); do reqs+=("req$i"); done
	run -0 exec_client --pipeline --port "$DAEMON_PORT" "${reqs[@]}"
	local replies
	replies=$(sed 1,3d <<<"$output")
	[ "$(wc -l <<<"$replies")" -eq 100 ]
	# In order: reply i names request i and carries payload i.
	for ((i = 1; i <= 100; i++)); do
		[[ "$(sed -n "${i}p" <<<"$replies")" =~ ^$i\ [0-9]+\ req$i$ ]]
	done
	# Each by a program run of its own: 100 different pids.
	[ "$(awk '{ print $2 }' <<<"$replies" | sort -u | wc -l)" -eq 100 ]
}

@test "SIGTERM lets a running program finish its reply" {
	daemon_start -v --grace 10 -- sh -c 'sleep 0.5; echo finished'
	exec_client --port "$DAEMON_PORT" x >"$BATS_TEST_TMPDIR/out" &
	local cpid=$!
	wait_until 5 grep -q 'request 1,' "$DAEMON_LOG"
	kill -TERM "$DAEMON_PID"
	wait "$cpid"
	grep -qx finished "$BATS_TEST_TMPDIR/out"
	wait "$DAEMON_PID"
	DAEMON_PID=
}

# stop_during_run GRACE: SIGTERM while a program sleeps past GRACE; the
# server must exit 0 without SIGKILLing its child, the program's group
# killed and nothing left behind.
stop_during_run() {
	new_marker
	daemon_start -v --grace "$1" -- sh -c 'sleep "$1"; sleep "$1"' sh \
	    "$MARKER"
	exec_client --port "$DAEMON_PORT" x >"$BATS_TEST_TMPDIR/out" &
	local cpid=$!
	wait_until 5 eval '[ -n "$(marker_procs "$MARKER")" ]'
	kill -TERM "$DAEMON_PID"
	local status=0
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	assert_equal "$status" 0
	wait "$cpid" || true
	grep -qx closed "$BATS_TEST_TMPDIR/out"
	grep -q 'handler failed (stopped by shutdown)' "$DAEMON_LOG"
	run -1 grep -q 'killing them' "$DAEMON_LOG"
	no_marker_procs "$MARKER"
}

@test "SIGTERM with a program that outlasts --grace: its group is killed before the server exits" {
	stop_during_run 2
}

@test "--grace 0 kills a running program's group too, not just the child" {
	stop_during_run 0
}

@test "a program removed after start-up fails its request; the server goes on" {
	cp "$FIXTURES/exec_env.sh" "$BATS_TEST_TMPDIR/prog"
	chmod 755 "$BATS_TEST_TMPDIR/prog"
	daemon_start -- "$BATS_TEST_TMPDIR/prog"
	run -0 client x
	assert_line PROTO=TCP
	rm "$BATS_TEST_TMPDIR/prog"
	run -1 client x
	grep -q 'handler failed (cannot run .*prog): No such file' "$DAEMON_LOG"
}
