#!/usr/bin/env bats
# contrib/haproxy-tls.cfg run for real: HAProxy terminates TLS, with a
# throw-away certificate, in front of a sock64d that takes the PROXY
# protocol v2 from it; clients speak TLS with socat.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export BATS_TEST_TIMEOUT=120
}

setup() {
	HAPROXY_PID=
	HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
	[ -x "$HAPROXY" ] || missing "haproxy is not installed (package haproxy)"
	command -v openssl >/dev/null ||
	    missing "openssl is not installed (package openssl)"
	command -v socat >/dev/null ||
	    missing "socat is not installed (package socat)"
	cat >"$BATS_TEST_TMPDIR/who" <<'SH'
#!/bin/sh
# The request, then the client as the program sees it.
printf '%s %s %s %s' "$(cat)" "$TCPREMOTEIP" "$TCPREMOTEPORT" \
    "${PROXYREMOTEIP-none}"
SH
	chmod +x "$BATS_TEST_TMPDIR/who"
	daemon_start -v --proxy-protocol v2 --proxy-from 127.0.0.1 -- \
	    "$BATS_TEST_TMPDIR/who"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
	    -subj /CN=localhost -keyout "$BATS_TEST_TMPDIR/key.pem" \
	    -out "$BATS_TEST_TMPDIR/cert.pem" 2>"$BATS_TEST_TMPDIR/openssl.log"
	cat "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem" \
	    >"$BATS_TEST_TMPDIR/sock64.pem"
	TLS_PORT=$(free_port)
	sed -e "s|127\.0\.0\.1:8443|127.0.0.1:$TLS_PORT|" \
	    -e "s|127\.0\.0\.1:8001|127.0.0.1:$DAEMON_PORT|" \
	    -e "s|/etc/haproxy/sock64\.pem|$BATS_TEST_TMPDIR/sock64.pem|" \
	    "$BATS_TEST_DIRNAME/../contrib/haproxy-tls.cfg" \
	    >"$BATS_TEST_TMPDIR/haproxy.cfg"
	run -0 grep -c "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/haproxy.cfg"
	HAPROXY_LOG=$BATS_TEST_TMPDIR/haproxy.log
	"$HAPROXY" -db -f "$BATS_TEST_TMPDIR/haproxy.cfg" \
	    >"$HAPROXY_LOG" 2>&1 3>&- &
	HAPROXY_PID=$!
	wait_until 10 tls_up || { cat "$HAPROXY_LOG" >&2; return 1; }
}

teardown() {
	if [ -n "${HAPROXY_PID:-}" ]; then
		kill -TERM "$HAPROXY_PID" 2>/dev/null || true
		wait "$HAPROXY_PID" || true
	fi
	daemon_stop
}

# tls_up: HAProxy accepts connections.  A plain connect, which does not
# make HAProxy connect to the back end: no TLS session ever starts.
tls_up() {
	"$PYTHON3" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2).close()' \
	    "$TLS_PORT" 2>/dev/null
}

# tls_client FROM: sends stdin over TLS from address FROM, verifying the
# certificate, and prints what comes back until the server closes.
tls_client() {
	socat -t 10 -T 20 - "OPENSSL:127.0.0.1:$TLS_PORT,bind=$1,cafile=$BATS_TEST_TMPDIR/cert.pem,commonname=localhost"
}

@test "frames over TLS through haproxy reach the handler with the real client address" {
	{ frame one; frame two; } >"$BATS_TEST_TMPDIR/req"
	run -0 tls_client 127.0.0.2 <"$BATS_TEST_TMPDIR/req"
	# Two replies, in order; the client is 127.0.0.2, the balancer
	# 127.0.0.1.
	[[ "$output" =~ ^([0-9]+)\ +one\ 127\.0\.0\.2\ ([0-9]+)\ 127\.0\.0\.1([0-9]+)\ +two\ 127\.0\.0\.2\ ([0-9]+)\ 127\.0\.0\.1$ ]] ||
	    fail "unexpected replies: $output"
	local port1=${BASH_REMATCH[2]} port2=${BASH_REMATCH[4]}
	assert_equal "$port1" "$port2"
	run -0 grep -E "debug: 127\.0\.0\.2:$port1: connected" "$DAEMON_LOG"
	run -1 grep -E "warning" "$DAEMON_LOG"
}

@test "a client that does not speak TLS gets nothing from the back end" {
	frame plain >"$BATS_TEST_TMPDIR/req"
	run "$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$TLS_PORT" \
	    --timeout 10 <"$BATS_TEST_TMPDIR/req"
	refute_output --partial plain
	run -1 grep -E "connected" "$DAEMON_LOG"
}
