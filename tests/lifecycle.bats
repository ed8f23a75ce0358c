#!/usr/bin/env bats
# The daemon's processes: children per client, reaping, descriptors,
# and stopping on signals without leaving anything behind.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	daemon_stop
	release_held
}

# stop_and_check SIGNAL: the daemon stops on SIGNAL (see daemon_stop_by),
# and every held client saw its connection closed.
stop_and_check() {
	[ -n "$(daemon_children)" ]
	daemon_stop_by "$1" 10
	wait_pids "${HELD_PIDS[@]}"
	HELD_PIDS=()
}

@test "SIGTERM stops the daemon with status 0, and no child survives it" {
	daemon_start -v
	hold_connections 3
	stop_and_check TERM
	run -0 grep "info: stopped" "$DAEMON_LOG"
}

@test "SIGINT stops the daemon like SIGTERM" {
	daemon_start -v
	hold_connections 2
	stop_and_check INT
}

@test "SIGHUP does not stop the daemon" {
	daemon_start
	kill -HUP "$DAEMON_PID"
	wait_until 5 grep -q "SIGHUP ignored" "$DAEMON_LOG"
	run -0 client "still here"
	assert_output "still here"
}

@test "each client is served by a child that holds no listening socket" {
	local sock="$BATS_TEST_TMPDIR/l.sock"
	daemon_start_with -v -l 127.0.0.1:0 -l "unix:$sock"
	hold_connections 1
	local child fd sockets=0
	child=$(daemon_children)
	for fd in /proc/"$child"/fd/*; do
		[[ "$(readlink "$fd")" == socket:* ]] && sockets=$((sockets + 1))
	done
	assert_equal "$sockets" 1
}

@test "every socket the daemon opens is close-on-exec" {
	daemon_start_with -v -l 127.0.0.1:0 -l "unix:$BATS_TEST_TMPDIR/x.sock"
	hold_connections 1
	local pid fd flags
	for pid in "$DAEMON_PID" $(daemon_children); do
		for fd in /proc/"$pid"/fd/*; do
			# Descriptors inherited from the caller are not ours.
			[[ "$(readlink "$fd")" == socket:* ]] || continue
			fd=${fd##*/}
			flags=$(awk '/^flags:/ { print $2 }' "/proc/$pid/fdinfo/$fd")
			# O_CLOEXEC is 02000000 in the octal flags.
			(( (8#$flags & 8#2000000) != 0 )) ||
			    { echo "pid $pid fd $fd lacks FD_CLOEXEC" >&2; return 1; }
		done
	done
}

@test "1000 sequential connections leave no zombie and no extra descriptor" {
	daemon_start
	run -0 client warm-up
	local before
	before=$(daemon_fds)
	# One client process for all 1000: a fork and exec of sock64 per
	# connection would make this a test of the machine's fork.
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/churn.py" "$DAEMON_PORT" 1000
	assert_output "1000 served"
	wait_until 5 no_zombies
	wait_until 5 eval '[ -z "$(daemon_children)" ]'
	assert_equal "$(daemon_fds)" "$before"
}

@test "a client that vanishes mid-frame costs the daemon nothing" {
	daemon_start
	local i
	for ((i = 0; i < 20; i++)); do
		{ header 1000; printf 'partial'; } | raw --timeout 1 >/dev/null || true
	done
	wait_until 5 eval '[ -z "$(daemon_children)" ]'
	run -0 client after
	assert_output after
}

@test "-c caps the children: a client over the cap waits, then is served" {
	daemon_start -v -c 1
	hold_connections 1
	client -t 10 queued >"$BATS_TEST_TMPDIR/queued" &
	local queued=$!
	# While the first client holds the only slot, no second child starts.
	if wait_until 1 eval '[ "$(daemon_children | wc -l)" -gt 1 ]'; then
		fail "a second child started while -c 1 was full"
	fi
	[ ! -s "$BATS_TEST_TMPDIR/queued" ]
	release_held
	wait "$queued"
	run -0 cat "$BATS_TEST_TMPDIR/queued"
	assert_output queued
}
