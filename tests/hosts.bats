#!/usr/bin/env bats
# sock64d -i under the super-servers users run it under, each started
# in the foreground on a loopback port with its configuration from
# contrib/: several frames per connection, 50 clients at once, a
# malformed header, and never a log byte in a client's stream.  Their
# logs must land somewhere to be seen: the super-server's stderr, or,
# for inetd and xinetd, which make the connection sock64d's stderr
# too, syslog or else the console (here a file mounted over
# /dev/console in a mount namespace of their own, with no syslog).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export BATS_TEST_TIMEOUT=120
}

setup() {
	HOST_PID=
	PORT=$(free_port)
	CONTRIB=$BATS_TEST_DIRNAME/../contrib
	HOST_LOG=$BATS_TEST_TMPDIR/host.log
	CONSOLE=$BATS_TEST_TMPDIR/console
	: >"$CONSOLE"
}

teardown() {
	if [ -n "$HOST_PID" ]; then
		kill -TERM "$HOST_PID" 2>/dev/null || true
		wait "$HOST_PID" || true
	fi
}

# host_is NAME: the process started in the background is the host
# itself (not a shell around it), so that teardown's SIGTERM reaches it.
host_is() {
	wait_until 5 host_comm_is "$1" ||
	    fail "pid $HOST_PID is $(cat "/proc/$HOST_PID/comm"), not $1"
}

host_comm_is() {
	[ "$(cat "/proc/$HOST_PID/comm" 2>/dev/null)" = "$1" ]
}

# host_program NAME PACKAGE: sets HOST_PROGRAM to a super-server: in
# PATH, or unpacked from its package into $SOCK64_HOSTS, by default the
# source tree's _build/hosts (OpenBSD inetd and xinetd conflict as
# packages: the README's test command unpacks them there).
host_program() {
	if HOST_PROGRAM=$(PATH=$PATH:/usr/sbin:/sbin command -v "$1"); then
		return 0
	fi
	HOST_PROGRAM=${SOCK64_HOSTS:-$BATS_TEST_DIRNAME/../_build/hosts}
	HOST_PROGRAM=$HOST_PROGRAM/usr/sbin/$1
	[ -x "$HOST_PROGRAM" ] || missing "$1 is not installed (package $2)"
}

# need_root WHY: these hosts switch users and mount over /dev/console.
need_root() {
	[ "$(id -u)" -eq 0 ] || missing "$1 needs root"
	unshare -m true 2>/dev/null || missing "unshare -m does not work here"
}

# no_syslog_run PROGRAM ARGS...: runs PROGRAM with the console a file
# and no syslog daemon, in a mount namespace of its own; exec all the
# way (started with &, the function runs in a subshell of its own), so
# that $! is PROGRAM itself and teardown stops it.
no_syslog_run() {
	: >"$BATS_TEST_TMPDIR/nolog"
	exec unshare -m sh -c '
		mount --bind "$1" /dev/console || exit 1
		if [ -e /dev/log ]; then
			mount --bind "$2" /dev/log || exit 1
		fi
		shift 2
		exec "$@"' sh "$CONSOLE" "$BATS_TEST_TMPDIR/nolog" "$@"
}

# host_ready: the host answers a request (within 10 s).
host_ready() {
	wait_until 10 "$SOCK64" -t 2 -c "127.0.0.1:$PORT" ready \
	    >/dev/null 2>&1 || { cat "$HOST_LOG" >&2; return 1; }
}

# host_checks LOG: the checks every host passes; LOG is where sock64d's
# log lines (it runs with -v) must show up.
host_checks() {
	local log=$1 i pids=()

	# Several frames on one connection, byte for byte: no log line
	# ever lands in the stream.
	{ frame one; frame two; frame three; } >"$BATS_TEST_TMPDIR/req"
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$PORT" \
	    --timeout 10 <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/rep"

	# 50 clients at once, three requests each.
	for ((i = 0; i < 50; i++)); do
		"$SOCK64" -t 30 -c "127.0.0.1:$PORT" "c$i a" "c$i b" "c$i c" \
		    >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
		pids+=($!)
	done
	wait_pids "${pids[@]}" || true
	for ((i = 0; i < 50; i++)); do
		assert_equal "$(cat "$BATS_TEST_TMPDIR/out.$i")" \
		    "$(printf 'c%d a\nc%d b\nc%d c' $i $i $i)"
	done

	# A malformed header: the connection closes with nothing sent
	# back, the log says why with the client's real address, and the
	# next client is served.
	printf 'x%.0s' {1..64} >"$BATS_TEST_TMPDIR/bad"
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$PORT" \
	    --timeout 10 <"$BATS_TEST_TMPDIR/bad"
	assert_output ""
	wait_until 10 grep -qE \
	    "sock64d\[[0-9]+\]: warning: 127\.0\.0\.1:[0-9]+: malformed header" \
	    "$log"
	run -0 "$SOCK64" -t 10 -c "127.0.0.1:$PORT" after
	assert_output after
	run -0 grep -cE "127\.0\.0\.1:[0-9]+: connected \(inetd mode\)" "$log"
	[ "$output" -ge 53 ]
}

@test "OpenBSD inetd: contrib/inetd.conf" {
	host_program inetd openbsd-inetd
	need_root "inetd with -u nobody"
	sed -e "s|^127\.0\.0\.1:8000|127.0.0.1:$PORT|" \
	    -e "s|/usr/sbin/sock64d|$SOCK64D|" -e 's|sock64d -i|sock64d -i -v|' \
	    "$CONTRIB/inetd.conf" >"$BATS_TEST_TMPDIR/inetd.conf"
	no_syslog_run "$HOST_PROGRAM" -i "$BATS_TEST_TMPDIR/inetd.conf" \
	    >"$HOST_LOG" 2>&1 3>&- &
	HOST_PID=$!
	host_is inetd
	host_ready
	host_checks "$CONSOLE"
}

@test "xinetd: contrib/xinetd.conf, with no shut-down on a burst" {
	host_program xinetd xinetd
	need_root "xinetd with -u nobody"
	sed -e "s|= 8000|= $PORT|" -e "s|/usr/sbin/sock64d|$SOCK64D|" \
	    -e 's|= -i |= -i -v |' \
	    "$CONTRIB/xinetd.conf" >"$BATS_TEST_TMPDIR/xinetd.conf"
	run -0 grep -q "port.*= $PORT" "$BATS_TEST_TMPDIR/xinetd.conf"
	no_syslog_run "$HOST_PROGRAM" -dontfork -f "$BATS_TEST_TMPDIR/xinetd.conf" \
	    >"$HOST_LOG" 2>&1 3>&- &
	HOST_PID=$!
	host_is xinetd
	host_ready
	host_checks "$CONSOLE"
}

@test "ipsvd tcpsvd: contrib/tcpsvd.run" {
	host_program tcpsvd ipsvd
	PORT=$PORT SOCK64D=$SOCK64D "$CONTRIB/tcpsvd.run" -v \
	    >"$HOST_LOG" 2>&1 3>&- &
	HOST_PID=$!
	host_is tcpsvd
	host_ready
	host_checks "$HOST_LOG"
}

@test "socat EXEC:...,nofork: contrib/socat.run" {
	host_program socat socat
	PORT=$PORT SOCK64D=$SOCK64D "$CONTRIB/socat.run" -v \
	    >"$HOST_LOG" 2>&1 3>&- &
	HOST_PID=$!
	host_is socat
	host_ready
	host_checks "$HOST_LOG"
}

@test "ucspi-tcp tcpserver: contrib/tcpserver.run" {
	host_program tcpserver ucspi-tcp
	PORT=$PORT SOCK64D=$SOCK64D "$CONTRIB/tcpserver.run" -v \
	    >"$HOST_LOG" 2>&1 3>&- &
	HOST_PID=$!
	host_is tcpserver
	host_ready
	host_checks "$HOST_LOG"
}
