#!/usr/bin/env bats
# The example services in contrib/, each under sock64d --per-connection.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	: "${TOP_SRCDIR:?make check sets TOP_SRCDIR}"
	export CONTRIB="$TOP_SRCDIR/contrib"
}

teardown() {
	daemon_stop
}

@test "contrib/upper-lines.sh: upper-cases each line and counts the connection's requests" {
	daemon_start --per-connection --handler-io=lines -- \
	    sh "$CONTRIB/upper-lines.sh"
	run -0 client hello 'two words' ""
	assert_output "$(printf '1 HELLO\n2 TWO WORDS\n3 ')"
	run -0 client again
	assert_output "1 AGAIN"
}

@test "contrib/kv.py: a store that lives as long as the connection" {
	daemon_start --per-connection -- "$PYTHON3" "$CONTRIB/kv.py"
	run -0 client 'set a 1' 'set b two words' 'get a' 'get b' keys \
	    'del a' 'get a' bogus
	assert_output "$(printf 'ok\nok\n1\ntwo words\na\nb\nok\n\nerror: set KEY VALUE, get KEY, del KEY or keys')"
	# A new connection, a new store.
	run -0 client 'get b'
	assert_output ""
}

@test "contrib/kv.py: values are binary-safe" {
	daemon_start --per-connection -- "$PYTHON3" "$CONTRIB/kv.py"
	{ printf 'set k '; head -c 5000 /dev/urandom; } >"$BATS_TEST_TMPDIR/set"
	tail -c 5000 "$BATS_TEST_TMPDIR/set" >"$BATS_TEST_TMPDIR/value"
	"$PYTHON3" - "$DAEMON_PORT" "$BATS_TEST_TMPDIR/set" \
	    >"$BATS_TEST_TMPDIR/got" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
for req in (open(sys.argv[2], "rb").read(), b"get k"):
    s.sendall(b"%-64d" % len(req) + req)
f = s.makefile("rb")
for _ in range(2):
    rep = f.read(int(f.read(64)))
sys.stdout.buffer.write(rep)
PY
	cmp "$BATS_TEST_TMPDIR/value" "$BATS_TEST_TMPDIR/got"
}
