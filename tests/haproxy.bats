#!/usr/bin/env bats
# The deployment of contrib/haproxy.cfg, run for real: HAProxy on a
# loopback port in front of two sock64d back ends that take the PROXY
# protocol v2 from it.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export BATS_TEST_TIMEOUT=120
}

setup() {
	HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
	if [ ! -x "$HAPROXY" ]; then
		missing "haproxy is not installed (package haproxy)"
	fi
	declare -gA BACK_PID=() BACK_PORT=()
	BACK_OPTS=(--proxy-protocol v2 --proxy-from 127.0.0.1)
	HAPROXY_PID=
	cat >"$BATS_TEST_TMPDIR/who" <<'SH'
#!/bin/sh
# The back end's name, then the client as the program sees it; the
# health check's "ping" gets its "ping".
req=$(cat)
[ "$req" = ping ] && exec printf ping
printf '%s %s %s %s' "$BACKEND" "$TCPREMOTEIP" "$TCPREMOTEPORT" \
    "${PROXYREMOTEIP-none}"
SH
	chmod +x "$BATS_TEST_TMPDIR/who"
	if [[ "$BATS_TEST_DESCRIPTION" == *requests/s* ]]; then
		back_start a
		back_start b
	else
		back_start a -- "$BATS_TEST_TMPDIR/who"
		back_start b -- "$BATS_TEST_TMPDIR/who"
	fi
	haproxy_start
}

teardown() {
	local name
	if [ -n "${HAPROXY_PID:-}" ]; then
		kill -TERM "$HAPROXY_PID" 2>/dev/null || true
		wait "$HAPROXY_PID" || true
	fi
	for name in "${!BACK_PID[@]}"; do
		back_stop "$name"
	done
}

# back_start NAME ARGS...: a back end on a free port, BACKEND=NAME.
back_start() {
	local name=$1
	shift
	BACKEND=$name "$SOCK64D" -1 -v -l 127.0.0.1:0 $(spares_option) \
	    "${BACK_OPTS[@]}" "$@" >"$BATS_TEST_TMPDIR/$name.port" \
	    2>"$BATS_TEST_TMPDIR/$name.log" 3>&- &
	BACK_PID[$name]=$!
	wait_until 5 test -s "$BATS_TEST_TMPDIR/$name.port" || true
	BACK_PORT[$name]=$(cat "$BATS_TEST_TMPDIR/$name.port")
	[ -n "${BACK_PORT[$name]}" ]
}

# back_stop NAME: SIGTERM by pid; it must exit 0.
back_stop() {
	local pid=${BACK_PID[$1]:-} status=0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid"
	wait "$pid" || status=$?
	BACK_PID[$1]=
	[ "$status" -eq 0 ]
}

# haproxy_start: contrib/haproxy.cfg with our ports and a fast check.
haproxy_start() {
	FRONT_PORT=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sed -e "s/127\.0\.0\.1:8000/127.0.0.1:$FRONT_PORT/" \
	    -e "s/127\.0\.0\.1:8001/127.0.0.1:${BACK_PORT[a]}/" \
	    -e "s/127\.0\.0\.1:8002/127.0.0.1:${BACK_PORT[b]}/" \
	    -e "s/inter 2s/inter 250ms/" \
	    "$BATS_TEST_DIRNAME/../contrib/haproxy.cfg" \
	    >"$BATS_TEST_TMPDIR/haproxy.cfg"
	HAPROXY_LOG="$BATS_TEST_TMPDIR/haproxy.log"
	"$HAPROXY" -db -f "$BATS_TEST_TMPDIR/haproxy.cfg" >"$HAPROXY_LOG" 2>&1 3>&- &
	HAPROXY_PID=$!
	wait_until 5 "$SOCK64" -t 2 -c "127.0.0.1:$FRONT_PORT" ready \
	    >/dev/null 2>&1 || { cat "$HAPROXY_LOG" >&2; return 1; }
}

front() {
	"$SOCK64" -t 10 -c "127.0.0.1:$FRONT_PORT" "$@"
}

@test "requests through haproxy spread over both back ends" {
	local k
	for ((k = 0; k < 20; k++)); do
		front "request $k"
	done >"$BATS_TEST_TMPDIR/replies"
	run -0 grep -c '^a ' "$BATS_TEST_TMPDIR/replies"
	[ "$output" -ge 5 ]
	run -0 grep -c '^b ' "$BATS_TEST_TMPDIR/replies"
	[ "$output" -ge 5 ]
	# Health checks (a PROXY header, then "ping") never warn.
	run -1 grep -E 'warning|error' "$BATS_TEST_TMPDIR/a.log" "$BATS_TEST_TMPDIR/b.log"
}

@test "the exec handler sees the real client address, and haproxy's as PROXYREMOTEIP" {
	# The client connects from 127.0.0.2; haproxy from 127.0.0.1.
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/proxyclient.py" --header none \
	    --bind 127.0.0.2 --port "$FRONT_PORT" x
	assert_output --regexp '^[ab] 127\.0\.0\.2 [0-9]+ 127\.0\.0\.1$'
	run -0 grep -E 'debug: 127\.0\.0\.2:[0-9]+: connected to .* via 127\.0\.0\.1:[0-9]+ \(PROXY v2\)' \
	    "$BATS_TEST_TMPDIR/a.log" "$BATS_TEST_TMPDIR/b.log"
}

@test "stopping one back end mid-run loses no request once haproxy marks it down" {
	"$PYTHON3" "$BATS_TEST_DIRNAME/restart-loop.py" --port "$FRONT_PORT" \
	    --stopfile "$BATS_TEST_TMPDIR/stop" --max 600 --seconds 60 \
	    --retries 3 >"$BATS_TEST_TMPDIR/loop.out" \
	    2>"$BATS_TEST_TMPDIR/loop.err" &
	local loop=$!
	wait_until 20 eval '[ "$(grep -c "request 1," "$BATS_TEST_TMPDIR/a.log")" -ge 50 ]'
	back_stop a
	wait_until 10 grep -q 'sock64d/a is DOWN' "$HAPROXY_LOG"
	# From here on every request must succeed at the first try.
	local k
	for ((k = 0; k < 50; k++)); do
		run front "after $k"
		if [ "$status" -ne 0 ]; then
			echo "request $k after the DOWN failed: $output" >&2
			cat "$HAPROXY_LOG" "$BATS_TEST_TMPDIR/b.log" >&2
			return 1
		fi
		assert_output --regexp '^b 127\.0\.0\.1 [0-9]+ 127\.0\.0\.1$'
	done
	wait "$loop"
	local sent ok failed retried
	read -r sent ok failed retried <"$BATS_TEST_TMPDIR/loop.out"
	echo "# back end stopped mid-run: $sent requests, $ok answered, $failed failed, $retried tries retried" >&3
	cat "$BATS_TEST_TMPDIR/loop.err" >&2
	[ "$failed" -eq 0 ]
	[ "$ok" -eq "$sent" ]
}

@test "a client not on --proxy-from cannot spoof an address" {
	local port=${BACK_PORT[a]}
	run -1 "$PYTHON3" "$BATS_TEST_DIRNAME/proxyclient.py" --header v2 \
	    --src 192.0.2.66:6666 --bind 127.0.0.2 --port "$port" x
	refute_output --partial 192.0.2.66
	wait_until 5 grep -q '127\.0\.0\.2:[0-9]*: malformed header' "$BATS_TEST_TMPDIR/a.log"
	run -1 grep -F 192.0.2.66 "$BATS_TEST_TMPDIR/a.log"
	# Without a header it is served as itself.
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/proxyclient.py" --header none \
	    --bind 127.0.0.2 --port "$port" y
	assert_output --regexp '^a 127\.0\.0\.2 [0-9]+ none$'
}

@test "requests/s through haproxy against direct, measured in one run" {
	local direct front_rps
	# The same server, without the PROXY protocol, straight from us.
	BACK_OPTS=()
	back_start direct
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/ratebench.py" --port "${BACK_PORT[direct]}"
	direct=$output
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/ratebench.py" --port "$FRONT_PORT"
	front_rps=$output
	echo "# requests/s, a connection per request / one connection: direct ${direct% *} / ${direct#* }, through haproxy ${front_rps% *} / ${front_rps#* }" >&3
	[ "${front_rps% *}" -gt 0 ] && [ "${direct% *}" -gt 0 ]
}
