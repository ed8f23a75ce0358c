#!/usr/bin/env bats
# --reuseport and rolling restarts: a new sock64d binds the port the old
# one still listens on; the old one then drains on SIGTERM, and a client
# loop running all the while sees no failed request.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	SECOND_PID=
}

teardown() {
	if [ -n "$SECOND_PID" ]; then
		kill -TERM "$SECOND_PID" 2>/dev/null || true
		wait "$SECOND_PID" || true
	fi
	daemon_stop
}

# second_settled: the second server printed its port, or is gone.
second_settled() {
	[ -s "$BATS_TEST_TMPDIR/second.port" ] ||
	    [ "$(proc_state "$SECOND_PID")" = Z ] ||
	    [ ! -e "/proc/$SECOND_PID" ]
}

# second_start ARGS...: another sock64d -1, its pid in SECOND_PID.
second_start() {
	"$SOCK64D" -1 "$@" >"$BATS_TEST_TMPDIR/second.port" \
	    2>"$BATS_TEST_TMPDIR/second.log" 3>&- &
	SECOND_PID=$!
	wait_until 5 second_settled
	[ -s "$BATS_TEST_TMPDIR/second.port" ]
}

@test "--reuseport: two servers listen on one port at once" {
	daemon_start --reuseport
	second_start --reuseport -l "127.0.0.1:$DAEMON_PORT"
	[ "$(cat "$BATS_TEST_TMPDIR/second.port")" = "$DAEMON_PORT" ]
	local k
	for ((k = 0; k < 20; k++)); do
		run -0 client "request $k"
		assert_output "request $k"
	done
}

@test "without --reuseport a second server on the port fails: address in use" {
	daemon_start --reuseport
	run -1 "$SOCK64D" -l "127.0.0.1:$DAEMON_PORT"
	assert_output --partial "Address already in use"
}

@test "a rolling restart with --reuseport loses no request" {
	local ns=(unshare --net)
	# Its own network namespace, where the test may turn on
	# net.ipv4.tcp_migrate_req without touching the host's setting.
	local own=1
	"${ns[@]}" true 2>/dev/null || { ns=(); own=0; }
	run -0 --separate-stderr env SOCK64D="$SOCK64D" PYTHON3="$PYTHON3" \
	    OWN_NETNS=$own "${ns[@]}" bash "$BATS_TEST_DIRNAME/restart.sh" "$BATS_TEST_TMPDIR"
	echo "$stderr" >&2
	local sent ok failed retried
	read -r sent ok failed retried <<<"${lines[0]}"
	echo "# rolling restart: $sent requests, $ok answered, $failed failed; ${lines[1]}, ${lines[2]}" >&3
	[ "$failed" -eq 0 ]
	[ "$ok" -eq "$sent" ]
	[ "$sent" -ge 300 ]
	[ "${lines[1]#a }" -gt 0 ]
	[ "${lines[2]#b }" -gt 0 ]
}
