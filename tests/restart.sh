#!/bin/bash
# A rolling restart under load: sock64d A serves a loop of sequential
# requests (a connection each); B starts on the same port with
# --reuseport; A gets SIGTERM and exits; the loop goes on against B.
# Prints the loop's "SENT OK FAILED" line, then how many requests each
# server answered.  Meant to run in a network namespace of its own
# (unshare --net), where it may set net.ipv4.tcp_migrate_req.
# Usage: restart.sh DIR   (SOCK64D and PYTHON3 in the environment)
set -u
dir=$1
here=$(dirname "$0")
: "${SOCK64D:?}" "${PYTHON3:=python3}"

# A new namespace starts with its loopback down.
"$PYTHON3" - <<'PY' || exit 1
import fcntl, socket, struct
s = socket.socket()
req = struct.pack("16sh", b"lo", 0)
flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, req))[1]
if not flags & 1:
    fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))
PY
# Connections queued on A's listener move to B when A closes it (only
# set in a namespace of our own: the host's setting is not ours).
migrate=/proc/sys/net/ipv4/tcp_migrate_req
if [ "${OWN_NETNS:-0}" = 1 ] && [ -w "$migrate" ] && [ "${MIGRATE:-1}" = 1 ]; then
	echo 1 >"$migrate"
fi

# until SECONDS COMMAND...: polls every 10 ms.
until_ok() {
	local i n=$(($1 * 100))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.01
	done
	echo "restart.sh: timed out waiting for: $*" >&2
	return 1
}
served() {
	local n
	n=$(grep -c ': request 1,' "$dir/$1.log" 2>/dev/null)
	echo "${n:-0}"
}
at_least() {
	[ "$(served "$1")" -ge "$2" ]
}
port_printed() {
	[ -s "$dir/$1.port" ] && [ "$(readlink "/proc/$2/fd/1")" != "$dir/$1.port" ]
}

# Whatever happens, nothing started here outlives the script.
a= b= loop=
cleanup() {
	local pid
	touch "$dir/stop"
	for pid in $loop $a $b; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid"
	done
}
trap cleanup EXIT

rm -f "$dir/stop"
"$SOCK64D" -1 -v --reuseport -l 127.0.0.1:0 >"$dir/a.port" 2>"$dir/a.log" &
a=$!
until_ok 5 port_printed a "$a" || exit 1
port=$(cat "$dir/a.port")
"$PYTHON3" "$here/restart-loop.py" --port "$port" --stopfile "$dir/stop" \
    --seconds 40 >"$dir/loop.out" 2>"$dir/loop.err" &
loop=$!
until_ok 10 at_least a 100 || exit 1
"$SOCK64D" -1 -v --reuseport -l "127.0.0.1:$port" >"$dir/b.port" \
    2>"$dir/b.log" &
b=$!
until_ok 5 port_printed b "$b" || exit 1
# Both serve the port now; then A is stopped mid-stream.
until_ok 10 at_least b 50 || exit 1
kill -TERM "$a"
wait "$a"
echo "A exited with status $?" >&2
a=
before=$(served b)
until_ok 10 at_least b $((before + 200)) || exit 1
touch "$dir/stop"
wait "$loop"
loop=
kill -TERM "$b"
wait "$b"
echo "B exited with status $?" >&2
b=
head -n 1 "$dir/loop.out"
echo "a $(served a)"
echo "b $(served b)"
cat "$dir/loop.err" >&2
