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
	[[ $(socat -hh 2>/dev/null) == *snihost* ]] ||
	    missing "socat has no snihost option (socat 1.7.4 or later)"
	cat >"$BATS_TEST_TMPDIR/who" <<'SH'
#!/bin/sh
# The request, then the client as the program sees it; for "tls", the
# TLS session as the program sees it.
req=$(cat)
if [ "$req" = tls ]; then
	echo
	env | grep "^SSL_" | sort
else
	printf '%s %s %s %s' "$req" "$TCPREMOTEIP" "$TCPREMOTEPORT" \
	    "${PROXYREMOTEIP-none}"
fi
SH
	chmod +x "$BATS_TEST_TMPDIR/who"
	daemon_start -v --proxy-protocol v2 --proxy-from 127.0.0.1 -- \
	    "$BATS_TEST_TMPDIR/who"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
	    -subj /CN=localhost -keyout "$BATS_TEST_TMPDIR/key.pem" \
	    -out "$BATS_TEST_TMPDIR/cert.pem" 2>"$BATS_TEST_TMPDIR/openssl.log"
	cat "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem" \
	    >"$BATS_TEST_TMPDIR/sock64.pem"
	# Client certificates: "client one", which the CA file holds, and
	# "stranger", which it does not.  HAProxy asks for one and, with
	# crt-ignore-err, lets a failed one through for the handler to see.
	client_cert client1 "client one"
	client_cert stranger stranger
	cp "$BATS_TEST_TMPDIR/client1.crt" "$BATS_TEST_TMPDIR/clients-ca.pem"
	TLS_PORT=$(free_port)
	sed -e "s|127\.0\.0\.1:8443|127.0.0.1:$TLS_PORT|" \
	    -e "s|127\.0\.0\.1:8001|127.0.0.1:$DAEMON_PORT|" \
	    -e "s|/etc/haproxy/sock64\.pem|$BATS_TEST_TMPDIR/sock64.pem verify optional ca-file $BATS_TEST_TMPDIR/clients-ca.pem crt-ignore-err all|" \
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

# client_cert NAME CN: a self-signed certificate with common name CN, as
# NAME.crt, and it with its key as NAME.pem.
client_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 1 -subj "/CN=$2" -keyout "$BATS_TEST_TMPDIR/$1.key" \
	    -out "$BATS_TEST_TMPDIR/$1.crt" 2>>"$BATS_TEST_TMPDIR/openssl.log"
	cat "$BATS_TEST_TMPDIR/$1.crt" "$BATS_TEST_TMPDIR/$1.key" \
	    >"$BATS_TEST_TMPDIR/$1.pem"
}

# tls_client FROM [OPTION...]: sends stdin over TLS from address FROM,
# verifying the certificate, with socat's OPENSSL options OPTION..., and
# prints what comes back until the server closes.
tls_client() {
	local opts="bind=$1,cafile=$BATS_TEST_TMPDIR/cert.pem,commonname=localhost"
	shift
	[ $# -eq 0 ] || opts+=,$(IFS=,; echo "$*")
	socat -t 10 -T 20 - "OPENSSL:127.0.0.1:$TLS_PORT,$opts"
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

@test "the handler sees the client's TLS session as mod_ssl's SSL_ variables" {
	frame tls >"$BATS_TEST_TMPDIR/req"
	run -0 tls_client 127.0.0.2 "cert=$BATS_TEST_TMPDIR/client1.pem" \
	    snihost=sock64.example <"$BATS_TEST_TMPDIR/req"
	assert_line "SSL_CLIENT_S_DN_CN=client one"
	assert_line SSL_CLIENT_VERIFY=SUCCESS
	assert_line SSL_TLS_SNI=sock64.example
	assert_line --regexp '^SSL_PROTOCOL=TLSv1\.[23]$'
	assert_line --regexp '^SSL_CIPHER=[A-Z0-9_-]+$'
	# The server's certificate: RSA 2048, signed with SHA-256.
	assert_line --regexp '^SSL_SERVER_A_KEY=RSA2048$'
	assert_line --regexp '^SSL_SERVER_A_SIG=RSA-SHA256$'
	run -1 grep -E "warning" "$DAEMON_LOG"
}

@test "a certificate that fails verification is FAILED, none is NONE" {
	frame tls >"$BATS_TEST_TMPDIR/req"
	run -0 tls_client 127.0.0.2 "cert=$BATS_TEST_TMPDIR/stranger.pem" \
	    <"$BATS_TEST_TMPDIR/req"
	assert_line SSL_CLIENT_S_DN_CN=stranger
	assert_line SSL_CLIENT_VERIFY=FAILED
	run -0 tls_client 127.0.0.2 nosni=1 <"$BATS_TEST_TMPDIR/req"
	assert_line SSL_CLIENT_VERIFY=NONE
	refute_line --partial SSL_CLIENT_S_DN_CN
	# A client that sends no SNI gets no SSL_TLS_SNI.
	refute_line --partial SSL_TLS_SNI
	assert_line --regexp '^SSL_PROTOCOL=TLSv1\.[23]$'
}
