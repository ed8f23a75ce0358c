#!/usr/bin/env bats
# The wire protocol of sock64(7), byte for byte, against a live daemon.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	daemon_start
}

teardown() {
	daemon_stop
}

# expect_refused BYTES-FILE LOG-WORDS: the daemon answers nothing, closes
# the connection on its own, and logs the reason with the peer address.
expect_refused() {
	assert_sock64_closed --raw <"$1"
	assert_sock64_log "127\.0\.0\.1:[0-9]+: $(ere_quote "$2")"
}

# ere_quote TEXT: TEXT as an extended regular expression matching itself.
ere_quote() {
	sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$1"
}

@test "a request gets its own payload back" {
	run -0 client "Hello Server!"
	assert_output "Hello Server!"
	assert_sock64_reply "Hello Server!" "Hello Server!"
}

@test "the Python client of sock64(7) prints b'Hello Server!'" {
	# The snippet runs unchanged; only the port it dials is redirected.
	run -0 "$PYTHON3" -c "
import socket
dial = socket.create_connection
socket.create_connection = lambda a, *r, **k: dial((a[0], $DAEMON_PORT), *r, **k)
exec(open('$FIXTURES/protocol_client.py').read())"
	assert_output "b'Hello Server!'"
}

@test "the reply is one frame: the length padded to 64 bytes, then the payload" {
	frame "Hello Server!" >"$BATS_TEST_TMPDIR/req"
	raw <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/rep"
	run -0 head -c 64 "$BATS_TEST_TMPDIR/rep"
	assert_output "13                                                              "
}

@test "an empty message gets an empty reply" {
	frame "" >"$BATS_TEST_TMPDIR/req"
	raw <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/rep"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/rep")" -eq 64 ]
}

@test "binary payloads with NUL bytes and newlines come back unchanged" {
	local f="$BATS_TEST_TMPDIR/bin"
	printf 'a\0b\nc\r\n\0\0\377\200 end\n' >"$f"
	head -c 5000 /dev/urandom >>"$f"
	client -n <"$f" >"$BATS_TEST_TMPDIR/out"
	cmp "$f" "$BATS_TEST_TMPDIR/out"
}

@test "right-aligned and zero-padded headers are accepted" {
	{ printf '%64s%s' 13 "Hello Server!"; header 0005; printf hello; } \
	    >"$BATS_TEST_TMPDIR/req"
	{ frame "Hello Server!"; frame hello; } >"$BATS_TEST_TMPDIR/want"
	raw <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/rep"
}

@test "a 1 MiB message, the default limit, is served" {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/big"
	client -n <"$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/out"
}

@test "one byte over the default limit is refused before the payload is read" {
	# Only the header is sent: the verdict cannot wait for the payload.
	header 1048577 >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "message too large (1048577 > 1048576)"
}

@test "a length too large for any integer is refused as too large" {
	header 99999999999999999999999999999999 >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "message too large"
}

@test "a message of exactly --max-message bytes is served" {
	daemon_stop
	daemon_start -m 100
	run -0 client "$(printf '%0100d' 7)"
	assert_output "$(printf '%0100d' 7)"
}

@test "a message one byte over --max-message gets no reply and is logged" {
	daemon_stop
	daemon_start -m 100
	{ header 101; printf '%0101d' 7; } >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "message too large (101 > 100)"
}

@test "--max-message takes k and M suffixes" {
	daemon_stop
	daemon_start -m 2k
	head -c 2048 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/ok"
	client -n <"$BATS_TEST_TMPDIR/ok" >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/ok" "$BATS_TEST_TMPDIR/out"
	header 2049 >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "message too large (2049 > 2048)"
}

@test "a header with a plus sign is malformed" {
	header "+13" >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "malformed header"
}

@test "a header with a minus sign is malformed" {
	header "-13" >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "malformed header"
}

@test "a header with a NUL byte is malformed" {
	{ printf '13\0'; printf '%61s' ''; } >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "malformed header (byte 3 is 0x00)"
}

@test "a header with a tab is malformed" {
	header "$(printf '\t13')" >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "malformed header (byte 1 is 0x09)"
}

@test "a header with a newline is malformed" {
	{ printf '13\n'; printf '%61s' ''; } >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "malformed header (byte 3 is 0x0a)"
}

@test "a header with a digit group after a space is malformed" {
	header "1 3" >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "malformed header (byte 3 is 0x33)"
}

@test "a header of spaces only, with no digit, is malformed" {
	header "" >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "malformed header"
}

@test "a header with letters or hex is malformed" {
	header "0x10" >"$BATS_TEST_TMPDIR/req"
	expect_refused "$BATS_TEST_TMPDIR/req" "malformed header (byte 2 is 0x78)"
}

@test "replies to earlier requests are kept when a later header is malformed" {
	{ frame one; frame two; header "1 3"; } >"$BATS_TEST_TMPDIR/req"
	{ frame one; frame two; } >"$BATS_TEST_TMPDIR/want"
	raw --no-shutdown <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/rep"
}

@test "1000 pipelined requests are answered in order" {
	local i
	for ((i = 0; i < 1000; i++)); do
		frame "request $i"
	done >"$BATS_TEST_TMPDIR/req"
	raw <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	# Echo answers each frame with the same frame, in order.
	cmp "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/rep"
}

@test "a frame written one byte at a time is served" {
	{ frame "Hello Server!"; frame "and again"; } >"$BATS_TEST_TMPDIR/req"
	raw --chunk 1 --delay 0.002 <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/rep"
}

@test "a frame split between header and payload is served" {
	frame "Hello Server!" >"$BATS_TEST_TMPDIR/req"
	raw --split 64 --delay 0.05 <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/rep"
}

@test "end of input inside a header is a truncated frame" {
	printf '13      ' | sock64_send_raw --close
	assert_sock64_log -p "truncated frame (end of input after 8 of 64 header bytes)"
}

@test "end of input inside a payload is a truncated frame" {
	{ sock64_header 13; printf 'Hello'; } | sock64_send_raw --close
	assert_sock64_log -p "truncated frame (end of input after 5 of 13 payload bytes)"
}

@test "a client stuck mid-frame does not delay other clients" {
	# The first client sends half a frame and waits; others are served.
	{ header 13; printf 'Hel'; } >"$BATS_TEST_TMPDIR/half"
	raw --no-shutdown --timeout 3 <"$BATS_TEST_TMPDIR/half" >/dev/null &
	local slow=$!
	run -0 client one two
	assert_output $'one\ntwo'
	wait "$slow" || true
}
