#!/usr/bin/env bats
# Admission before fork: --allow, --deny and --rules (reloaded on
# SIGHUP), --max-rate, --max-rate-per-source and --source-prefix.
# Distinct IPv4 sources come from 127.0.0.2, 127.0.0.3...: the whole of
# 127/8 is loopback.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	daemon_stop
	release_held
}

# from ADDR [ARGS...]: fromclient.py from ADDR to the daemon.
from() {
	local addr=$1
	shift
	"$PYTHON3" "$BATS_TEST_DIRNAME/fromclient.py" --port "$DAEMON_PORT" \
	    --bind "$addr" "$@"
}

# pclient ARGS...: proxyclient.py against the daemon.
pclient() {
	"$PYTHON3" "$BATS_TEST_DIRNAME/proxyclient.py" --port "$DAEMON_PORT" "$@"
}

@test "--deny refuses its block, logs the peer and the rule, serves the rest" {
	daemon_start --deny 127.0.0.2
	run -0 from 127.0.0.2
	assert_output "served 0 refused 1"
	run -0 from 127.0.0.3
	assert_output "served 1 refused 0"
	run -0 grep -E "warning: 127\.0\.0\.2:[0-9]+: refused on 127\.0\.0\.1:$DAEMON_PORT by the rule 'deny 127\.0\.0\.2' \(--deny\)$" "$DAEMON_LOG"
}

@test "with an --allow rule, a peer no rule matches is refused" {
	daemon_start --allow 127.0.0.3
	run -0 from 127.0.0.3
	assert_output "served 1 refused 0"
	run -0 from 127.0.0.2
	assert_output "served 0 refused 1"
	run -0 grep -E "127\.0\.0\.2:[0-9]+: refused on 127\.0\.0\.1:$DAEMON_PORT: no allow rule matches it$" "$DAEMON_LOG"
}

@test "the most specific block decides, and deny wins a tie" {
	daemon_start --allow 127.0.0.0/8 --deny 127.0.0.0/24 \
	    --allow 127.0.0.3 --allow 127.0.2.0/24 --deny 127.0.2.0/24
	run -0 from 127.0.0.3
	assert_output "served 1 refused 0"
	run -0 from 127.0.0.2
	assert_output "served 0 refused 1"
	run -0 from 127.0.1.1
	assert_output "served 1 refused 0"
	run -0 from 127.0.2.1
	assert_output "served 0 refused 1"
	run -0 grep -F "by the rule 'deny 127.0.0.0/24' (--deny)" "$DAEMON_LOG"
	run -0 grep -F "by the rule 'deny 127.0.2.0/24' (--deny)" "$DAEMON_LOG"
}

@test "IPv4 rules hold on a dual-stack listener, and IPv6 rules for IPv6 peers" {
	have_ipv6 || skip "this machine has no IPv6 loopback (::1)"
	daemon_start_with -l :0 --deny 127.0.0.2 --deny ::ffff:127.0.0.3/128
	# 127.0.0.2 reaches the dual-stack socket as ::ffff:127.0.0.2.
	run -0 from 127.0.0.2
	assert_output "served 0 refused 1"
	run -0 from 127.0.0.3
	assert_output "served 0 refused 1"
	run -0 from 127.0.0.4
	assert_output "served 1 refused 0"
	run -0 grep -F "by the rule 'deny 127.0.0.3' (--deny)" "$DAEMON_LOG"
	run -0 from ::1 --host ::1
	assert_output "served 1 refused 0"
	daemon_stop
	daemon_start_with -l :0 --deny ::1 --deny ::/0
	run -0 from ::1 --host ::1
	assert_output "served 0 refused 1"
	# ::/0 is every IPv6 address, and no IPv4 one.
	run -0 from 127.0.0.2
	assert_output "served 1 refused 0"
	run -0 grep -F "by the rule 'deny ::1' (--deny)" "$DAEMON_LOG"
}

@test "unix peers: the rule for their uid beats the rule for every unix peer" {
	local sock="$BATS_TEST_TMPDIR/s.sock" me
	me=$(id -u)
	daemon_start_with -l "unix:$sock" --deny unix --allow "uid:$me"
	run -0 "$SOCK64" -c "unix:$sock" -t 5 mine
	assert_output mine
	daemon_stop
	daemon_start_with -l "unix:$sock" --allow "uid:$((me + 1))"
	run -1 --separate-stderr "$SOCK64" -c "unix:$sock" -t 5 other
	run -0 grep -E "uid $me: refused on unix:$sock: no allow rule matches it$" "$DAEMON_LOG"
	daemon_stop
	daemon_start_with -l "unix:$sock" --deny unix
	run -1 --separate-stderr "$SOCK64" -c "unix:$sock" -t 5 other
	run -0 grep -F "refused on unix:$sock by the rule 'deny unix' (--deny)" "$DAEMON_LOG"
}

@test "SIGHUP re-reads --rules for new connections; one already accepted keeps running" {
	local rules="$BATS_TEST_TMPDIR/rules"
	printf '# who may connect\nallow 127.0.0.0/8\n\n' >"$rules"
	daemon_start -v --rules "$rules"
	# Accepted under the old rules: half a frame, the rest after the reload.
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$DAEMON_PORT" \
	    --delay 3 --chunk 40 >"$BATS_TEST_TMPDIR/held.out" \
	    < <(frame "accepted before") &
	local held=$!
	wait_until 5 connected_children 1
	printf 'allow 127.0.0.0/8\ndeny 127.0.0.1   # now refused\n' >"$rules"
	kill -HUP "$DAEMON_PID"
	wait_until 5 grep -q "rules file $rules reloaded: 2 rules in force" "$DAEMON_LOG"
	run -0 from 127.0.0.1
	assert_output "served 0 refused 1"
	run -0 from 127.0.0.2
	assert_output "served 1 refused 0"
	wait "$held"
	run -0 cat "$BATS_TEST_TMPDIR/held.out"
	assert_output --partial "accepted before"
	run -0 grep -F "by the rule 'deny 127.0.0.1' ($rules:2)" "$DAEMON_LOG"
}

@test "a rules file that breaks on SIGHUP keeps the rules in force" {
	local rules="$BATS_TEST_TMPDIR/rules"
	printf 'deny 127.0.0.2\n' >"$rules"
	daemon_start --rules "$rules"
	printf 'deny 127.0.0.3\nallow 127.0.0.0/33\n' >"$rules"
	kill -HUP "$DAEMON_PID"
	wait_until 5 grep -q "line 2" "$DAEMON_LOG"
	run -0 grep -F "warning: rules file $rules, line 2: prefix length out of range; the rules in force stay" "$DAEMON_LOG"
	run -0 from 127.0.0.2
	assert_output "served 0 refused 1"
	run -0 from 127.0.0.3
	assert_output "served 1 refused 0"
	# A file gone is the same: the old rules stay.
	rm "$rules"
	kill -HUP "$DAEMON_PID"
	wait_until 5 grep -q "No such file" "$DAEMON_LOG"
	run -0 from 127.0.0.2
	assert_output "served 0 refused 1"
	daemon_stop_by TERM 10
}

@test "a bad rule or rules file at start is a usage error naming the line" {
	printf 'allow 10.0.0.0/8\n\nallw 10.1.0.0/16\n' >"$BATS_TEST_TMPDIR/bad"
	run -2 --separate-stderr "$SOCK64D" -l 127.0.0.1:0 --rules "$BATS_TEST_TMPDIR/bad"
	assert_equal "$stderr" "sock64d: rules file $BATS_TEST_TMPDIR/bad, line 3: not 'allow BLOCK' or 'deny BLOCK' (see sock64d --help)"
	run -2 --separate-stderr "$SOCK64D" -l 127.0.0.1:0 --rules "$BATS_TEST_TMPDIR/none"
	assert_equal "$stderr" "sock64d: rules file $BATS_TEST_TMPDIR/none: No such file or directory (see sock64d --help)"
	run -2 --separate-stderr "$SOCK64D" --deny 10.0.0.0/33
	assert_equal "$stderr" "sock64d: deny '10.0.0.0/33': prefix length out of range (ADDR, ADDR/BITS, unix or uid:N) (see sock64d --help)"
	run -2 --separate-stderr "$SOCK64D" --allow uid:x
	assert_equal "$stderr" "sock64d: allow 'uid:x': not a uid (uid:N, N a number) (ADDR, ADDR/BITS, unix or uid:N) (see sock64d --help)"
	run -2 --separate-stderr "$SOCK64D" -i --deny 10.0.0.1
	assert_equal "$stderr" "sock64d: --allow, --deny, --rules and the rates are for the accept loop, not --inetd (see sock64d --help)"
}

@test "bad --max-rate, --max-rate-per-source and --source-prefix values are usage errors" {
	local bad
	for bad in 0 x 5/0 5/3601 5/ /5 1000001 5/1/1; do
		run -2 --separate-stderr "$SOCK64D" --max-rate "$bad"
		assert_output ""
		[[ $stderr == "sock64d: max-rate '$bad' is "*"(N or N/SEC: N connections, 1-1000000, in SEC seconds, 1-3600) (see sock64d --help)" ]]
		run -2 --separate-stderr "$SOCK64D" --max-rate-per-source "$bad"
		[[ $stderr == "sock64d: max-rate-per-source '$bad' is "* ]]
	done
	for bad in 0 33 24,0 24,129 x 24,x; do
		run -2 --separate-stderr "$SOCK64D" --source-prefix "$bad"
		[[ $stderr == "sock64d: source-prefix '$bad' is "*"(V4BITS, 1-32, or V4BITS,V6BITS, V6BITS 1-128) (see sock64d --help)" ]]
	done
}

@test "--max-rate: a burst over the rate is served late, none refused, and others are served too" {
	daemon_start --max-rate 4/1
	local start=$EPOCHREALTIME
	from 127.0.0.2 --count 12 --deadline 40 >"$BATS_TEST_TMPDIR/burst" &
	local burst=$!
	run -0 from 127.0.0.3 --count 2 --deadline 40
	assert_output "served 2 refused 0"
	wait "$burst"
	run -0 cat "$BATS_TEST_TMPDIR/burst"
	assert_output "served 12 refused 0"
	# 14 at 4 a second: the last waited for at least the third second.
	(($(seconds_to_us "$EPOCHREALTIME") - $(seconds_to_us "$start") >= 2000000))
	run -0 grep -E "info: 4 connections in 1 s \(--max-rate\): accepting again in [0-9]+ ms; clients wait meanwhile" "$DAEMON_LOG"
	run -1 grep "refused" "$DAEMON_LOG"
	daemon_stop_by TERM 10
	run -0 grep -E "accepting waited [1-9][0-9]* times for --max-rate" "$DAEMON_LOG"
}

@test "--max-rate-per-source refuses only the greedy source" {
	daemon_start --max-rate-per-source 3/60
	run -0 from 127.0.0.2 --count 5
	assert_output "served 3 refused 2"
	run -0 from 127.0.0.3 --count 3
	assert_output "served 3 refused 0"
	run -0 grep -cE "127\.0\.0\.2:[0-9]+: refused on 127\.0\.0\.1:$DAEMON_PORT: over 3 connections in 60 s from this address \(--max-rate-per-source\)$" "$DAEMON_LOG"
	assert_output 1
	daemon_stop_by TERM 10
	run -0 grep -E "127\.0\.0\.2: refused 1 more connections in the last [0-9]+ s \(--max-rate-per-source\)$" "$DAEMON_LOG"
	run -0 grep -F "since the start: refused 0 by the rules, 2 over --max-rate-per-source, 0 over --max-per-source" "$DAEMON_LOG"
}

@test "--source-prefix 24 makes a /24 one source for the limits" {
	daemon_start --max-rate-per-source 1/60 --source-prefix 24
	run -0 from 127.0.0.2
	assert_output "served 1 refused 0"
	run -0 from 127.0.0.3
	assert_output "served 0 refused 1"
	run -0 from 127.0.1.2
	assert_output "served 1 refused 0"
	run -0 grep -E "127\.0\.0\.3:[0-9]+: refused on [^ ]+: over 1 connections in 60 s from this network \(--max-rate-per-source\)$" "$DAEMON_LOG"
}

@test "--source-prefix 32,64 makes an IPv6 /64 one source (clients named in PROXY headers)" {
	daemon_start --proxy-protocol v1 --max-rate-per-source 1/60 \
	    --source-prefix 32,64 --max-per-source 5
	run -0 pclient --header v1 --src "[2001:db8::1]:4000" --dst "[2001:db8::ff]:80" one
	assert_output one
	run -1 pclient --header v1 --src "[2001:db8::2]:4000" --dst "[2001:db8::ff]:80" two
	run -0 pclient --header v1 --src "[2001:db8:0:1::1]:4000" --dst "[2001:db8::ff]:80" three
	assert_output three
	run -0 grep -F "[2001:db8::2]:4000: refused on 127.0.0.1:$DAEMON_PORT: over 1 connections in 60 s from this network (--max-rate-per-source)" "$DAEMON_LOG"
	run -1 pclient --header v1 --src "[2001:db8::3]:4000" --dst "[2001:db8::ff]:80" four
	daemon_stop_by TERM 10
	run -0 grep -F "2001:db8::/64: refused 1 more connections in the last" "$DAEMON_LOG"
}

@test "behind --proxy-protocol, rules judge the balancer at accept and the client in the header" {
	daemon_start --proxy-protocol v1 --deny 192.0.2.0/24
	run -1 pclient --header v1 --src 192.0.2.7:4000 refused
	run -0 grep -E "192\.0\.2\.7:4000: refused on 127\.0\.0\.1:$DAEMON_PORT by the rule 'deny 192\.0\.2\.0/24' \(--deny\)$" "$DAEMON_LOG"
	run -0 pclient --header v1 --src 198.51.100.9:4000 served
	assert_output served
	daemon_stop
	daemon_start --proxy-protocol v1 --deny 127.0.0.2
	run -1 pclient --header v1 --bind 127.0.0.2 --src 198.51.100.9:4000 balancer
	run -0 grep -E "127\.0\.0\.2:[0-9]+: refused on [^ ]+ by the rule 'deny 127\.0\.0\.2'" "$DAEMON_LOG"
	run -0 pclient --header v1 --bind 127.0.0.3 --src 198.51.100.9:4000 other
	assert_output other
}

@test "a flood of refused connections makes a bounded number of log lines" {
	daemon_start --deny 127.0.0.0/24
	local k pids=()
	for k in 2 3 4 5; do
		from "127.0.0.$k" --count 100 --deadline 50 \
		    >"$BATS_TEST_TMPDIR/flood.$k" &
		pids+=($!)
	done
	wait_pids "${pids[@]}"
	for k in 2 3 4 5; do
		run -0 cat "$BATS_TEST_TMPDIR/flood.$k"
		assert_output "served 0 refused 100"
	done
	daemon_stop_by TERM 10
	# One line at the first refusal, the rest summed up by the rule.
	run -0 grep -c "refused" "$DAEMON_LOG"
	(("$output" <= 6))
	run -0 awk '/127\.0\.0\.0\/24: refused [0-9]+ more connections/ {
		for (i = 1; i < NF; i++) if ($i == "refused") n += $(i + 1)
	} END { print n + 0 }' "$DAEMON_LOG"
	assert_output 399
	run -0 grep -F "since the start: refused 400 by the rules" "$DAEMON_LOG"
}
