#!/usr/bin/env bats
# Spare children (--spares): forked ahead of demand, each serving
# exactly one client, counted towards -c, gone on SIGTERM and when the
# parent dies.  The rest of the suite runs with and without spares
# (SOCK64D_SPARES, see helpers.bash); these tests set --spares
# themselves.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	release_held
	daemon_stop
}

# spare_count N: true when exactly N spares wait for a client.
spare_count() {
	[ "$(daemon_spares | wc -l)" -eq "$1" ]
}

# served_by: the pids that logged a connection (the daemon runs -v).
served_by() {
	sed -n 's/^sock64d\[\([0-9]*\)\]: debug: .*: connected to .*/\1/p' \
	    "$DAEMON_LOG"
}

# gone PID...: true once none of them runs (an orphan's zombie counts as
# gone: PID 1 here may not reap).
gone() {
	local pid state
	for pid in "$@"; do
		state=$(proc_state "$pid") || continue
		[ "$state" = Z ] || return 1
	done
}

@test "--spares 3: three spares wait before any client, and a client gets one" {
	daemon_start -v --spares 3
	wait_until 5 spare_count 3
	local before
	before=$(daemon_spares | sort)
	run -0 client "to a spare"
	assert_output "to a spare"
	wait_until 5 eval '[ "$(served_by | wc -l)" -eq 1 ]'
	# The pid that served it was one of the spares waiting.
	grep -qx "$(served_by)" <<<"$before" ||
	    fail "served by $(served_by), not by a spare ($before)"
	# And the pool is full again.
	wait_until 5 spare_count 3
}

@test "a spare serves one client only: every client has a process of its own" {
	daemon_start -v --spares 2
	wait_until 5 spare_count 2
	local k
	for ((k = 0; k < 20; k++)); do
		run -0 client "client $k"
		assert_output "client $k"
	done
	wait_until 5 eval '[ "$(served_by | wc -l)" -eq 20 ]'
	assert_equal "$(served_by | sort -u | wc -l)" 20
}

@test "--spares 0 forks for each client as it is accepted: no spare ever waits" {
	daemon_start -v --spares 0
	run -0 client hello
	assert_output hello
	sleep 0.3
	assert_equal "$(daemon_spares | wc -l)" 0
	assert_equal "$(daemon_all_children | wc -l)" 0
}

@test "a spare holds the connection to the parent and nothing else: no listener, no client" {
	daemon_start --spares 1
	wait_until 5 spare_count 1
	local spare
	spare=$(daemon_spares)
	# stdin, stdout, stderr (not sockets here) and its socket pair.
	assert_equal "$(ls -l "/proc/$spare/fd" | grep -c 'socket:')" 1
}

@test "spares count towards -c: -c 2 --spares 4 makes two processes, which serve two clients" {
	daemon_start -v -c 2 --spares 4
	wait_until 5 spare_count 2
	sleep 0.3
	assert_equal "$(daemon_all_children | wc -l)" 2
	hold_connections 2
	assert_equal "$(daemon_all_children | wc -l)" 2
	assert_equal "$(daemon_spares | wc -l)" 0
	# A third client waits in the backlog until a slot is free.
	run -0 client -t 10 third &
	local third=$!
	sleep 0.5
	assert_equal "$(served_by | wc -l)" 2
	release_held
	wait "$third"
	wait_until 5 eval '[ "$(served_by | wc -l)" -eq 3 ]'
}

@test "SIGTERM: idle spares exit at once, a busy child finishes its reply" {
	daemon_start -v --spares 3 --grace 10 -- sh -c 'sleep 2; echo finished'
	wait_until 5 spare_count 3
	printf '%-64s%s' 1 x | "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" \
	    --port "$DAEMON_PORT" >"$BATS_TEST_TMPDIR/out" &
	local cpid=$! spares
	wait_until 5 grep -q 'request 1,' "$DAEMON_LOG"
	wait_until 5 spare_count 3
	spares=$(daemon_spares)
	kill -TERM "$DAEMON_PID"
	wait_until 1 gone $spares
	# The busy child is still at work, and the daemon waits for it.
	daemon_alive || fail "the daemon did not wait for its busy child"
	wait "$cpid"
	assert_equal "$(tail -c 9 "$BATS_TEST_TMPDIR/out")" "finished"
	wait "$DAEMON_PID"
	DAEMON_PID=
}

@test "a spare whose parent is killed with SIGKILL exits at once" {
	daemon_start --spares 3
	wait_until 5 spare_count 3
	local spares
	spares=$(daemon_spares)
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" || true
	DAEMON_PID=
	wait_until 2 gone $spares
}

@test "a spare killed while it waits is logged, replaced, and clients are still served" {
	daemon_start --spares 2
	wait_until 5 spare_count 2
	local victim
	victim=$(daemon_spares | head -n 1)
	kill -KILL "$victim"
	wait_until 5 grep -q "spare child $victim killed by signal 9" \
	    "$DAEMON_LOG"
	wait_until 5 spare_count 2
	run -0 client still
	assert_output still
}

@test "--spares with --inetd is a usage error" {
	run -2 --separate-stderr "$SOCK64D" -i --spares 2 </dev/null
	assert_equal "$stderr" "sock64d: --spares is for the accept loop, not --inetd (see sock64d --help)"
}

@test "--spares out of range is a usage error" {
	run -2 --separate-stderr "$SOCK64D" --spares 1001
	assert_equal "$stderr" "sock64d: spares '1001' is too large (0-1000) (see sock64d --help)"
}
