#!/usr/bin/env bats
# Signals: a graceful SIGTERM that loses no reply in flight, the grace
# period, SIGKILL of a child, and SIGTERM in inetd mode.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	daemon_stop
}

@test "SIGTERM mid-reply: the reply in flight is delivered whole, then exit 0" {
	daemon_start -m 8M
	# The client sends 8 MiB and reads nothing until the daemon has been
	# told to stop: the child is then blocked writing the reply.
	run -0 "$PYTHON3" - "$DAEMON_PORT" "$DAEMON_PID" <<'PY'
import os, signal, socket, sys, time
port, daemon = int(sys.argv[1]), int(sys.argv[2])
payload = os.urandom(8 << 20)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(str(len(payload)).encode().ljust(64) + payload)
time.sleep(0.5)
os.kill(daemon, signal.SIGTERM)
time.sleep(0.5)
s.settimeout(10)
data = b""
while True:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    data += chunk
assert data[:64] == str(len(payload)).encode().ljust(64), data[:64]
assert data[64:] == payload, "reply differs"
print("reply whole")
PY
	assert_output "reply whole"
	# The script sent SIGTERM: the daemon must now end by itself, with 0.
	local status=0
	wait_until 10 eval '! daemon_alive'
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	assert_equal "$status" 0
	run -0 grep "stopping: waiting up to 10 s for 1 connections" "$DAEMON_LOG"
	run -1 grep "killing" "$DAEMON_LOG"
}

# The case above leaves nothing unread.  A client that has already sent
# more than the child read is the hard one: the child must not close with
# that input unread, or TCP resets the connection and drops the part of
# the reply still queued.
@test "SIGTERM mid-reply with a request queued behind it: the 8 MiB reply arrives whole, no reset" {
	daemon_start -m 8M
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/stopclient.py" big \
	    --port "$DAEMON_PORT" --pid "$DAEMON_PID"
	# 64 header bytes and 8 MiB, checked against what was sent.
	assert_output "bytes 8388672 replies 1 partial 0 reset no"
	local status=0
	wait_until 10 eval '! daemon_alive'
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	assert_equal "$status" 0
	run -1 grep "killing" "$DAEMON_LOG"
}

@test "SIGTERM with 200 pipelined requests and a slow reader: every reply started arrives whole" {
	daemon_start -v --grace 20
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/stopclient.py" many \
	    --port "$DAEMON_PORT" --pid "$DAEMON_PID" --term-after 1300000
	local status=0
	wait_until 25 eval '! daemon_alive'
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	assert_equal "$status" 0
	# Every request the child answered, the client received whole.
	local answered
	answered=$(grep -c ': request [0-9]*, 65536 bytes' "$DAEMON_LOG")
	[[ "$output" =~ ^bytes\ [0-9]+\ replies\ ([0-9]+)\ partial\ 0\  ]] ||
	    fail "cut reply: $output"
	assert_equal "${BASH_REMATCH[1]}" "$answered"
	# The stop came mid-stream, with requests still unanswered.
	((answered > 0 && answered < 200)) || fail "$answered answered"
	run -1 grep "killing" "$DAEMON_LOG"
}

@test "SIGTERM ends idle connections at once instead of waiting out the grace" {
	daemon_start --grace 30
	local i pids=()
	for ((i = 0; i < 3; i++)); do
		frame "idle" | "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" \
		    --port "$DAEMON_PORT" --no-shutdown --timeout 20 \
		    >"$BATS_TEST_TMPDIR/idle.$i" &
		pids+=($!)
	done
	wait_until 5 eval '[ "$(daemon_children | wc -l)" -eq 3 ]'
	daemon_stop_by TERM 5
	# Each client got its reply and then saw the connection close.
	wait_pids "${pids[@]}"
	for ((i = 0; i < 3; i++)); do
		frame "idle" | cmp - "$BATS_TEST_TMPDIR/idle.$i"
	done
}

@test "a connection that will not finish is killed after --grace" {
	daemon_start -m 8M --grace 1 --write-timeout 0
	# This client never reads its reply.
	"$PYTHON3" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"8388608".ljust(64) + bytes(8 << 20))
time.sleep(20)' "$DAEMON_PORT" &
	local stuck=$!
	wait_until 5 eval '[ "$(daemon_children | wc -l)" -eq 1 ]'
	sleep 0.5  # let the child fill the socket buffers and block
	daemon_stop_by TERM 5
	kill "$stuck"; wait "$stuck" || true
	run -0 grep "1 connections still open after 1 s: killing them" "$DAEMON_LOG"
}

@test "a child killed by SIGKILL is reaped and logged, and serving goes on" {
	daemon_start
	{ header 13; printf 'Hel'; } >"$BATS_TEST_TMPDIR/half"
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$DAEMON_PORT" \
	    --no-shutdown --timeout 10 <"$BATS_TEST_TMPDIR/half" >/dev/null &
	local held=$! child
	wait_until 5 eval '[ -n "$(daemon_children)" ]'
	child=$(daemon_children)
	kill -KILL "$child"
	wait "$held" || true
	wait_until 5 grep -q "child $child killed by signal 9" "$DAEMON_LOG"
	wait_until 5 eval '[ -z "$(daemon_children)" ]'
	run -0 client "after the kill"
	assert_output "after the kill"
}

@test "-i stops at once on SIGTERM and exits 0" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	(frame "first"; exec sleep 20) >"$BATS_TEST_TMPDIR/fifo" &
	local writer=$!
	"$SOCK64D" -i -q <"$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local server=$! status=0
	wait_until 5 eval '[ -s "$BATS_TEST_TMPDIR/out" ]'
	kill -TERM "$server"
	wait "$server" || status=$?
	kill "$writer"; wait "$writer" || true
	assert_equal "$status" 0
	frame "first" | cmp - "$BATS_TEST_TMPDIR/out"
}
