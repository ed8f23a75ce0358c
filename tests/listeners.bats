#!/usr/bin/env bats
# Listening: every --listen form, several at once, unix socket files,
# and the errors a user can run into.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	release_held
	daemon_stop
}

@test "a client's TCP socket has TCP_NODELAY: a reply never waits for the ack of the one before" {
	daemon_start -v
	hold_connections 1
	assert_nodelay "$(daemon_children)"
}

@test "serves IPv4 on 127.0.0.1 with port 0 picking a free port" {
	daemon_start_with -l 127.0.0.1:0
	[ "$DAEMON_PORT" -gt 0 ]
	run -0 "$SOCK64" -c "127.0.0.1:$DAEMON_PORT" ipv4
	assert_output ipv4
	run -0 grep "info: listening on 127.0.0.1:$DAEMON_PORT\$" "$DAEMON_LOG"
}

@test "serves IPv6 on [::1]" {
	have_ipv6 || skip "this machine has no IPv6 loopback (::1)"
	daemon_start_with -l "[::1]:0"
	run -0 "$SOCK64" -c "[::1]:$DAEMON_PORT" ipv6
	assert_output ipv6
	run -0 grep "listening on \[::1\]:$DAEMON_PORT\$" "$DAEMON_LOG"
}

@test ":PORT listens on every address, IPv4 and IPv6 alike" {
	daemon_start_with -l :0
	run -0 "$SOCK64" -c "127.0.0.1:$DAEMON_PORT" v4
	assert_output v4
	if have_ipv6; then
		run -0 "$SOCK64" -c "[::1]:$DAEMON_PORT" v6
		assert_output v6
	fi
}

@test "a bare PORT means every address too" {
	daemon_start_with -l 0
	run -0 "$SOCK64" -c "127.0.0.1:$DAEMON_PORT" bare
	assert_output bare
}

@test "IPv4 clients of a dual-stack listener are logged as IPv4" {
	have_ipv6 || skip "this machine has no IPv6 loopback (::1)"
	daemon_start_with -v -l :0
	run -0 "$SOCK64" -c "127.0.0.1:$DAEMON_PORT" hi
	wait_until 5 grep -q "closed after 1 request$" "$DAEMON_LOG"
	run -0 grep -E "debug: 127\.0\.0\.1:[0-9]+: connected" "$DAEMON_LOG"
}

@test "serves a unix socket and prints unix:PATH for it" {
	local sock="$BATS_TEST_TMPDIR/s.sock"
	daemon_start_with -l "unix:$sock"
	assert_equal "$DAEMON_PORT" "unix:$sock"
	[ -S "$sock" ]
	run -0 "$SOCK64" -c "unix:$sock" "over unix"
	assert_output "over unix"
}

@test "several listeners at once, ports printed in --listen order" {
	local sock="$BATS_TEST_TMPDIR/multi.sock" p1 p2 p3
	daemon_start_with -l 127.0.0.1:0 -l "unix:$sock" -l 127.0.0.1:0
	run -0 echo "$DAEMON_PORTS"
	assert_equal "${#lines[@]}" 3
	p1=${lines[0]} p2=${lines[1]} p3=${lines[2]}
	assert_equal "$p2" "unix:$sock"
	[ "$p1" != "$p3" ]
	run -0 "$SOCK64" -c "127.0.0.1:$p1" first
	assert_output first
	run -0 "$SOCK64" -c "$p2" second
	assert_output second
	run -0 "$SOCK64" -c "127.0.0.1:$p3" third
	assert_output third
}

@test "a stale unix socket file is replaced" {
	local sock="$BATS_TEST_TMPDIR/stale.sock"
	# A socket file whose server is gone: bound, then closed, not unlinked.
	"$PYTHON3" -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()" "$sock"
	[ -S "$sock" ]
	daemon_start_with -l "unix:$sock"
	run -0 "$SOCK64" -c "unix:$sock" fresh
	assert_output fresh
}

@test "a unix socket with a live server is left alone, and the start fails" {
	local sock="$BATS_TEST_TMPDIR/live.sock"
	daemon_start_with -l "unix:$sock"
	run -1 --separate-stderr "$SOCK64D" -l "unix:$sock"
	assert_output ""
	[[ "$stderr" == *"bind unix:$sock: a server is already listening there"* ]]
	assert_equal "${#stderr_lines[@]}" 1
	run -0 "$SOCK64" -c "unix:$sock" "still served"
	assert_output "still served"
}

@test "a file that is not a socket is never removed" {
	local path="$BATS_TEST_TMPDIR/precious"
	echo data >"$path"
	run -1 --separate-stderr "$SOCK64D" -l "unix:$path"
	[[ "$stderr" == *"bind unix:$path: the path exists and is not a socket"* ]]
	run -0 cat "$path"
	assert_output data
}

@test "the unix socket file is removed at shutdown" {
	local sock="$BATS_TEST_TMPDIR/gone.sock"
	daemon_start_with -l "unix:$sock"
	[ -S "$sock" ]
	daemon_stop
	[ ! -e "$sock" ]
}

@test "--socket-mode gives the unix socket file that mode, whatever the umask" {
	local sock="$BATS_TEST_TMPDIR/mode.sock"
	umask 077
	daemon_start_with -l 127.0.0.1:0 -l "unix:$sock" --socket-mode 0666
	run -0 stat -c %a "$sock"
	assert_output 666
	run -0 "$SOCK64" -c "unix:$sock" moded
	assert_output moded
	daemon_stop
	umask 000
	daemon_start_with -l "unix:$sock" --socket-mode=640
	run -0 stat -c %a "$sock"
	assert_output 640
	daemon_stop
	# The umask is the daemon's own again once the socket is bound.
	daemon_start_with -l "unix:$sock" --socket-mode 0600 -- sh -c \
	    'cat >/dev/null; umask'
	run -0 "$SOCK64" -c "unix:$sock" x
	assert_output 0000
}

@test "without --socket-mode the umask decides the unix socket file's mode" {
	local sock="$BATS_TEST_TMPDIR/umask.sock"
	umask 027
	daemon_start_with -l "unix:$sock"
	run -0 stat -c %a "$sock"
	assert_output 750
}

@test "an address already in use is a runtime error (exit 1) naming it" {
	daemon_start_with -l 127.0.0.1:0
	run -1 --separate-stderr "$SOCK64D" -l "127.0.0.1:$DAEMON_PORT"
	assert_equal "${#stderr_lines[@]}" 1
	[[ "$stderr" == *"error: bind 127.0.0.1:$DAEMON_PORT: Address already in use" ]]
}

@test "a listener that fails removes the unix sockets already bound" {
	daemon_start_with -l 127.0.0.1:0
	local sock="$BATS_TEST_TMPDIR/partial.sock"
	run -1 "$SOCK64D" -l "unix:$sock" -l "127.0.0.1:$DAEMON_PORT"
	[ ! -e "$sock" ]
}

@test "a host name that does not resolve is a runtime error" {
	run -1 --separate-stderr "$SOCK64D" -l nosuch.invalid:0
	[[ "$stderr" == *"cannot resolve nosuch.invalid"* ]]
}

@test "a small --backlog still serves every client" {
	daemon_start -b 1
	local i pids=()
	for ((i = 0; i < 20; i++)); do
		client "n$i" >"$BATS_TEST_TMPDIR/out.$i" &
		pids+=($!)
	done
	wait_pids "${pids[@]}"
	cat "$BATS_TEST_TMPDIR"/out.* >"$BATS_TEST_TMPDIR/out"
	run -0 sort "$BATS_TEST_TMPDIR/out"
	assert_equal "${#lines[@]}" 20
}

@test "--print-port closes stdout once the ports are printed" {
	daemon_start
	run -0 readlink "/proc/$DAEMON_PID/fd/1"
	assert_output /dev/null
}
