#!/usr/bin/env bats
# sock64d's command line: help, version, logging options, and a one-line
# message with exit status 2 for every usage error.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	daemon_stop
}

# usage_error ARGS... MESSAGE: sock64d ARGS exits 2 printing MESSAGE
# as its only line, and nothing on stdout.
usage_error() {
	local msg=${*: -1}
	run -2 --separate-stderr "$SOCK64D" "${@:1:$#-1}"
	assert_output ""
	assert_equal "$stderr" "sock64d: $msg (see sock64d --help)"
}

@test "--help shows the usage and every option, and exits 0" {
	run -0 --separate-stderr "$SOCK64D" --help
	assert_line --index 0 --partial "usage: sock64d [-1iqv]"
	local opt
	for opt in --listen --backlog --max-connections --max-per-source \
	    --max-message --idle-timeout --frame-timeout --write-timeout \
	    --grace --user --print-port --inetd --verbose --quiet --help \
	    --version --proxy-protocol --proxy-from --reuseport \
	    --socket-mode; do
		assert_output --partial -- "$opt"
	done
	assert_output --partial "Exit status"
	assert_equal "$stderr" ""
	run -0 "$SOCK64D" -h
	assert_line --index 0 --partial "usage: sock64d"
}

@test "--version prints the package version and exits 0" {
	run -0 "$SOCK64D" --version
	assert_output --regexp '^sock64d [0-9]+\.[0-9]+\.[0-9]+$'
	run -0 "$SOCK64D" -V
	assert_output --regexp '^sock64d [0-9]'
}

@test "an unknown option is a usage error" {
	usage_error --bogus "unknown option '--bogus'"
	usage_error -x "unknown option '-x'"
	usage_error --bogus=3 "unknown option '--bogus'"
	usage_error --verbose -qx "unknown option '-x'"
}

@test "a value for an option that takes none is a usage error" {
	usage_error --help=x "option '--help' takes no value"
	usage_error --inetd=1 "option '--inetd' takes no value"
	usage_error --verb=2 "option '--verbose' takes no value"
}

@test "an ambiguous abbreviation is a usage error naming the candidates" {
	usage_error --ver \
	    "option '--ver' is ambiguous; it could be '--verbose' '--version'"
	usage_error --max-rep=1 --max \
	    "option '--max' is ambiguous; it could be '--max-connections' '--max-message' '--max-per-source' '--max-rate' '--max-rate-per-source' '--max-reply'"
	usage_error --max-r=1 \
	    "option '--max-r' is ambiguous; it could be '--max-rate' '--max-rate-per-source' '--max-reply'"
	run -0 "$SOCK64D" --vers
	assert_output --regexp '^sock64d [0-9]'
}

@test "an option without its value is a usage error" {
	usage_error -l "option '-l' needs a value"
	usage_error --max-message "option '--max-message' needs a value"
	usage_error -u "option '-u' needs a value"
}

@test "bad --backlog values are usage errors" {
	usage_error -b 0 "backlog '0' is too small (1-65535)"
	usage_error -b 70000 "backlog '70000' is too large (1-65535)"
	usage_error --backlog=ten "backlog 'ten' is invalid (1-65535)"
}

@test "bad --max-connections values are usage errors" {
	usage_error -c 0 "max-connections '0' is too small (1-1000000)"
	usage_error --max-connections=-5 "max-connections '-5' is too small (1-1000000)"
	usage_error -c 1x "max-connections '1x' is invalid (1-1000000)"
}

@test "bad --max-per-source values are usage errors" {
	usage_error --max-per-source=-1 "max-per-source '-1' is too small (0-1000000)"
	usage_error --max-per-source=x "max-per-source 'x' is invalid (0-1000000)"
}

@test "bad --max-message values are usage errors" {
	usage_error -m 1G "max-message '1G' is invalid (bytes, or with a k or M suffix)"
	usage_error -m -1 "max-message '-1' is invalid (bytes, or with a k or M suffix)"
	usage_error -m '' "max-message '' is invalid (bytes, or with a k or M suffix)"
	usage_error -m 99999999999999999999999 "max-message '99999999999999999999999' is too large (bytes, or with a k or M suffix)"
}

@test "bad time-outs are usage errors" {
	usage_error --idle-timeout=-1 "idle-timeout '-1' is too small (seconds, 0-604800)"
	usage_error --idle-timeout=1m "idle-timeout '1m' is invalid (seconds, 0-604800)"
	usage_error --frame-timeout=604801 "frame-timeout '604801' is too large (seconds, 0-604800)"
	usage_error --write-timeout=soon "write-timeout 'soon' is invalid (seconds, 0-604800)"
	usage_error --grace=-3 "grace '-3' is too small (seconds, 0-604800)"
}

@test "bad listen addresses are usage errors" {
	usage_error -l 127.0.0.1:65536 "listen address '127.0.0.1:65536': port out of range (0-65535)"
	usage_error -l 127.0.0.1:http "listen address '127.0.0.1:http': port is not a number"
	usage_error -l ::1:80 "listen address '::1:80': an IPv6 address needs brackets: [ADDR]:PORT"
	usage_error -l "[::1]" "listen address '[::1]': expected [IPV6ADDR]:PORT"
	usage_error -l unix: "listen address 'unix:': unix: needs a path"
	usage_error -l 127.0.0.1: "listen address '127.0.0.1:': missing port"
}

@test "bad --socket-mode values, and --socket-mode without a unix listener, are usage errors" {
	local sock="unix:$BATS_TEST_TMPDIR/m.sock" m
	for m in 888 0o660 '' 01777 07777 00660 abc -1 ' 660' 660x u=rw; do
		usage_error --socket-mode="$m" -l "$sock" "socket-mode '$m' is not an octal mode (0000-0777)"
	done
	usage_error --socket-mode 0660 "--socket-mode needs a unix: --listen address"
	usage_error --socket-mode 0660 -l 127.0.0.1:0 -l '[::1]:0' "--socket-mode needs a unix: --listen address"
	usage_error -i --socket-mode 0660 "--socket-mode is for unix: listeners, not --inetd"
	[ ! -e "$BATS_TEST_TMPDIR/m.sock" ]
}

@test "a leftover argument is a usage error" {
	usage_error extra "unexpected argument 'extra'"
}

@test "the default listen address is 127.0.0.1:8000" {
	# Either it binds 8000, or 8000 is taken and the error names it.
	"$SOCK64D" -1 >"$BATS_TEST_TMPDIR/port" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$! status=0
	wait_until 5 eval '[ -s "$BATS_TEST_TMPDIR/port" ] || ! kill -0 $pid 2>/dev/null'
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || status=$?
	if [ -s "$BATS_TEST_TMPDIR/port" ]; then
		run -0 cat "$BATS_TEST_TMPDIR/port"
		assert_output 8000
		assert_equal "$status" 0
	else
		assert_equal "$status" 1
		run -0 grep "bind 127.0.0.1:8000: " "$BATS_TEST_TMPDIR/err"
	fi
}

@test "log lines read sock64d[PID]: LEVEL: message" {
	daemon_start
	run -0 cat "$DAEMON_LOG"
	assert_line --regexp "^sock64d\[$DAEMON_PID\]: info: listening on 127\.0\.0\.1:$DAEMON_PORT\$"
}

@test "-q logs no info lines, only warnings" {
	daemon_start -q
	printf 'x%.0s' {1..64} | raw --no-shutdown >/dev/null
	wait_until 5 grep -q "malformed header" "$DAEMON_LOG"
	run -1 grep "info:" "$DAEMON_LOG"
}

@test "-v logs each connection and each frame with the peer address" {
	daemon_start -v
	run -0 client first second
	wait_until 5 grep -q "closed after 2 requests" "$DAEMON_LOG"
	run -0 cat "$DAEMON_LOG"
	assert_line --regexp "debug: 127\.0\.0\.1:[0-9]+: connected to 127\.0\.0\.1:$DAEMON_PORT\$"
	assert_line --regexp "debug: 127\.0\.0\.1:[0-9]+: request 1, 5 bytes\$"
	assert_line --regexp "debug: 127\.0\.0\.1:[0-9]+: request 2, 6 bytes\$"
	run -0 client one
	wait_until 5 grep -q "closed after 1 request\$" "$DAEMON_LOG"
	run -1 grep "closed after 1 requests" "$DAEMON_LOG"
}

@test "without -v there is no line per connection" {
	daemon_start
	run -0 client quiet
	run -1 grep "debug:" "$DAEMON_LOG"
}

@test "under systemd's journal, lines carry <N> priority prefixes instead" {
	local log="$BATS_TEST_TMPDIR/journal.log"
	: >"$log"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$log") \
	    "$SOCK64D" -i -v <"$FIXTURES/malformed.frame" 2>"$log" >/dev/null || true
	run -0 cat "$log"
	assert_line "<7>stdin: connected (inetd mode)"
	assert_line "<4>stdin: malformed header (byte 3 is 0x33)"
}

@test "a JOURNAL_STREAM that is not our stderr keeps the plain format" {
	local log="$BATS_TEST_TMPDIR/plain.log"
	JOURNAL_STREAM=1:1 "$SOCK64D" -i <"$FIXTURES/malformed.frame" \
	    2>"$log" >/dev/null || true
	run -0 cat "$log"
	assert_line --regexp '^sock64d\[[0-9]+\]: warning: stdin: malformed header'
}
