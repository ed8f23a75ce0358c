#!/usr/bin/env bats
# PROXY protocol: a balancer's header names the client, which then is
# the peer for the log, --max-per-source and the exec handler; peers not
# on --proxy-from cannot choose the address they are taken for.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	daemon_stop
	release_held
}

# pclient ARGS...: proxyclient.py against the daemon.
pclient() {
	"$PYTHON3" "$BATS_TEST_DIRNAME/proxyclient.py" --port "$DAEMON_PORT" "$@"
}

# The program the exec-handler tests run: who it thinks the client is.
env_program() {
	cat >"$BATS_TEST_TMPDIR/who" <<'SH'
#!/bin/sh
cat >/dev/null
printf '%s %s %s %s %s' "$TCPREMOTEIP" "$TCPREMOTEPORT" "$REMOTE_ADDR" \
    "${PROXYREMOTEIP-none}" "${TCPLOCALPORT-}"
SH
	chmod +x "$BATS_TEST_TMPDIR/who"
	echo "$BATS_TEST_TMPDIR/who"
}

@test "--proxy-protocol v2: the client in the header is the peer in the log" {
	daemon_start -v --proxy-protocol v2
	run -0 pclient --header v2 --src 203.0.113.7:4242 hello world
	assert_output $'hello\nworld'
	wait_until 5 grep -q 'closed after 2 requests' "$DAEMON_LOG"
	run -0 grep -E "debug: 203\.0\.113\.7:4242: connected to 127\.0\.0\.1:$DAEMON_PORT via 127\.0\.0\.1:[0-9]+ \(PROXY v2\)" "$DAEMON_LOG"
	run -0 grep -E "debug: 203\.0\.113\.7:4242: closed after 2 requests" "$DAEMON_LOG"
}

@test "--proxy-protocol v1: a TCP6 line, the frames after it in the same segment" {
	daemon_start -v --proxy-protocol v1
	run -0 pclient --header v1 --src '[2001:db8::7]:55' one two three
	assert_output $'one\ntwo\nthree'
	wait_until 5 grep -q 'closed after 3 requests' "$DAEMON_LOG"
	run -0 grep -F "[2001:db8::7]:55: closed after 3 requests" "$DAEMON_LOG"
}

@test "--proxy-protocol any takes both versions, and a header sent a byte at a time" {
	daemon_start --proxy-protocol any
	run -0 pclient --header v1 a
	assert_output a
	run -0 pclient --header v2 b
	assert_output b
	run -0 pclient --header v2 --chunk 1 c
	assert_output c
	run -0 pclient --header v1 --chunk 1 d
	assert_output d
}

@test "the exec handler sees the client as TCPREMOTEIP and the balancer as PROXYREMOTEIP" {
	daemon_start --proxy-protocol v2 -- "$(env_program)"
	run -0 pclient --header v2 --src 192.0.2.44:31337 x
	assert_output "192.0.2.44 31337 192.0.2.44 127.0.0.1 $DAEMON_PORT"
	# Without a PROXY header option, nothing of the kind is set.
	daemon_stop
	daemon_start -- "$(env_program)"
	run -0 client x
	assert_output --regexp "^127\.0\.0\.1 [0-9]+ 127\.0\.0\.1 none $DAEMON_PORT\$"
}

@test "a v2 LOCAL header (a health check) is served as the balancer itself, quietly" {
	daemon_start --proxy-protocol v2 -- "$(env_program)"
	run -0 pclient --header v2local x
	assert_output --regexp "^127\.0\.0\.1 [0-9]+ 127\.0\.0\.1 none "
	# A check that connects and closes, with or without a header.
	run -0 pclient --header v2local
	run -0 "$PYTHON3" -c "import socket; socket.create_connection(('127.0.0.1', $DAEMON_PORT)).close()"
	run -0 pclient --header v2 after
	run -1 grep -E 'warning|error' "$DAEMON_LOG"
}

@test "a v2 header with an unspecified transport protocol is served as the balancer itself" {
	daemon_start -v --proxy-protocol v2 -- "$(env_program)"
	run -0 pclient --header v2unspec --src 192.0.2.66:1 x
	assert_output --regexp "^127\.0\.0\.1 [0-9]+ 127\.0\.0\.1 none $DAEMON_PORT\$"
	run -0 pclient --header v2unspec --src '[2001:db8::66]:1' y
	assert_output --regexp "^127\.0\.0\.1 [0-9]+ 127\.0\.0\.1 none $DAEMON_PORT\$"
	wait_until 5 eval '[ "$(grep -c "closed after 1 request" "$DAEMON_LOG")" -eq 2 ]'
	run -0 grep -cE "debug: 127\.0\.0\.1:[0-9]+: connected to 127\.0\.0\.1:$DAEMON_PORT via 127\.0\.0\.1:[0-9]+ \(PROXY v2, no client address\)" "$DAEMON_LOG"
	assert_output 2
	run -1 grep -E '192\.0\.2\.66|2001:db8|warning|error' "$DAEMON_LOG"
}

@test "a missing, malformed or wrong-version header closes the connection with a warning" {
	daemon_start --proxy-protocol v1
	run -1 pclient --header none x
	wait_until 5 grep -q 'missing PROXY header' "$DAEMON_LOG"
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: missing PROXY header \(first byte 0x31\)" "$DAEMON_LOG"
	run -1 pclient --header v2 x
	run -0 raw <<<$'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'
	wait_until 5 grep -q 'does not end in CRLF' "$DAEMON_LOG"
	run -0 raw < <(printf 'PROXY TCP4 1.2.3.4 5.6.7.8 99999 2\r\n'; frame x)
	wait_until 5 grep -q 'bad port' "$DAEMON_LOG"
	# The v2 header is no v1 line: "missing", like the plain frame.
	run -0 grep -c 'missing PROXY header' "$DAEMON_LOG"
	[ "$output" -eq 2 ]
	run -0 grep -c 'malformed PROXY header' "$DAEMON_LOG"
	[ "$output" -eq 2 ]
	run -0 pclient --header v1 still-serving
	assert_output still-serving
}

@test "a v2 header whose TLV runs past its length is refused with a warning" {
	daemon_start -v --proxy-protocol v2 -- "$(env_program)"
	run -1 pclient --header v2badtlv --src 192.0.2.55:1 x
	refute_output --partial 192.0.2.55
	wait_until 5 grep -q 'malformed PROXY header' "$DAEMON_LOG"
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: malformed PROXY header \(v2 TLV longer than the header\)" "$DAEMON_LOG"
	run -1 grep -F 192.0.2.55 "$DAEMON_LOG"
	# The same header with its TLV intact is served.
	run -0 pclient --header v2 --src 192.0.2.55:1 y
	assert_output --regexp "^192\.0\.2\.55 1 192\.0\.2\.55 127\.0\.0\.1 "
}

@test "a header that trickles in past --frame-timeout is cut off" {
	daemon_start --proxy-protocol v2 --frame-timeout 1
	local start=$SECONDS
	run -1 pclient --header v2 --chunk 4 --delay 0.4 x
	[ $((SECONDS - start)) -le 8 ]
	wait_until 5 grep -q 'PROXY header timeout' "$DAEMON_LOG"
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: PROXY header timeout" "$DAEMON_LOG"
}

@test "end of input inside the header is a truncated header" {
	daemon_start --proxy-protocol v1
	run -0 raw < <(printf 'PROXY TCP4 1.2.3.4')
	wait_until 5 grep -q 'truncated PROXY header' "$DAEMON_LOG"
	run -0 grep -E "127\.0\.0\.1:[0-9]+: truncated PROXY header \(end of input after 18 bytes\)" "$DAEMON_LOG"
}

@test "a peer not on --proxy-from cannot spoof its address with a header" {
	daemon_start -v --proxy-protocol v2 --proxy-from 10.0.0.0/8 \
	    --proxy-from ::1 -- "$(env_program)"
	run -1 pclient --header v2 --src 192.0.2.66:1 x
	wait_until 5 grep -q 'malformed header' "$DAEMON_LOG"
	run -0 grep -E "warning: 127\.0\.0\.1:[0-9]+: malformed header" "$DAEMON_LOG"
	run -1 grep -F 192.0.2.66 "$DAEMON_LOG"
	# Its plain requests are its own, under its own address.
	run -0 pclient --header none x
	assert_output --regexp "^127\.0\.0\.1 [0-9]+ 127\.0\.0\.1 none "
}

@test "a peer on --proxy-from must send the header" {
	daemon_start --proxy-protocol v2 --proxy-from 127.0.0.0/8
	run -1 pclient --header none x
	run -0 pclient --header v2 y
	assert_output y
}

@test "--max-per-source counts the client in the header, not the balancer" {
	daemon_start -v --proxy-protocol v2 --max-per-source 1
	"$PYTHON3" "$BATS_TEST_DIRNAME/proxyclient.py" --port "$DAEMON_PORT" \
	    --src 192.0.2.1:1000 --hold 20 x >/dev/null 2>&1 &
	HELD_PIDS+=($!)
	wait_until 5 connected_children 1
	# Same balancer, other clients: served.
	run -0 pclient --src 192.0.2.2:1000 a
	assert_output a
	run -0 pclient --src 192.0.2.3:1000 b
	assert_output b
	# The same client again: refused while its first connection lasts.
	run -1 pclient --src 192.0.2.1:1001 c
	wait_until 5 grep -q 'max-per-source' "$DAEMON_LOG"
	run -0 grep -E "warning: 192\.0\.2\.1:1001: refused on 127\.0\.0\.1:$DAEMON_PORT: 1 connections from this address already \(--max-per-source\)" "$DAEMON_LOG"
	release_held
	wait_until 5 eval '[ -z "$(daemon_children)" ]'
	run -0 pclient --src 192.0.2.1:1002 d
	assert_output d
}

@test "-i with --proxy-protocol reads the header from stdin" {
	run -0 --separate-stderr "$SOCK64D" -i --proxy-protocol v1 < <(
	    printf 'PROXY TCP4 192.0.2.9 192.0.2.10 5 6\r\n'; frame hello)
	assert_output "$(frame hello)"
}

@test "the PROXY options are checked" {
	run -2 "$SOCK64D" --proxy-protocol v3
	assert_output --partial "proxy-protocol 'v3' is not v1, v2 or any"
	run -2 "$SOCK64D" --proxy-from 10.0.0.0/8
	assert_output --partial "--proxy-from needs --proxy-protocol"
	run -2 "$SOCK64D" --proxy-protocol v2 --proxy-from 10.0.0.0/33
	assert_output --partial "proxy-from '10.0.0.0/33'"
	run -2 "$SOCK64D" -i --reuseport
	assert_output --partial "--reuseport"
}
