#!/usr/bin/env bats
# Observability: the summary line of each connection, the counts on
# SIGUSR1 and in systemd's STATUS=, and --metrics-file, checked with
# promtool and served by a real node_exporter.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	daemon_stop
	release_held
	if [ -n "${EXPORTER_PID:-}" ]; then
		kill "$EXPORTER_PID" 2>/dev/null || true
		wait "$EXPORTER_PID" || true
	fi
}

# summary N: the Nth summary line of the daemon's log (1 is the first).
summary() {
	grep ': info: peer=' "$DAEMON_LOG" | sed -n "${1}p"
}

# mix: 3 connections of two requests each, a malformed header, and one
# connection refused by the rule for 127.0.0.2; returns once the daemon
# has logged all five.
mix() {
	local k
	for k in 1 2 3; do
		run -0 client -t 10 hello world!
		assert_output "hello
world!"
	done
	run -0 raw --timeout 10 < <(header 12x)
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/fromclient.py" \
	    --port "$DAEMON_PORT" --bind 127.0.0.2
	assert_output "served 0 refused 1"
	wait_until 10 eval '[ "$(grep -c ": info: peer=" "$DAEMON_LOG")" -eq 5 ]'
}

@test "a served connection ends with one summary line of key=value pairs" {
	daemon_start
	run -0 client -t 10 hello world!
	wait_until 10 eval '[ -n "$(summary 1)" ]'
	run -0 summary 1
	assert_output --regexp "^sock64d\[[0-9]+\]: info: peer=127\.0\.0\.1:[0-9]+ listener=127\.0\.0\.1:$DAEMON_PORT duration_ms=[0-9]+ requests=2 bytes_in=139 bytes_out=139 end=eof$"
	# -q leaves it out; -v adds the per-frame lines.
	daemon_stop
	daemon_start -q
	run -0 client -t 10 quiet
	daemon_stop_by TERM 10
	run -1 grep "peer=" "$DAEMON_LOG"
	daemon_start -v
	run -0 client -t 10 loud
	wait_until 10 eval '[ -n "$(summary 1)" ]'
	run -0 grep -c "request 1, 4 bytes" "$DAEMON_LOG"
}

@test "the summary names how a connection failed: malformed, oversize, truncated" {
	daemon_start -m 10
	run -0 raw --timeout 10 < <(header 12x)
	run -0 raw --timeout 10 < <(header 11)
	run -0 raw --timeout 10 < <(frame ok; header 5; printf abc)
	wait_until 10 eval '[ -n "$(summary 3)" ]'
	run -0 grep -c ' requests=0 bytes_in=64 bytes_out=0 end=malformed$' "$DAEMON_LOG"
	assert_output 1
	run -0 grep -c ' requests=0 bytes_in=64 bytes_out=0 end=oversize$' "$DAEMON_LOG"
	assert_output 1
	run -0 grep -c ' requests=1 bytes_in=133 bytes_out=66 end=truncated$' "$DAEMON_LOG"
	assert_output 1
}

@test "the summary names each time-out: frame, idle, write and the handler's" {
	daemon_start --frame-timeout 1 --idle-timeout 2 --write-timeout 1 -m 4M
	# Half a frame, then nothing.
	hold_client "$DAEMON_PORT"
	wait_until 20 grep -q ' end=frame-timeout$' "$DAEMON_LOG"
	# A request, then nothing.
	run -0 raw --no-shutdown --timeout 20 < <(frame idle)
	wait_until 20 grep -q ' requests=1 .* end=idle-timeout$' "$DAEMON_LOG"
	# Replies nobody reads.
	"$PYTHON3" - "$DAEMON_PORT" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
frame = b"%-64d" % (1 << 20) + b"x" * (1 << 20)
try:
    for _ in range(16):
        s.sendall(frame)
except (socket.timeout, OSError):
    pass
time.sleep(8)
PY
	local writer=$!
	wait_until 20 grep -q ' end=write-timeout$' "$DAEMON_LOG"
	kill "$writer"
	wait "$writer" || true
	daemon_stop
	daemon_start --handler-timeout 1 -- sleep 10
	run -1 --separate-stderr client -t 20 slow
	wait_until 20 grep -q 'end=handler-failed' "$DAEMON_LOG"
	run -0 grep -E ' requests=1 bytes_in=68 bytes_out=0 end=handler-failed handler_failure=timeout$' "$DAEMON_LOG"
}

@test "a refused connection's summary says why" {
	daemon_start --deny 127.0.0.2 --max-rate-per-source 1/60
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/fromclient.py" \
	    --port "$DAEMON_PORT" --bind 127.0.0.2
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/fromclient.py" \
	    --port "$DAEMON_PORT" --bind 127.0.0.3 --count 2
	assert_output "served 1 refused 1"
	wait_until 10 grep -q 'end=refused-rate' "$DAEMON_LOG"
	run -0 grep -E "info: peer=127\.0\.0\.2:[0-9]+ listener=127\.0\.0\.1:$DAEMON_PORT duration_ms=0 requests=0 bytes_in=0 bytes_out=0 end=refused-rule$" "$DAEMON_LOG"
	run -0 grep -E "info: peer=127\.0\.0\.3:[0-9]+ listener=127\.0\.0\.1:$DAEMON_PORT duration_ms=0 requests=0 bytes_in=0 bytes_out=0 end=refused-rate$" "$DAEMON_LOG"
}

@test "SIGUSR1 logs every count in one line, exact after a known mix" {
	daemon_start --deny 127.0.0.2
	mix
	kill -USR1 "$DAEMON_PID"
	wait_until 10 grep -q 'info: counts: ' "$DAEMON_LOG"
	run -0 grep 'info: counts: ' "$DAEMON_LOG"
	assert_output --partial " counts: active=0 accepted=5 served=4 refused_rule=1 refused_rate=0 refused_source=0 requests=6 bytes_in=$((3 * (64 * 2 + 11) + 64)) bytes_out=$((3 * (64 * 2 + 11))) handler_runs=0 "
	assert_output --partial " end_eof=3 end_terminated=0 end_malformed=1 end_oversize=0 "
	assert_output --partial " end_frame_timeout=0 end_idle_timeout=0 "
	# It is one line, and the server goes on.
	run -0 grep -c 'counts: ' "$DAEMON_LOG"
	assert_output 1
	run -0 client -t 10 after
	assert_output after
}

# metric NAME: the value of one series in the metrics file.
metric() {
	awk -v n="$1" '$1 == n { print $2 }' "$BATS_TEST_TMPDIR/sock64d.prom"
}

@test "--metrics-file holds the counts in Prometheus' text format, exact after a known mix" {
	daemon_start --deny 127.0.0.2 --metrics-file "$BATS_TEST_TMPDIR/sock64d.prom"
	wait_until 10 test -s "$BATS_TEST_TMPDIR/sock64d.prom"
	mix
	# Written at most once a second: wait for the last of the mix.
	wait_until 10 eval '[ "$(metric sock64d_connections_accepted_total)" = 5 ] &&
	    [ "$(metric '"'"'sock64d_connections_ended_total{reason="malformed"}'"'"')" = 1 ]'
	assert_equal "$(metric sock64d_requests_total)" 6
	assert_equal "$(metric sock64d_connections_served_total)" 4
	assert_equal "$(metric 'sock64d_connections_refused_total{reason="rule"}')" 1
	assert_equal "$(metric 'sock64d_connections_refused_total{reason="rate"}')" 0
	assert_equal "$(metric 'sock64d_connections_ended_total{reason="eof"}')" 3
	assert_equal "$(metric 'sock64d_connections_ended_total{reason="malformed"}')" 1
	assert_equal "$(metric sock64d_received_bytes_total)" $((3 * 139 + 64))
	assert_equal "$(metric sock64d_sent_bytes_total)" $((3 * 139))
	assert_equal "$(metric sock64d_connections_active)" 0
	# Every series has its HELP and TYPE; counters end in _total.
	run -0 grep -c '^# TYPE sock64d_[a-z_]* counter$' "$BATS_TEST_TMPDIR/sock64d.prom"
	run -1 grep -E '^# TYPE sock64d_[a-z_]*[^l] counter$' "$BATS_TEST_TMPDIR/sock64d.prom"
	# No temporary file is left beside it.
	run -0 ls "$BATS_TEST_TMPDIR"
	run -1 grep 'sock64d.prom.' <<<"$output"
	daemon_stop_by TERM 10
	assert_equal "$(metric sock64d_connections_active)" 0
}

# need COMMAND PACKAGE: COMMAND is installed, or the test is missing it.
need() {
	command -v "$1" >/dev/null ||
	    missing "$1 is not installed (package $2)"
}

@test "promtool accepts the metrics file" {
	need promtool prometheus
	daemon_start --deny 127.0.0.2 --metrics-file "$BATS_TEST_TMPDIR/sock64d.prom"
	mix
	wait_until 10 eval '[ "$(metric sock64d_requests_total)" = 6 ]'
	run -0 promtool check metrics <"$BATS_TEST_TMPDIR/sock64d.prom"
}

@test "a real node_exporter serves the sock64d series from the textfile directory" {
	local exporter=/usr/bin/prometheus-node-exporter
	[ -x "$exporter" ] || need prometheus-node-exporter prometheus-node-exporter
	need curl curl
	mkdir "$BATS_TEST_TMPDIR/textfile"
	daemon_start --metrics-file "$BATS_TEST_TMPDIR/textfile/sock64d.prom"
	run -0 client -t 10 counted
	local port
	port=$(free_port)
	"$exporter" --web.listen-address="127.0.0.1:$port" \
	    --collector.disable-defaults --collector.textfile \
	    --collector.textfile.directory="$BATS_TEST_TMPDIR/textfile" \
	    2>"$BATS_TEST_TMPDIR/exporter.log" &
	EXPORTER_PID=$!
	wait_until 20 eval "curl -fsS 'http://127.0.0.1:$port/metrics' | grep -q '^sock64d_requests_total 1$'"
	run -0 curl -fsS "http://127.0.0.1:$port/metrics"
	assert_line 'sock64d_requests_total 1'
	assert_line --regexp '^sock64d_connections_ended_total\{reason="eof"\} 1$'
	# The exporter read the file without an error.
	assert_line 'node_textfile_scrape_error 0'
}

@test "a program per connection has its summary too: requests, bytes, how it failed" {
	daemon_start --per-connection --handler-io lines -- \
	    sh -c 'while read -r q; do printf "%s!\n" "$q"; done'
	run -0 client -t 10 one two three
	assert_output "one!
two!
three!"
	wait_until 10 grep -q 'end=eof' "$DAEMON_LOG"
	run -0 grep -E ' requests=3 bytes_in=203 bytes_out=206 end=eof$' "$DAEMON_LOG"
	daemon_stop
	daemon_start --per-connection --handler-io lines -- sh -c 'read -r q; exit 3'
	run -1 --separate-stderr client -t 10 doomed
	wait_until 10 grep -q 'end=handler-failed' "$DAEMON_LOG"
	run -0 grep -E ' requests=0 .* end=handler-failed handler_failure=exit$' "$DAEMON_LOG"
	daemon_stop
	daemon_start --per-connection -- printf 'not a frame header at all, no; not at all, really, not at all!'
	run -1 --separate-stderr client -t 10 doomed
	wait_until 10 grep -q 'end=handler-failed' "$DAEMON_LOG"
	run -0 grep -E ' end=handler-failed handler_failure=other$' "$DAEMON_LOG"
}
