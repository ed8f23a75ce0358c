#!/usr/bin/env bats
# bats-sock64, the test kit of bats-sock64(7): each function does its
# job, and each failure says what went wrong.  A failing case is a small
# .bats file of its own, run by a second bats (as a child subreaper, so
# that what it leaves behind is seen and cleaned up); its output is
# checked line by line.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	sock64_stop
}

KIT="$BATS_TEST_DIRNAME/../bats-sock64/load"

# inner [BATS_OPTION]...: runs the .bats text on stdin (after lines that
# load bats-support, bats-assert and the kit) with bats --tap, in run.
# Its tests are written "%test", or this file's bats would take them
# for its own.
inner() {
	local f="$BATS_TEST_TMPDIR/inner.bats"
	{
		echo 'bats_require_minimum_version 1.5.0'
		echo 'bats_load_library bats-support'
		echo 'bats_load_library bats-assert'
		echo "load '$KIT'"
		sed 's/^%test /@test /'
	} >"$f"
	run env -u SOCK64D_PID -u SOCK64D_ADDR -u SOCK64D_LOG -u BATS_TEST_TIMEOUT \
	    "$PYTHON3" "$BATS_TEST_DIRNAME/subreaper.py" \
	    "${BATS:-bats}" --tap "$@" "$f"
}

# fake MODE: an executable that runs badserver.py MODE in place of
# sock64d; prints its path.
fake() {
	local f="$BATS_TEST_TMPDIR/fake-$1"
	printf '#!/bin/sh\nexec "%s" "%s" %s\n' "$PYTHON3" \
	    "$BATS_TEST_DIRNAME/badserver.py" "$1" >"$f"
	chmod +x "$f"
	echo "$f"
}

# assert_kv KEY REGEXP: inner's output shows KEY with a value matching
# REGEXP, as "# KEY : VALUE" or, in the many-line form bats-support
# falls back to, as a "#   VALUE" line.
assert_kv() {
	assert_line --regexp "^# ($1 +: |  )$2\$"
}

# Passing cases, run here directly.

@test "sock64_start listens on a free 127.0.0.1 port and says where" {
	sock64_start
	[[ $SOCK64D_PORT =~ ^[0-9]+$ ]]
	assert_equal "$SOCK64D_ADDR" "127.0.0.1:$SOCK64D_PORT"
	assert_equal "$SOCK64D_PORTS" "$SOCK64D_PORT"
	assert_equal "$SOCK64D_LOG" "$BATS_TEST_TMPDIR/sock64d.log"
	run -0 "$SOCK64" -c "$SOCK64D_ADDR" hello
	assert_output hello
	run -0 grep -c "listening on 127.0.0.1:$SOCK64D_PORT" "$SOCK64D_LOG"
	local pid=$SOCK64D_PID
	sock64_stop
	assert_equal "$SOCK64D_PID" ""
	[ ! -e "/proc/$pid" ]
}

@test "sock64_start_unix listens on a socket in the test's directory" {
	sock64_start_unix
	assert_equal "$SOCK64D_ADDR" "unix:$BATS_TEST_TMPDIR/sock64d.sock"
	assert_equal "$SOCK64D_PORT" ""
	[ -S "$BATS_TEST_TMPDIR/sock64d.sock" ]
	assert_sock64_reply hello hello
	sock64_stop
	[ ! -e "$BATS_TEST_TMPDIR/sock64d.sock" ]
}

@test "sock64_start gives each --listen an address to connect to, in order" {
	local sock="$BATS_TEST_TMPDIR/b.sock"
	sock64_start -v -l 127.0.0.1:0 --listen="unix:$sock" -l :0
	assert_equal "$(sed -n 2p <<<"$SOCK64D_ADDRS")" "unix:$sock"
	assert_equal "$(sed -n 2p <<<"$SOCK64D_PORTS")" "unix:$sock"
	[[ $(sed -n 3p <<<"$SOCK64D_ADDRS") =~ ^127\.0\.0\.1:[0-9]+$ ]]
	assert_equal "$SOCK64D_ADDR" "$(sed -n 1p <<<"$SOCK64D_ADDRS")"
	local addr
	while read -r addr; do
		run -0 "$SOCK64" -c "$addr" "to $addr"
		assert_output "to $addr"
	done <<<"$SOCK64D_ADDRS"
	assert_sock64_log 'debug: .*connected'
}

@test "sock64_start passes the options and the program on to sock64d" {
	sock64_start -m 10 -- tr a-z A-Z
	assert_sock64_reply hello HELLO
	assert_sock64_closed 12345678901
	assert_sock64_log 'message too large \(11 > 10\)'
}

@test "sock64_send captures the replies in \$output and \$lines, one per request" {
	sock64_start
	run -0 sock64_send one two "and three"
	assert_equal "${#lines[@]}" 3
	assert_equal "${lines[2]}" "and three"
	run -0 sock64_send -l <<<$'four\nfive'
	assert_output $'four\nfive'
	SOCK64D_ADDR=127.0.0.1:1 run -1 --separate-stderr sock64_send x
	assert_equal "$stderr" "sock64: connection refused: 127.0.0.1:1"
}

@test "sock64_send_file is binary-safe both ways" {
	sock64_start
	local f="$BATS_TEST_TMPDIR/bin"
	printf 'a\0b\nc\r\n\0\377\200\n\n' >"$f"
	sock64_send_file "$f" "$BATS_TEST_TMPDIR/reply"
	cmp "$f" "$BATS_TEST_TMPDIR/reply"
	run -2 sock64_send_file "$f"
	assert_output "usage: sock64_send_file REQUEST_FILE REPLY_FILE"
}

@test "sock64_send_raw returns what came back until the server closed" {
	sock64_start
	{ sock64_frame one; sock64_frame two; sock64_header "1 3"; } |
	    sock64_send_raw >"$BATS_TEST_TMPDIR/rep"
	{ sock64_frame one; sock64_frame two; } >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/rep"
	assert_sock64_log 'malformed header \(byte 3 is 0x33\)'
}

@test "sock64_send_raw says so when the connection stays open" {
	sock64_start
	SOCK64_TIMEOUT=3 run -1 --separate-stderr sock64_send_raw \
	    < <(sock64_frame hi)
	assert_output "$(sock64_frame hi)"
	assert_equal "$stderr" \
	    "sock64_send_raw: the connection was still open after 3 s"
}

@test "sock64_send_raw --close leaves in mid-frame, a truncated frame" {
	sock64_start
	{ sock64_header 13; printf Hello; } | sock64_send_raw --close
	assert_sock64_log -p "truncated frame (end of input after 5 of 13 payload bytes)"
}

@test "sock64_send_raw and assert_sock64_closed --raw work on a unix socket" {
	sock64_start_unix
	sock64_header "+1" | assert_sock64_closed --raw
	assert_sock64_log -p 'malformed header (byte 1 is 0x2b)'
	run -0 sock64_send_raw < <(sock64_frame hi; sock64_header x)
	assert_output "$(sock64_frame hi)"
}

@test "sock64_frame and sock64_header count bytes, not characters" {
	run -0 env LC_ALL=C.UTF-8 bash -c 'source "$0"; sock64_frame "é€"' \
	    "$BATS_TEST_DIRNAME/../bats-sock64/src/client.bash"
	assert_output "$(printf '%-64s' 5)é€"
	run -0 sock64_header "1 3"
	assert_equal "${#output}" 64
	assert_output "1 3$(printf '%61s' '')"
}

@test "sock64_wait_until returns as soon as the command succeeds, or fails at the deadline" {
	local t0
	sock64_wait_until 5 true
	t0=$(_sock64_now_us)
	run -1 sock64_wait_until 0.3 false
	(($(_sock64_now_us) - t0 >= 300000))
	run -2 sock64_wait_until soon true
	assert_output "bats-sock64: not a number of seconds: 'soon'"
}

@test "the assertions pass on what they assert" {
	sock64_start -m 20
	assert_sock64_reply hello hello
	assert_sock64_reply $'two\nlines\n\n' $'two\nlines\n\n'
	assert_sock64_reply --partial "Hello Server!" "lo Se"
	assert_sock64_reply -e "Hello Server!" '^H[a-z]+ S'
	assert_sock64_closed first "this is over twenty bytes"
	sock64_header -1 | assert_sock64_closed --raw
	assert_sock64_log 'malformed header'
	assert_sock64_log -p 'message too large (25 > 20)'
	refute_sock64_log 'no such line'
	refute_sock64_log -p 'warning: (none)'
}

@test "assert_sock64_log waits for a line the server logs late" {
	sock64_start
	# Stands for a line logged after the client had its answer.
	{ sleep 0.3; echo "sock64d[1]: info: late line" >>"$SOCK64D_LOG"; } &
	local writer=$!
	assert_sock64_log 'info: late line$'
	wait "$writer"
}

@test "sock64_children lists the server's connection processes" {
	sock64_start -v
	exec {held}<>"/dev/tcp/127.0.0.1/$SOCK64D_PORT"
	sock64_wait_until 5 eval '[ -n "$(sock64_children)" ]'
	local child
	child=$(sock64_children)
	assert_equal "$(_sock64_ppid "$child")" "$SOCK64D_PID"
	exec {held}>&-
	sock64_wait_until 5 eval '[ -z "$(sock64_children)" ]'
}

@test "contrib/greet.bats, the example of the README, passes with this kit" {
	run env -u BATS_TEST_TIMEOUT \
	    BATS_LIB_PATH="$BATS_TEST_DIRNAME/..:${BATS_LIB_PATH:-/usr/lib/bats}" \
	    "${BATS:-bats}" --tap "$BATS_TEST_DIRNAME/../contrib/greet.bats"
	assert_success
	assert_line "1..3"
	assert_equal "$(grep -c '^ok ' <<<"$output")" 3
}

@test "the README shows contrib/greet.bats as it is" {
	local readme block
	readme=$(<"$BATS_TEST_DIRNAME/../README.md")
	block=$(sed 's/^./    &/' "$BATS_TEST_DIRNAME/../contrib/greet.bats")
	[[ $readme == *"$block"* ]] ||
	    fail "README.md does not show contrib/greet.bats, indented by 4"
}

# Failing cases, each in a bats of its own.

@test "assert_sock64_reply shows the request, the expected and the actual reply" {
	inner <<'B'
setup() { sock64_start; }
teardown() { sock64_stop; }
%test "equal" { assert_sock64_reply hello bye; }
%test "partial" { assert_sock64_reply -p hello xyz; }
%test "regexp" { assert_sock64_reply --regexp hello '^b'; }
%test "bad regexp" { assert_sock64_reply -e hello '(('; }
B
	assert_failure
	assert_line "not ok 1 equal"
	assert_line "# -- reply differs --"
	assert_kv request hello
	assert_kv expected bye
	assert_kv reply hello
	assert_line "not ok 2 partial"
	assert_line "# -- reply does not contain substring --"
	assert_kv substring xyz
	assert_line "not ok 3 regexp"
	assert_line "# -- regular expression does not match reply --"
	assert_kv regexp '\^b'
	assert_line "not ok 4 bad regexp"
	assert_line "# -- assert_sock64_reply: invalid extended regular expression --"
	refute_output --partial "leftover processes"
}

@test "assert_sock64_reply shows the client's error and the log when no reply came" {
	inner <<'B'
setup() { sock64_start -m 3; }
teardown() { sock64_stop; }
%test "refused" { assert_sock64_reply hello hello; }
%test "no server" { sock64_stop; SOCK64D_ADDR= assert_sock64_reply a a; }
B
	assert_failure
	assert_line "not ok 1 refused"
	assert_line "# -- sock64d sent no reply --"
	assert_kv client "sock64: server closed the connection before replying"
	assert_kv log 'sock64d\[[0-9]+\]: warning: 127\.0\.0\.1:[0-9]+: message too large \(5 > 3\)'
	assert_line "not ok 2 no server"
	assert_line "# -- assert_sock64_reply: no server --"
}

@test "assert_sock64_closed fails on a reply, and on a connection left open" {
	inner <<'B'
setup() { sock64_start; }
teardown() { sock64_stop; }
%test "replied" { assert_sock64_closed one two; }
%test "raw replied" { sock64_frame hi | SOCK64_TIMEOUT=3 assert_sock64_closed --raw; }
%test "raw open" { sock64_header 13 | SOCK64_TIMEOUT=1 assert_sock64_closed --raw; }
%test "usage" { assert_sock64_closed; }
B
	assert_failure
	assert_line "not ok 1 replied"
	assert_line "# -- sock64d replied --"
	assert_kv request two
	assert_kv replies one
	assert_line "not ok 2 raw replied"
	assert_kv received "66 bytes"
	assert_kv bytes "2 {63}hi"
	assert_line "not ok 3 raw open"
	assert_line "# -- sock64d did not close the connection --"
	assert_kv client "sock64_send_raw: the connection was still open after 1 s"
	assert_line "not ok 4 usage"
	assert_line "# -- assert_sock64_closed: usage --"
	refute_output --partial "leftover processes"
}

@test "assert_sock64_log and refute_sock64_log show the pattern and the log" {
	inner <<'B'
setup() { sock64_start; }
teardown() { sock64_stop; }
%test "missing" { SOCK64_TIMEOUT=0.2 assert_sock64_log 'no such line'; }
%test "present" { refute_sock64_log -p 'info: listening on'; }
%test "no server" { sock64_stop; SOCK64D_LOG= assert_sock64_log x; }
B
	assert_failure
	assert_line "not ok 1 missing"
	assert_line "# -- no line of the sock64d log matches --"
	assert_kv regexp "no such line"
	assert_kv waited "0\.2 s"
	assert_kv log 'sock64d\[[0-9]+\]: info: listening on 127\.0\.0\.1:[0-9]+'
	assert_line "not ok 2 present"
	assert_line "# -- a line of the sock64d log matches --"
	assert_kv substring "info: listening on"
	assert_kv lines 'sock64d\[[0-9]+\]: info: listening on 127\.0\.0\.1:[0-9]+'
	assert_line "not ok 3 no server"
	assert_line "# -- assert_sock64_log: no server log --"
}

@test "sock64_start fails with the status and the log of a server that would not start" {
	inner <<'B'
%test "bad option" { sock64_start --no-such-option; }
%test "twice" { sock64_start; sock64_start; }
B
	assert_failure
	assert_line "not ok 1 bad option"
	assert_line "# -- sock64_start: sock64d exited before it listened --"
	assert_kv status "exit status 2"
	assert_kv log "sock64d: unknown option '--no-such-option' \\(see sock64d --help\\)"
	assert_line "not ok 2 twice"
	assert_line "# -- sock64_start: a server is running already --"
	# The first server of "twice" is stopped by nobody: it is left over.
	assert_line "leftover processes: 1"
}

@test "sock64_start gives up on a server that does not listen in time, and kills it" {
	SOCK64D=$(fake silent) SOCK64_START_TIMEOUT=0.5 inner <<'B'
%test "silent" { sock64_start; }
B
	assert_failure
	assert_line "# -- sock64_start: sock64d did not listen within 0.5 s --"
	refute_output --partial "leftover processes"
}

@test "a server that crashed during the test fails it in teardown" {
	inner <<'B'
setup() { sock64_start; }
teardown() { sock64_stop; }
%test "crash" { kill -KILL "$SOCK64D_PID"; sock64_wait_until 5 _sock64_gone "$SOCK64D_PID"; }
%test "fine" { assert_sock64_reply a a; }
B
	assert_failure
	assert_line "not ok 1 crash"
	assert_line "# -- sock64_stop: sock64d died before it was stopped --"
	assert_kv status "killed by signal 9"
	assert_line "ok 2 fine"
}

@test "sock64_stop fails on a zombie child, a bad exit status, a deaf or outlived server" {
	local f
	for f in zombie exit3 deaf orphan; do
		ln -s "$(fake "$f")" "$BATS_TEST_TMPDIR/$f"
	done
	SOCK64_STOP_TIMEOUT=1 inner <<B
%test "zombie" { SOCK64D=$BATS_TEST_TMPDIR/zombie sock64_start; sock64_stop; }
%test "exit3" { SOCK64D=$BATS_TEST_TMPDIR/exit3 sock64_start; sock64_stop; }
%test "deaf" { SOCK64D=$BATS_TEST_TMPDIR/deaf sock64_start; sock64_stop; }
%test "orphan" { SOCK64D=$BATS_TEST_TMPDIR/orphan sock64_start; sock64_stop; }
B
	assert_failure
	assert_line "not ok 1 zombie"
	assert_kv problems "left zombie children: [0-9]+"
	assert_line "not ok 2 exit3"
	assert_kv problems "exit status 3 after SIGTERM"
	assert_line "not ok 3 deaf"
	assert_line "# -- sock64_stop: sock64d ignored SIGTERM for 1 s --"
	assert_line "not ok 4 orphan"
	assert_kv problems "child [0-9]+ outlived it"
	# Only the orphan's child is left over: the deaf server was killed.
	assert_line "leftover processes: 1"
}

@test "sock64_stop refuses a server it cannot wait for, started in setup_file" {
	inner <<'B'
setup_file() { sock64_start; }
teardown_file() { sock64_stop; }
%test "serves" { assert_sock64_reply a a; }
%test "stopped in the test" { sock64_stop; }
B
	assert_failure
	assert_line "ok 1 serves"
	assert_line "not ok 2 stopped in the test"
	assert_line "# -- sock64_stop: sock64d is not a child of this shell --"
	refute_output --partial "leftover processes"
}

@test "the kit works under bats --jobs 2, tests of one file in parallel" {
	inner --jobs 2 --no-parallelize-across-files <<'B'
setup() { sock64_start -- tr a-z A-Z; }
teardown() { sock64_stop; }
%test "one" { assert_sock64_reply one ONE; }
%test "two" { assert_sock64_reply two TWO; }
%test "three" { assert_sock64_closed --raw < <(sock64_header x); }
%test "four" { run -0 sock64_send a b; assert_output $'A\nB'; }
B
	assert_success
	assert_line "ok 4 four"
	refute_output --partial "leftover processes"
}

@test "the kit works under bats --jobs 2 across files (GNU parallel)" {
	command -v parallel >/dev/null ||
	    missing "GNU parallel is not installed (package parallel)"
	inner <<'B'
setup() { sock64_start_unix; }
teardown() { sock64_stop; }
%test "a" { assert_sock64_reply a a; }
%test "b" { assert_sock64_reply b b; }
B
	cp "$BATS_TEST_TMPDIR/inner.bats" "$BATS_TEST_TMPDIR/second.bats"
	run env -u SOCK64D_PID "$PYTHON3" "$BATS_TEST_DIRNAME/subreaper.py" \
	    "${BATS:-bats}" --tap --jobs 2 "$BATS_TEST_TMPDIR/inner.bats" \
	    "$BATS_TEST_TMPDIR/second.bats"
	assert_success
	assert_line "1..4"
	assert_equal "$(grep -c '^ok ' <<<"$output")" 4
	refute_output --partial "leftover processes"
}
