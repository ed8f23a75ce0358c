#!/usr/bin/env bats
# The sock64 client: every option, and the one-line message of every
# failure.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	daemon_stop
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" || true
	fi
}

# fake_start MODE: tests/fakeserver.py in MODE; sets FAKE_PID, FAKE_PORT.
fake_start() {
	"$PYTHON3" "$BATS_TEST_DIRNAME/fakeserver.py" "$1" \
	    >"$BATS_TEST_TMPDIR/fake.port" &
	FAKE_PID=$!
	wait_until 5 grep -q . "$BATS_TEST_TMPDIR/fake.port"
	FAKE_PORT=$(cat "$BATS_TEST_TMPDIR/fake.port")
}

@test "each argument is one request; each reply is printed on its own line" {
	daemon_start
	client one "two words" "" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	printf 'one\ntwo words\n\n' | cmp - "$BATS_TEST_TMPDIR/out"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "an empty message gets an empty reply: an empty line, exit 0" {
	daemon_start
	client '' >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	printf '\n' | cmp - "$BATS_TEST_TMPDIR/out"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	client -n '' >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	# Empty standard input is an empty request too.
	run -0 --separate-stderr client </dev/null
	assert_output ""
	assert_equal "$stderr" ""
}

@test "with no message the whole of stdin is one request" {
	daemon_start
	printf 'line one\nline two\n' | client >"$BATS_TEST_TMPDIR/out"
	printf 'line one\nline two\n\n' | cmp - "$BATS_TEST_TMPDIR/out"
}

@test "'-' among the messages reads stdin at that point" {
	daemon_start
	run -0 client before - after <<<"from stdin"
	assert_output $'before\nfrom stdin\n\nafter'
}

@test "-l sends each line of stdin as a request, without its newline" {
	daemon_start
	printf 'a\n\nccc\nlast without newline' >"$BATS_TEST_TMPDIR/in"
	run -0 client -l <"$BATS_TEST_TMPDIR/in"
	assert_output $'a\n\nccc\nlast without newline'
	run -0 client --lines <"$BATS_TEST_TMPDIR/in"
	assert_equal "${#lines[@]}" 3
}

@test "-l with an empty line sends an empty request" {
	daemon_start -v
	run -0 client -l <<<""
	assert_output ""
	wait_until 5 grep -q "request 1, 0 bytes" "$DAEMON_LOG"
}

@test "-n prints replies without the added newline" {
	daemon_start
	client -n one two >"$BATS_TEST_TMPDIR/out"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	assert_output onetwo
	client --no-newline x >"$BATS_TEST_TMPDIR/out"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/out")" -eq 1 ]
}

@test "-c reaches unix servers, and --connect is its long form" {
	local sock="$BATS_TEST_TMPDIR/c.sock"
	daemon_start_with -l "unix:$sock"
	run -0 "$SOCK64" --connect="unix:$sock" unix
	assert_output unix
}

@test "-c reaches IPv6 servers" {
	have_ipv6 || skip "this machine has no IPv6 loopback (::1)"
	daemon_start_with -l "[::1]:0"
	run -0 "$SOCK64" -c "[::1]:$DAEMON_PORT" v6
	assert_output v6
}

@test ":PORT and a bare PORT connect to this host" {
	daemon_start
	run -0 "$SOCK64" -c ":$DAEMON_PORT" colon
	assert_output colon
	run -0 "$SOCK64" -c "$DAEMON_PORT" bare
	assert_output bare
	run -0 "$SOCK64" -c "localhost:$DAEMON_PORT" name
	assert_output name
}

@test "a refused connection says so and exits 1" {
	daemon_start
	local port=$DAEMON_PORT
	daemon_stop
	run -1 --separate-stderr "$SOCK64" -c "127.0.0.1:$port" hello
	assert_output ""
	assert_equal "$stderr" "sock64: connection refused: 127.0.0.1:$port"
}

@test "a missing unix socket says so and exits 1" {
	run -1 --separate-stderr "$SOCK64" -c "unix:$BATS_TEST_TMPDIR/none" x
	assert_equal "$stderr" "sock64: connect unix:$BATS_TEST_TMPDIR/none: No such file or directory"
}

@test "a name that does not resolve says so and exits 1" {
	run -1 --separate-stderr "$SOCK64" -c nosuch.invalid:80 x
	[[ "$stderr" == "sock64: cannot resolve nosuch.invalid: "* ]]
	assert_equal "${#stderr_lines[@]}" 1
}

@test "a server that closes before replying is reported" {
	fake_start close
	run -1 --separate-stderr "$SOCK64" -c "127.0.0.1:$FAKE_PORT" hello
	assert_equal "$stderr" "sock64: server closed the connection before replying"
}

@test "a server that closes in the middle of a reply is reported" {
	fake_start partial
	run -1 --separate-stderr "$SOCK64" -c "127.0.0.1:$FAKE_PORT" hello
	assert_equal "$stderr" "sock64: server closed the connection in the middle of a reply"
}

@test "a malformed reply header is reported" {
	fake_start garbage
	run -1 --separate-stderr "$SOCK64" -c "127.0.0.1:$FAKE_PORT" hello
	assert_equal "$stderr" "sock64: malformed reply header from 127.0.0.1:$FAKE_PORT"
}

@test "a reply over the sanity limit is refused before it is read" {
	fake_start huge
	run -1 --separate-stderr "$SOCK64" -c "127.0.0.1:$FAKE_PORT" hello
	assert_equal "$stderr" "sock64: reply too large (over 67108864 bytes; see --max-reply)"
}

@test "-m lowers the reply limit" {
	daemon_start
	run -1 --separate-stderr client -m 4 "Hello Server!"
	assert_equal "$stderr" "sock64: reply too large (over 4 bytes; see --max-reply)"
	run -0 client --max-reply=13 "Hello Server!"
	assert_output "Hello Server!"
}

@test "-t bounds the whole exchange with a server that never replies" {
	fake_start silent
	local start=$SECONDS
	run -1 --separate-stderr "$SOCK64" -c "127.0.0.1:$FAKE_PORT" -t 1 hello
	assert_equal "$stderr" "sock64: timed out after 1 s"
	[ $((SECONDS - start)) -le 4 ]
}

@test "-t is no obstacle to a server that answers" {
	daemon_start
	run -0 client --timeout=5 quick
	assert_output quick
}

@test "the server refusing an oversized request is reported" {
	daemon_start -m 10
	run -1 --separate-stderr client "eleven bytes"
	assert_equal "$stderr" "sock64: server closed the connection before replying"
}

@test "a request over the server's default limit is reported with its size and the server option" {
	daemon_start
	head -c 2097152 /dev/zero | tr "\\0" x >"$BATS_TEST_TMPDIR/big"
	run -1 --separate-stderr client -n <"$BATS_TEST_TMPDIR/big"
	assert_equal "$stderr" "sock64: server closed the connection before replying to a request of 2097152 bytes: sock64d takes at most 1048576 unless started with a larger --max-message"
	daemon_stop
	daemon_start -m 3M
	run -0 client -n <"$BATS_TEST_TMPDIR/big"
	assert_equal "${#output}" 2097152
}

@test "usage errors exit 2 with one line" {
	run -2 --separate-stderr "$SOCK64" --bogus
	assert_equal "$stderr" "sock64: unknown option '--bogus' (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" -x
	assert_equal "$stderr" "sock64: unknown option '-x' (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" -c
	assert_equal "$stderr" "sock64: option '-c' needs a value (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" --help=x
	assert_equal "$stderr" "sock64: option '--help' takes no value (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" --no-newline=1
	assert_equal "$stderr" "sock64: option '--no-newline' takes no value (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" -c "127.0.0.1:99999" x
	assert_equal "$stderr" "sock64: address '127.0.0.1:99999': port out of range (0-65535) (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" -c "::1:80" x
	assert_equal "$stderr" "sock64: address '::1:80': an IPv6 address needs brackets: [ADDR]:PORT (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" -c "127.0.0.1:0" x
	assert_equal "$stderr" "sock64: address '127.0.0.1:0': port 0 cannot be connected to (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" -t 0 x
	assert_equal "$stderr" "sock64: timeout '0' is too small (seconds, 1-604800) (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" -t soon x
	assert_equal "$stderr" "sock64: timeout 'soon' is invalid (seconds, 1-604800) (see sock64 --help)"
	run -2 --separate-stderr "$SOCK64" -m 1G x
	assert_equal "$stderr" "sock64: max-reply '1G' is invalid (bytes, or with a k or M suffix) (see sock64 --help)"
}

@test "--help describes every option and exits 0" {
	run -0 "$SOCK64" --help
	assert_line --index 0 "usage: sock64 [-ln] [-c address] [-m size] [-t seconds] [message ...]"
	local opt
	for opt in --connect --lines --no-newline --timeout --max-reply --help --version; do
		assert_output --partial -- "$opt"
	done
	run -0 "$SOCK64" -h
	assert_line --index 0 --partial "usage: sock64"
}

@test "--version prints the package version" {
	run -0 "$SOCK64" --version
	assert_output --regexp '^sock64 [0-9]+\.[0-9]+\.[0-9]+$'
	run -0 "$SOCK64" -V
	assert_output --regexp '^sock64 [0-9]'
}
