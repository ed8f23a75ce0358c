# bats-sock64: talk to the server under test.
#
# Copyright (c) 2026 The sock64 authors.  See the file COPYING.

# sock64_send [CLIENT_OPTION]... [MESSAGE]...: the sock64 client,
# connected to the server under test (SOCK64D_ADDR) with a time limit of
# SOCK64_TIMEOUT (10) seconds: each MESSAGE is one request on one
# connection, and each reply is printed followed by a newline.  Run it
# with bats' run to get the replies in $output and $lines.
sock64_send() {
	local client timeout
	_sock64_need_server sock64_send || return
	client=$(_sock64_client) || return
	timeout=$(_sock64_whole "${SOCK64_TIMEOUT:-10}") || return
	"$client" -c "$SOCK64D_ADDR" -t "$timeout" "$@"
}

# sock64_send_file REQUEST_FILE REPLY_FILE: sends the bytes of
# REQUEST_FILE as one request and writes the reply's payload to
# REPLY_FILE exactly as it came (binary data, trailing newlines).
sock64_send_file() {
	if (($# != 2)); then
		echo "usage: sock64_send_file REQUEST_FILE REPLY_FILE" >&2
		return 2
	fi
	sock64_send -n <"$1" >"$2"
}

# sock64_send_raw [--close]: sends the bytes on standard input as they
# are, frame or not, on a new connection, and prints what comes back
# until the server closes the connection.  Status 0 when it did, 1 when
# it was still open after SOCK64_TIMEOUT (10) seconds.  With --close,
# closes the connection once the bytes are sent and reads nothing (a
# client gone in mid-frame).  TCP is bash's own /dev/tcp; a unix socket
# needs python3.
sock64_send_raw() {
	local close=0 timeout addr host port
	if [ "${1:-}" = --close ]; then
		close=1
		shift
	fi
	if (($# != 0)); then
		echo "usage: sock64_send_raw [--close] <BYTES" >&2
		return 2
	fi
	_sock64_need_server sock64_send_raw || return
	timeout=${SOCK64_TIMEOUT:-10}
	_sock64_us "$timeout" >/dev/null || return
	addr=$SOCK64D_ADDR
	if [[ $addr == unix:* ]]; then
		_sock64_raw_unix "${addr#unix:}" "$close" "$timeout"
		return
	fi
	host=${addr%:*}
	port=${addr##*:}
	host=${host#[}
	host=${host%]}
	_sock64_raw_tcp "$host" "$port" "$close" "$timeout"
}

# sock64_frame PAYLOAD: prints PAYLOAD as a request frame: its length in
# bytes padded with spaces to 64, then PAYLOAD.
sock64_frame() {
	local LC_ALL=C
	printf '%-64s%s' "${#1}" "$1"
}

# sock64_header TEXT: prints TEXT padded with spaces to 64 bytes, as a
# header, well-formed or not.
sock64_header() {
	local LC_ALL=C
	printf '%-64s' "$1"
}

# _sock64_raw_tcp HOST PORT CLOSE TIMEOUT: sock64_send_raw over TCP.
# Two background copies, one each way, bounded by the deadline; bash
# cannot half-close, so the writer's end stays open until the end.
_sock64_raw_tcp() {
	local fd in writer reader rc=0
	if ! exec {fd}<>"/dev/tcp/$1/$2"; then
		echo "sock64_send_raw: cannot connect to $1 port $2" >&2
		return 1
	fi
	exec {in}<&0
	cat <&"$in" >&"$fd" 2>/dev/null &
	writer=$!
	exec {in}<&-
	if (($3)); then
		sock64_wait_until "$4" _sock64_gone "$writer" || rc=1
		_sock64_reap "$writer"
		exec {fd}>&-
		((rc == 0)) ||
		    echo "sock64_send_raw: the server did not read the bytes within $4 s" >&2
		return "$rc"
	fi
	cat <&"$fd" 2>/dev/null &
	reader=$!
	exec {fd}>&-
	sock64_wait_until "$4" _sock64_gone "$reader" || rc=1
	_sock64_reap "$reader"
	_sock64_reap "$writer"
	((rc == 0)) ||
	    echo "sock64_send_raw: the connection was still open after $4 s" >&2
	return "$rc"
}

# _sock64_raw_unix PATH CLOSE TIMEOUT: the same over a unix socket.
_sock64_raw_unix() {
	if ! command -v python3 >/dev/null; then
		echo "sock64_send_raw: a unix socket needs python3 (bash has only TCP)" >&2
		return 2
	fi
	python3 -c '
import socket, sys, time
path, close, timeout = sys.argv[1], sys.argv[2] == "1", float(sys.argv[3])
late = "sock64_send_raw: the server did not read the bytes within %s s"
open_ = "sock64_send_raw: the connection was still open after %s s"
data = sys.stdin.buffer.read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(path)
except OSError as e:
    sys.exit("sock64_send_raw: cannot connect to %s: %s" % (path, e.strerror))
s.settimeout(timeout)
end = time.monotonic() + timeout
try:
    s.sendall(data)
except socket.timeout:
    sys.exit(late % sys.argv[3])
except OSError:
    pass
if close:
    sys.exit(0)
out = sys.stdout.buffer
while True:
    left = end - time.monotonic()
    if left <= 0:
        sys.exit(open_ % sys.argv[3])
    s.settimeout(left)
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    except OSError:
        break
    if not chunk:
        break
    out.write(chunk)
    out.flush()
' "$1" "$2" "$3"
}

# _sock64_reap PID: stops a helper process and waits for it.
_sock64_reap() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# _sock64_need_server FUNCTION: fails unless a server was started.
_sock64_need_server() {
	[ -n "${SOCK64D_ADDR:-}" ] && return 0
	echo "$1: no server: call sock64_start first (or set SOCK64D_ADDR)" >&2
	return 2
}

# _sock64_client: the sock64 client, from SOCK64 or as sock64d is found.
_sock64_client() {
	_sock64_program sock64 "${SOCK64:-}" && return 0
	echo "bats-sock64: sock64 not found: put it in PATH or set SOCK64" >&2
	return 1
}
