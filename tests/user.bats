#!/usr/bin/env bats
# -u/--user: the daemon binds as root, then runs as the user for good.

bats_require_minimum_version 1.5.0
load helpers

TEST_USER=sock64-test

setup() {
	[ "$(id -u)" -eq 0 ] || skip "changing user needs root"
	id "$TEST_USER" >/dev/null 2>&1 ||
	    useradd --system --no-create-home --user-group \
	    --shell /usr/sbin/nologin "$TEST_USER"
}

teardown() {
	daemon_stop
	if [ -n "${HELD:-}" ]; then
		kill "$HELD" 2>/dev/null || true
		wait "$HELD" || true
	fi
}

# ids_are PID UID GID: real, effective, saved and fs ids, no root group.
ids_are() {
	run -0 awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"
	assert_output "$2 $2 $2 $2"
	run -0 awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"
	assert_output "$3 $3 $3 $3"
	run -0 awk '/^Groups:/ { $1 = ""; print }' "/proc/$1/status"
	[[ " $output " != *" 0 "* ]]
}

# reachable DIR: DIR and the directories above it, up to bats' own
# temporary directory (made 0700), may be searched by every user.
reachable() {
	local d=$1
	while [[ $d == "$BATS_RUN_TMPDIR"* ]]; do
		chmod o+x "$d"
		d=${d%/*}
	done
}

# as_user UID COMMAND...: runs COMMAND as UID with its primary group.
as_user() {
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$(id -g "$uid")" --clear-groups "$@"
}

@test "-u runs the daemon and its children as the user, with its groups" {
	local uid gid child
	uid=$(id -u "$TEST_USER") gid=$(id -g "$TEST_USER")
	daemon_start -v -u "$TEST_USER"
	ids_are "$DAEMON_PID" "$uid" "$gid"
	{ header 13; printf 'Hel'; } >"$BATS_TEST_TMPDIR/half"
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$DAEMON_PORT" \
	    --no-shutdown --timeout 20 <"$BATS_TEST_TMPDIR/half" >/dev/null &
	HELD=$!
	wait_until 5 connected_children 1
	child=$(daemon_children)
	ids_are "$child" "$uid" "$gid"
	run -0 client "as $TEST_USER"
	assert_output "as $TEST_USER"
}

@test "-u with a privileged port: bound as root, served as the user" {
	daemon_start_with -u "$TEST_USER" -l 127.0.0.1:0 -l "unix:$BATS_TEST_TMPDIR/u.sock"
	run -0 "$SOCK64" -c "unix:$BATS_TEST_TMPDIR/u.sock" ok
	assert_output ok
}

@test "-u gives a unix socket to the user, who can connect and be served" {
	local dir="$BATS_TEST_TMPDIR/run" uid
	uid=$(id -u "$TEST_USER")
	mkdir "$dir"
	reachable "$dir"
	daemon_start_with -u "$TEST_USER" -l 127.0.0.1:0 -l "unix:$dir/u.sock"
	run -0 stat -c '%U:%G' "$dir/u.sock"
	assert_output "$TEST_USER:$(id -gn "$TEST_USER")"
	run -0 --separate-stderr as_user "$uid" "$SOCK64" -c "unix:$dir/u.sock" \
	    "as $TEST_USER"
	assert_output "as $TEST_USER"
	# The TCP listener is no file: nothing to give, served as before.
	run -0 client tcp
	assert_output tcp
}

@test "--socket-mode 0660 with -u: the user is served, other users are kept out" {
	local dir="$BATS_TEST_TMPDIR/run" uid
	uid=$(id -u "$TEST_USER")
	mkdir "$dir"
	reachable "$dir"
	daemon_start_with -u "$TEST_USER" --socket-mode 0660 \
	    -l "unix:$dir/m.sock"
	run -0 stat -c '%a %U:%G' "$dir/m.sock"
	assert_output "660 $TEST_USER:$(id -gn "$TEST_USER")"
	run -0 --separate-stderr as_user "$uid" "$SOCK64" -c "unix:$dir/m.sock" ok
	assert_output ok
	run -1 --separate-stderr as_user "$(id -u nobody)" "$SOCK64" \
	    -c "unix:$dir/m.sock" no
	assert_equal "$stderr" "sock64: connect unix:$dir/m.sock: Permission denied"
}

@test "-u leaves a unix socket that systemd passed as systemd made it" {
	command -v systemd-socket-activate >/dev/null ||
	    missing "systemd-socket-activate is not installed (package systemd)"
	local sock="$BATS_TEST_TMPDIR/sd.sock" before
	DAEMON_LOG="$BATS_TEST_TMPDIR/daemon.log"
	systemd-socket-activate -l "$sock" "$SOCK64D" -u "$TEST_USER" \
	    2>"$DAEMON_LOG" 3>&- &
	DAEMON_PID=$!
	wait_until 5 grep -q '^Listening on' "$DAEMON_LOG"
	before=$(stat -c '%a %U:%G' "$sock")
	# The first connection makes systemd-socket-activate exec sock64d.
	run -0 "$SOCK64" -c "unix:$sock" passed
	assert_output passed
	wait_until 5 grep -q 'listening on' "$DAEMON_LOG"
	assert_equal "$(stat -c '%a %U:%G' "$sock")" "$before"
}

@test "-u with an unknown user refuses to start (exit 1)" {
	run -1 --separate-stderr "$SOCK64D" -u no-such-user-here -l 127.0.0.1:0
	[[ "$stderr" == *"error: unknown user no-such-user-here" ]]
	assert_equal "${#stderr_lines[@]}" 1
}

@test "-u refuses to start when it cannot drop privileges (exit 1)" {
	run -1 --separate-stderr setpriv --reuid=65534 --regid=65534 \
	    --clear-groups "$SOCK64D" -u "$TEST_USER" -l 127.0.0.1:0
	[[ "$stderr" == *"error: cannot drop privileges to $TEST_USER: "*": Operation not permitted" ]]
}

@test "-i -u with stderr on the connection: a program the user cannot run is not told to the client" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	chmod 755 "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\ncat\n' >"$BATS_TEST_TMPDIR/bin/rootonly"
	chmod 700 "$BATS_TEST_TMPDIR/bin/rootonly"
	run -0 inetd_on_socket -u "$TEST_USER" -- "$BATS_TEST_TMPDIR/bin/rootonly"
	assert_output "2 b''"
}

@test "-u in inetd mode serves as the user" {
	frame hi >"$BATS_TEST_TMPDIR/req"
	run -0 --separate-stderr "$SOCK64D" -i -u "$TEST_USER" \
	    <"$BATS_TEST_TMPDIR/req"
	assert_output "$(frame hi)"
}

@test "fork failing drops no client: they wait, the parent pauses, and each is served once forks work" {
	# Root ignores RLIMIT_NPROC; the user does not.  The daemon starts
	# with a soft limit of one process, so after -u its fork() fails.
	local uid gid real=$SOCK64D k pid pids=()
	uid=$(id -u "$TEST_USER") gid=$(id -g "$TEST_USER")
	printf '#!/bin/sh\nexec prlimit --nproc=1: "%s" "$@"\n' \
	    "$real" >"$BATS_TEST_TMPDIR/limited"
	chmod +x "$BATS_TEST_TMPDIR/limited"
	SOCK64D=$BATS_TEST_TMPDIR/limited daemon_start -u "$TEST_USER"
	for ((k = 0; k < 3; k++)); do
		client -t 30 "waiting $k" >"$BATS_TEST_TMPDIR/out.$k" \
		    2>"$BATS_TEST_TMPDIR/err.$k" &
		pids+=($!)
	done
	wait_until 5 grep -q "warning: fork (pausing accepts briefly): Resource temporarily unavailable" "$DAEMON_LOG"
	# Forks keep failing for 2 s: the parent retries after each pause,
	# without spinning, and closes no client.
	daemon_stays_idle "of failing forks"
	for pid in "${pids[@]}"; do
		kill -0 "$pid" 2>/dev/null ||
		    fail "a client was dropped while fork failed: $(cat "$BATS_TEST_TMPDIR"/err.*)"
	done
	# The same user may raise its own soft limit up to the hard one.
	setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	    prlimit --pid "$DAEMON_PID" --nproc="$(ulimit -Hu)":
	wait_pids "${pids[@]}"
	for ((k = 0; k < 3; k++)); do
		run -0 cat "$BATS_TEST_TMPDIR/out.$k"
		assert_output "waiting $k"
	done
}

@test "at shutdown, a client whose fork still fails is closed and logged" {
	local real=$SOCK64D pid
	# It exits still unable to start a thread, which LeakSanitizer's
	# check at exit needs (a sanitizer build only): no leak check.
	printf '#!/bin/sh\nASAN_OPTIONS=detect_leaks=0 exec prlimit --nproc=1: "%s" "$@"\n' \
	    "$real" >"$BATS_TEST_TMPDIR/limited"
	chmod +x "$BATS_TEST_TMPDIR/limited"
	SOCK64D=$BATS_TEST_TMPDIR/limited daemon_start -u "$TEST_USER"
	client -t 30 pending >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_until 5 grep -q "warning: fork (pausing accepts briefly)" "$DAEMON_LOG"
	daemon_stop_by TERM 5
	# wait in this shell: in run's subshell the client is no child to
	# wait for while it still runs (a sanitizer build's exits slowly).
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 1
	run -0 cat "$BATS_TEST_TMPDIR/err"
	assert_output "sock64: server closed the connection before replying"
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: closed unserved: no child could be forked for it before shutdown" "$DAEMON_LOG"
}

@test "-u with a program only root may run refuses to start (exit 2)" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	chmod 755 "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\ncat\n' >"$BATS_TEST_TMPDIR/bin/rootonly"
	chmod 700 "$BATS_TEST_TMPDIR/bin/rootonly"
	run -2 --separate-stderr "$SOCK64D" -u "$TEST_USER" -l 127.0.0.1:0 \
	    -- "$BATS_TEST_TMPDIR/bin/rootonly"
	[[ "$stderr" == *"sock64d: program '$BATS_TEST_TMPDIR/bin/rootonly' cannot be run by user $TEST_USER: Permission denied" ]]
}
