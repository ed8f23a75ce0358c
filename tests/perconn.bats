#!/usr/bin/env bats
# A program per connection: sock64d --per-connection -- PROGRAM starts
# PROGRAM at the first request and gives it every request of the
# connection, as frames or as lines; and the environment options of
# both handler modes.

bats_require_minimum_version 1.5.0
load helpers

BG_PIDS=()

teardown() {
	local pid
	for pid in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	daemon_stop
}

# A shell loop serving lines: each reply is the shell's pid and the
# request, so a test sees that one process served them all.
LINES_LOOP='while read -r q; do printf "%s %s\n" "$$" "$q"; done'

frames_handler() {
	echo "$PYTHON3" "$FIXTURES/frames_handler.py"
}

# sleep_pid: the pid of the sleep with the marker (the server's child
# has the marker on its command line too).
sleep_pid() {
	local pid
	for pid in $(marker_procs "$MARKER"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && echo "$pid"
	done
	return 0
}

# A sleep with a unique duration is a marker /proc can find.
new_marker() {
	MARKER="40.$$$RANDOM"
}

@test "lines: 1000 pipelined requests are answered in order by one process" {
	daemon_start --per-connection --handler-io=lines -- sh -c "$LINES_LOOP"
	seq 1 1000 | client -l >"$BATS_TEST_TMPDIR/out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 1000 ]
	[ "$(awk '{ print $1 }' "$BATS_TEST_TMPDIR/out" | sort -u | wc -l)" -eq 1 ]
	run -0 diff <(awk '{ print $2 }' "$BATS_TEST_TMPDIR/out") <(seq 1 1000)
}

@test "frames: 1000 pipelined requests are answered in order by one process" {
	daemon_start --per-connection -- $(frames_handler)
	seq 1 1000 | client -l >"$BATS_TEST_TMPDIR/out"
	run -0 diff "$BATS_TEST_TMPDIR/out" <(seq 1 1000 | sed 's/.*/&:&/')
}

# hwm_kib PID: the peak resident memory of PID, in KiB.
hwm_kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

@test "frames: 32 MiB pipelined to a slow program: answered in order, buffers bounded" {
	daemon_start --per-connection -- sh -c 'sleep 1; exec "$0" "$@"' \
	    $(frames_handler) echo
	"$PYTHON3" "$FIXTURES/pipeline_client.py" --port "$DAEMON_PORT" \
	    --count 4096 --size 8192 --hold "$BATS_TEST_TMPDIR/release" \
	    >"$BATS_TEST_TMPDIR/out" &
	BG_PIDS+=($!)
	wait_until 40 grep -qx 'ok 4096' "$BATS_TEST_TMPDIR/out"
	local child hwm
	child=$(daemon_children)
	hwm=$(hwm_kib "$child")
	touch "$BATS_TEST_TMPDIR/release"
	echo "the serving child's peak RSS: $hwm KiB" >&3
	[ "$hwm" -lt 12288 ]
}

@test "frames: binary payloads pass through unchanged" {
	head -c 100000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	printf 'a\0b\n\0\r\n' >>"$BATS_TEST_TMPDIR/in"
	daemon_start --per-connection --handler-io=frames -- \
	    $(frames_handler) echo
	client -n <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
}

@test "frames: empty requests get their replies" {
	daemon_start --per-connection -- $(frames_handler)
	run -0 client "" x ""
	assert_output "$(printf '1:\n2:x\n3:')"
}

@test "lines: an empty request is an empty line, and an empty line a reply" {
	daemon_start --per-connection --handler-io=lines -- sh -c \
	    'while read -r q; do [ -z "$q" ] && echo || echo "[$q]"; done'
	"$PYTHON3" "$FIXTURES/exec_client.py" --port "$DAEMON_PORT" \
	    --pipeline "" x "" >"$BATS_TEST_TMPDIR/out"
	run -0 tail -n +4 "$BATS_TEST_TMPDIR/out"
	assert_output "$(printf '\n[x]\n')"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 6 ]
}

@test "lines: a request with a newline is refused, earlier ones answered" {
	daemon_start --per-connection --handler-io=lines -- sh -c "$LINES_LOOP"
	run -1 --separate-stderr "$PYTHON3" "$FIXTURES/exec_client.py" \
	    --port "$DAEMON_PORT" --pipeline first $'two\nlines' third
	[[ ${lines[3]} =~ ^[0-9]+\ first$ ]]
	assert_line -n 4 closed
	grep -q 'request 2: refused (a newline in a request to a --handler-io=lines program)' \
	    "$DAEMON_LOG"
}

@test "a program that exits early: its status is logged, the rest get no reply" {
	daemon_start --per-connection --handler-io=lines -- \
	    sh -c 'read -r q; echo "$q"; echo bye >&2; exit 3'
	run -1 --separate-stderr "$PYTHON3" "$FIXTURES/exec_client.py" \
	    --port "$DAEMON_PORT" --pipeline a b c
	assert_line -n 3 a
	assert_line -n 4 closed
	wait_until 5 grep -q 'handler sh exited 3 after [0-9]* requests' \
	    "$DAEMON_LOG"
	grep -qx bye "$DAEMON_LOG"
}

@test "a program that exits 0 at the end after answering everything is the normal end" {
	daemon_start -v --per-connection --handler-io=lines -- sh -c "$LINES_LOOP"
	run -0 client a b
	wait_until 5 grep -q 'sh exited 0 after 2 requests' "$DAEMON_LOG"
	run -1 grep -q 'handler.*exited\|killed' "$DAEMON_LOG"
}

@test "--idle-timeout closes the program's stdin; its exit 0 then is the normal end" {
	daemon_start -v --idle-timeout 1 --per-connection --handler-io=lines \
	    -- sh -c "$LINES_LOOP"
	local t0
	t0=$(now_us)
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" \
	    --port "$DAEMON_PORT" --no-shutdown --timeout 20 < <(frame x)
	(($(now_us) - t0 < 10000000))
	[[ $output == *" x" ]]
	wait_until 5 grep -q 'sh exited 0 after 1 requests' "$DAEMON_LOG"
	grep -q 'idle timeout' "$DAEMON_LOG"
	run -1 grep -q 'warning' "$DAEMON_LOG"
}

@test "a program that exits 0 before the client's end: logged, the connection closed" {
	daemon_start --per-connection --handler-io=lines -- \
	    sh -c 'read -r q; echo "$q"'
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" \
	    --port "$DAEMON_PORT" --no-shutdown --timeout 20 < <(frame x)
	wait_until 5 grep -q 'handler sh exited 0 after 1 requests, 0 unanswered' \
	    "$DAEMON_LOG"
}

@test "a program that never answers meets --handler-timeout and is killed" {
	new_marker
	daemon_start --per-connection --handler-timeout 1 -- \
	    sh -c 'exec sleep "$1"' sh "$MARKER"
	local t0
	t0=$(now_us)
	run -1 "$PYTHON3" "$FIXTURES/exec_client.py" --port "$DAEMON_PORT" x
	assert_line closed
	(($(now_us) - t0 < 10000000))
	grep -q 'request 1: handler failed (timeout)' "$DAEMON_LOG"
	wait_until 5 no_marker_procs "$MARKER"
}

@test "a malformed reply frame is the program's fault: killed, connection closed" {
	daemon_start --per-connection -- $(frames_handler) malformed
	run -1 "$PYTHON3" "$FIXTURES/exec_client.py" --port "$DAEMON_PORT" x
	assert_line closed
	grep -q 'request 1: handler failed (malformed reply frame (byte 3 is 0x78))' \
	    "$DAEMON_LOG"
	run -1 grep -q 'malformed header' "$DAEMON_LOG"
}

@test "a reply over --max-reply is the program's fault, in both encodings" {
	daemon_start --per-connection --max-reply 1000 -- \
	    $(frames_handler) big 1001
	run -1 "$PYTHON3" "$FIXTURES/exec_client.py" --port "$DAEMON_PORT" x
	assert_line closed
	grep -q 'request 1: handler failed (reply over 1000 bytes)' \
	    "$DAEMON_LOG"
	daemon_stop
	daemon_start --per-connection --handler-io=lines --max-reply 1000 -- \
	    sh -c 'read -r q; head -c 1001 /dev/zero | tr "\0" x; echo'
	run -1 "$PYTHON3" "$FIXTURES/exec_client.py" --port "$DAEMON_PORT" x
	assert_line closed
	grep -q 'request 1: handler failed (reply over 1000 bytes)' \
	    "$DAEMON_LOG"
}

@test "a reply with no request is the program's fault" {
	# Two replies to the one request: the second has none to answer.
	daemon_start --per-connection -- $(frames_handler) stray
	run -0 "$PYTHON3" "$FIXTURES/exec_client.py" --port "$DAEMON_PORT" x
	assert_line stray
	wait_until 5 grep -q 'request 2: handler failed (a reply with no request)' \
	    "$DAEMON_LOG"
}

@test "a program that ignores SIGTERM and its stdin's end is killed after --grace" {
	new_marker
	daemon_start --per-connection --handler-io=lines --grace 1 -- \
	    sh -c 'trap "" TERM; read -r q; echo "$q"; exec sleep "$1"' sh \
	    "$MARKER"
	run -0 client x
	assert_output x
	wait_until 5 grep -q 'handler sh still running 1 s after its stdin closed: killed' \
	    "$DAEMON_LOG"
	wait_until 5 no_marker_procs "$MARKER"
}

@test "SIGTERM to the server: a program that ignores it is killed, the server exits 0" {
	new_marker
	daemon_start --per-connection --handler-io=lines --grace 2 -- \
	    sh -c 'trap "" TERM; read -r q; echo "$q"; exec sleep "$1"' sh \
	    "$MARKER"
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$DAEMON_PORT" \
	    --no-shutdown --timeout 20 < <(frame x) >"$BATS_TEST_TMPDIR/out" &
	BG_PIDS+=($!)
	wait_until 5 eval '[ -n "$(marker_procs "$MARKER")" ]'
	local status=0
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	assert_equal "$status" 0
	no_marker_procs "$MARKER"
	run -1 grep -q 'killing them' "$DAEMON_LOG"
}

@test "a background child holding stdout neither delays the end nor survives it" {
	new_marker
	daemon_start --per-connection --handler-io=lines -- sh -c \
	    'sleep "$1" & setsid sleep "$1" & '"$LINES_LOOP" sh "$MARKER"
	local t0
	t0=$(now_us)
	run -0 client a b
	(($(now_us) - t0 < 10000000))
	wait_until 5 no_marker_procs "$MARKER"
}

@test "a client that disconnects mid-request: stdin closed, then the program's group is killed" {
	new_marker
	daemon_start --per-connection --handler-io=lines --grace 1 -- sh -c \
	    'while read -r q; do echo "$q"; done; exec sleep "$1"' sh "$MARKER"
	{ frame one; header 10; printf 'abc'; } >"$BATS_TEST_TMPDIR/in"
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" \
	    --port "$DAEMON_PORT" <"$BATS_TEST_TMPDIR/in"
	grep -q 'truncated frame (end of input after 3 of 10 payload bytes)' \
	    "$DAEMON_LOG"
	wait_until 5 grep -q 'sh still running 1 s after its stdin closed: killed' \
	    "$DAEMON_LOG"
	no_marker_procs "$MARKER"
}

@test "SIGTERM with a request in flight: the program finishes it, then its stdin closes" {
	daemon_start -v --grace 10 --per-connection --handler-io=lines -- sh -c \
	    'while read -r q; do sleep 1; echo "done $q"; done; echo eof >&2'
	"$PYTHON3" "$FIXTURES/exec_client.py" --port "$DAEMON_PORT" x \
	    >"$BATS_TEST_TMPDIR/out" &
	local cpid=$!
	wait_until 5 grep -q 'request 1,' "$DAEMON_LOG"
	kill -TERM "$DAEMON_PID"
	wait "$cpid"
	grep -qx 'done x' "$BATS_TEST_TMPDIR/out"
	wait "$DAEMON_PID"
	DAEMON_PID=
	grep -qx eof "$DAEMON_LOG"
}

@test "no descriptor of the server reaches the program" {
	new_marker
	exec 7</dev/null
	daemon_start --per-connection --handler-io=lines -- \
	    sh -c 'exec sleep "$1"' sh "$MARKER"
	exec 7<&-
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$DAEMON_PORT" \
	    --no-shutdown --timeout 20 < <(frame x) >/dev/null &
	BG_PIDS+=($!)
	wait_until 5 eval '[ -n "$(sleep_pid)" ]'
	run -0 ls "/proc/$(sleep_pid)/fd"
	assert_output "$(printf '0\n1\n2')"
}

@test "the program gets the connection's variables but not SOCK64_REQUEST" {
	SOCK64_REQUEST=stale daemon_start --per-connection --handler-io=lines -- \
	    sh -c 'read -r q; env | sort | tr "\n" " "; echo'
	run -0 client x
	[[ " $output " == *" PROTO=TCP "* ]]
	[[ " $output " == *" TCPREMOTEIP=127.0.0.1 "* ]]
	[[ " $output " == *" REMOTE_ADDR=127.0.0.1 "* ]]
	[[ " $output " != *"SOCK64_REQUEST"* ]]
}

# env_of MODE...: what the program sees, one variable a line, with
# --clearenv --passenv KEEPME --setenv SET_ME=yes --setenv PROTO=no.
env_of() {
	KEEPME=kept DROPME=dropped daemon_start --clearenv --passenv KEEPME \
	    --setenv SET_ME=yes --setenv 'SPACED=a b=c' --setenv PROTO=no \
	    "$@"
	run -0 client x
	daemon_stop
}

@test "--clearenv, --passenv and --setenv with a program per connection" {
	env_of --per-connection --handler-io=lines -- \
	    sh -c 'read -r q; env | sort | tr "\n" "|"; echo'
	[[ "|$output" == *"|KEEPME=kept|"* ]]
	[[ "|$output" == *"|SET_ME=yes|"* ]]
	[[ "|$output" == *"|SPACED=a b=c|"* ]]
	[[ "|$output" == *"|PATH=$PATH|"* ]]
	[[ "|$output" == *"|PROTO=TCP|"* ]]
	[[ "|$output" != *"DROPME"* ]]
	[[ "|$output" != *"|HOME="* ]]
}

@test "--clearenv, --passenv and --setenv with a program per request" {
	env_of -- sh -c 'env | sort'
	assert_line KEEPME=kept
	assert_line SET_ME=yes
	assert_line "SPACED=a b=c"
	assert_line "PATH=$PATH"
	assert_line PROTO=TCP
	assert_line SOCK64_REQUEST=1
	refute_line --partial DROPME
	refute_line --regexp '^HOME='
}

@test "--setenv alone keeps the rest of the environment" {
	KEEPME=kept daemon_start --setenv SET_ME=yes -- sh -c 'env | sort'
	run -0 client x
	assert_line KEEPME=kept
	assert_line SET_ME=yes
}

@test "the program per connection's options are checked" {
	run -2 "$SOCK64D" --per-connection
	assert_output --partial 'needs -- PROGRAM'
	run -2 "$SOCK64D" --handler-io=words --per-connection -- cat
	assert_output --partial "handler-io 'words' is not frames or lines"
	run -2 "$SOCK64D" --setenv NOVALUE -- cat
	assert_output --partial "setenv 'NOVALUE' is not NAME=VALUE"
	run -2 "$SOCK64D" --setenv 1X=y -- cat
	run -2 "$SOCK64D" --passenv A=b -- cat
	assert_output --partial "passenv 'A=b' is not a variable name"
	run -2 "$SOCK64D" --clearenv
	assert_output --partial 'need -- PROGRAM'
	run -2 "$SOCK64D" --passenv HOME -- cat
	assert_output --partial '--passenv needs --clearenv'
}

@test "-i: a program per connection over pipes, frames" {
	run -0 --separate-stderr "$SOCK64D" -i --per-connection -- \
	    $(frames_handler) < <(frame a; frame bc; frame "")
	assert_output "$(frame 1:a; frame 2:bc; frame 3:)"
}

@test "-i under tcpserver: a program per connection, lines" {
	command -v tcpserver >/dev/null ||
	    missing "tcpserver is not installed (package ucspi-tcp)"
	local port
	tcpserver -1 -R -H 127.0.0.1 0 "$SOCK64D" -i --per-connection \
	    --handler-io=lines -- sh -c "$LINES_LOOP" \
	    >"$BATS_TEST_TMPDIR/port" 2>"$BATS_TEST_TMPDIR/tcpserver.log" &
	BG_PIDS+=($!)
	wait_until 5 test -s "$BATS_TEST_TMPDIR/port"
	port=$(cat "$BATS_TEST_TMPDIR/port")
	seq 1 200 | "$SOCK64" -c "127.0.0.1:$port" -l >"$BATS_TEST_TMPDIR/out"
	[ "$(awk '{ print $1 }' "$BATS_TEST_TMPDIR/out" | sort -u | wc -l)" -eq 1 ]
	run -0 diff <(awk '{ print $2 }' "$BATS_TEST_TMPDIR/out") <(seq 1 200)
}

@test "behind --proxy-protocol the program sees the client the header names" {
	daemon_start --proxy-protocol v2 --per-connection --handler-io=lines -- \
	    sh -c 'while read -r q; do echo "$q $TCPREMOTEIP $PROXYREMOTEIP"; done'
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/proxyclient.py" \
	    --port "$DAEMON_PORT" --header v2 --src 192.0.2.44:31337 a b
	assert_output "$(printf 'a 192.0.2.44 127.0.0.1\nb 192.0.2.44 127.0.0.1')"
}

# ssa_serve ARGS...: systemd-socket-activate ARGS on a free port, its
# pid in BG_PIDS; the port in SSA_PORT.
ssa_serve() {
	SSA_PORT=$(free_port)
	DAEMON_LOG="$BATS_TEST_TMPDIR/ssa.log"
	systemd-socket-activate -l "127.0.0.1:$SSA_PORT" "$@" \
	    2>"$DAEMON_LOG" 3>&- &
	BG_PIDS+=($!)
	wait_until 5 grep -q '^Listening on' "$DAEMON_LOG"
}

@test "under systemd, Accept=yes and Accept=no: a program per connection" {
	command -v systemd-socket-activate >/dev/null ||
	    missing "systemd-socket-activate is not installed (package systemd)"
	ssa_serve --inetd -a "$SOCK64D" -i --per-connection \
	    --handler-io=lines -- sh -c "$LINES_LOOP"
	seq 1 100 | "$SOCK64" -c "127.0.0.1:$SSA_PORT" -l >"$BATS_TEST_TMPDIR/out"
	[ "$(awk '{ print $1 }' "$BATS_TEST_TMPDIR/out" | sort -u | wc -l)" -eq 1 ]
	run -0 diff <(awk '{ print $2 }' "$BATS_TEST_TMPDIR/out") <(seq 1 100)
	ssa_serve "$SOCK64D" --per-connection -- $(frames_handler)
	run -0 "$SOCK64" -c "127.0.0.1:$SSA_PORT" a b
	assert_output "$(printf '1:a\n2:b')"
}
