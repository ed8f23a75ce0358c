#!/usr/bin/env bats
# Inetd mode (-i): one connection on stdin/stdout, over pipes or a
# socket, with the same protocol loop as the daemon's children.

bats_require_minimum_version 1.5.0
load helpers

# open_pipe_writer BYTES: a FIFO at $BATS_TEST_TMPDIR/fifo whose writer
# sends BYTES and then holds it open (at most 10 s) without writing.
open_pipe_writer() {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	(printf '%s' "$1"; exec sleep 10) >"$BATS_TEST_TMPDIR/fifo" &
	WRITER_PID=$!
}

close_pipe_writer() {
	kill "$WRITER_PID"
	wait "$WRITER_PID" || true
}

@test "-i answers a request read from a pipe and exits 0 at end of input" {
	frame "Hello Server!" >"$BATS_TEST_TMPDIR/req"
	run -0 --separate-stderr "$SOCK64D" -i <"$BATS_TEST_TMPDIR/req"
	assert_output "$(frame "Hello Server!")"
	# The one line is the connection's summary.
	[[ "$stderr" =~ ^sock64d\[[0-9]+\]:\ info:\ peer=stdin\ listener=inetd\ duration_ms=[0-9]+\ requests=1\ bytes_in=77\ bytes_out=77\ end=eof$ ]]
	run -0 --separate-stderr "$SOCK64D" -i -q <"$BATS_TEST_TMPDIR/req"
	assert_equal "$stderr" ""
}

@test "-i answers pipelined requests in order" {
	local i
	for ((i = 0; i < 200; i++)); do frame "message $i"; done \
	    >"$BATS_TEST_TMPDIR/req"
	"$SOCK64D" -i <"$BATS_TEST_TMPDIR/req" >"$BATS_TEST_TMPDIR/rep"
	cmp "$BATS_TEST_TMPDIR/req" "$BATS_TEST_TMPDIR/rep"
}

@test "-i with no input at all exits 0 and writes nothing" {
	run -0 --separate-stderr "$SOCK64D" -i </dev/null
	assert_output ""
	[[ "$stderr" == *" requests=0 bytes_in=0 bytes_out=0 end=eof" ]]
}

@test "-i exits 1 on a malformed header, keeping earlier replies" {
	{ frame first; header "1 3"; frame never; } >"$BATS_TEST_TMPDIR/req"
	run -1 --separate-stderr "$SOCK64D" -i <"$BATS_TEST_TMPDIR/req"
	assert_output "$(frame first)"
	[[ "$stderr" == *"sock64d["*"]: warning: stdin: malformed header (byte 3 is 0x33)"$'\n'*" requests=1 bytes_in=202 bytes_out=69 end=malformed" ]]
}

@test "-i exits 1 on a truncated frame" {
	{ header 13; printf 'Hello'; } >"$BATS_TEST_TMPDIR/req"
	run -1 --separate-stderr "$SOCK64D" -i <"$BATS_TEST_TMPDIR/req"
	assert_output ""
	[[ "$stderr" == *"truncated frame (end of input after 5 of 13 payload bytes)"$'\n'*" end=truncated" ]]
}

@test "-i honours --max-message" {
	frame "0123456789" >"$BATS_TEST_TMPDIR/req"
	run -1 --separate-stderr "$SOCK64D" -i -m 9 <"$BATS_TEST_TMPDIR/req"
	assert_output ""
	[[ "$stderr" == *"message too large (10 > 9)"$'\n'*" end=oversize" ]]
}

@test "-i exits 1 after --idle-timeout with no frame" {
	# stdin is a pipe that stays open: the time-out must end the wait.
	open_pipe_writer ""
	run -1 "$SOCK64D" -i -v --idle-timeout 1 <"$BATS_TEST_TMPDIR/fifo"
	close_pipe_writer
	[[ "$output" == *"idle timeout"* ]]
}

@test "-i exits 1 when a started frame misses --frame-timeout" {
	open_pipe_writer "13   "
	run -1 "$SOCK64D" -i --frame-timeout 1 <"$BATS_TEST_TMPDIR/fifo"
	close_pipe_writer
	[[ "$output" == *"frame timeout"* ]]
}

@test "-i logs the peer address of a TCP connection" {
	run -0 "$PYTHON3" - "$SOCK64D" "$BATS_TEST_TMPDIR/log" <<'PY'
import socket, subprocess, sys
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
c = socket.create_connection(ls.getsockname())
conn, _ = ls.accept()
with open(sys.argv[2], "wb") as log:
    p = subprocess.Popen([sys.argv[1], "-i", "-v"], stdin=conn, stdout=conn, stderr=log)
conn.close()
c.sendall(b"2".ljust(64) + b"hi"); c.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = c.recv(4096)
    if not chunk: break
    data += chunk
assert p.wait(timeout=10) == 0
print("%d %r" % (c.getsockname()[1], data))
PY
	local port=${output%% *}
	[[ "$output" == *"b'2                                                               hi'" ]]
	run -0 grep "debug: 127.0.0.1:$port: connected (inetd mode)" "$BATS_TEST_TMPDIR/log"
}

@test "-i never writes log lines into the connection when stderr is the socket" {
	# Classic inetd: fd 0, 1 and 2 are all the client connection.
	run -0 "$PYTHON3" - "$SOCK64D" <<'PY'
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1], "-i", "-v"], stdin=b, stdout=b, stderr=b)
b.close()
a.sendall(b"2".ljust(64) + b"ok" + b"1 3".ljust(64))
a.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = a.recv(4096)
    if not chunk: break
    data += chunk
rc = p.wait(timeout=10)
print("%d %r" % (rc, data))
PY
	assert_output "1 b'2                                                               ok'"
}

@test "-i with stderr on the connection: a program not found is not told to the client" {
	run -0 inetd_on_socket -- no-such-program-sock64
	assert_output "2 b''"
}

@test "-i logs a program not found where it logs, and exits 2" {
	run -2 --separate-stderr "$SOCK64D" -i -- no-such-program-sock64 \
	    </dev/null
	[[ "$stderr" == "sock64d["*"]: warning: program 'no-such-program-sock64' not found in PATH" ]]
}

@test "-i refuses --listen: it serves stdin only" {
	run -2 --separate-stderr "$SOCK64D" -i -l 127.0.0.1:0
	assert_equal "$stderr" "sock64d: --inetd serves stdin and takes no --listen (see sock64d --help)"
}

@test "-i over TCP: SIGTERM mid-reply with a request queued behind it: the 8 MiB reply arrives whole, exit 0" {
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/stopclient.py" big \
	    --inetd "$SOCK64D" --args "-m 8M" --log "$BATS_TEST_TMPDIR/log"
	assert_output "bytes 8388672 replies 1 partial 0 reset no status 0"
}

@test "-i over TCP: SIGTERM with 200 pipelined requests and a slow reader: every reply started arrives whole" {
	run -0 "$PYTHON3" "$BATS_TEST_DIRNAME/stopclient.py" many \
	    --inetd "$SOCK64D" --args "--grace 20" --log "$BATS_TEST_TMPDIR/log" \
	    --term-after 1300000
	local answered
	answered=$(grep -c ': request [0-9]*, 65536 bytes' "$BATS_TEST_TMPDIR/log")
	[[ "$output" =~ ^bytes\ [0-9]+\ replies\ ([0-9]+)\ partial\ 0\ .*\ status\ 0$ ]] ||
	    fail "cut reply or exit status: $output"
	assert_equal "${BASH_REMATCH[1]}" "$answered"
	((answered > 0 && answered < 200)) || fail "$answered answered"
}
