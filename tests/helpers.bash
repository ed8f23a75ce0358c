# Shared set-up for the sock64 bats suites.
#
# The binaries come from the environment (make check exports SOCK64D,
# SOCK64, FIXTURES and PYTHON3), so the suites run from any directory
# and in VPATH builds.

bats_load_library bats-support
bats_load_library bats-assert

export LC_ALL=C
: "${SOCK64D:?SOCK64D must name the sock64d binary (make check sets it)}"
: "${SOCK64:?SOCK64 must name the sock64 binary (make check sets it)}"
: "${PYTHON3:=python3}"
: "${FIXTURES:=$BATS_TEST_DIRNAME/fixtures}"
# No test may hang the suite.
export BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-60}"

# daemon_start_with ARGS...: starts sock64d -1 ARGS in the background,
# waits (at most 5 s) for every port line, and exports DAEMON_PID,
# DAEMON_PORT (the first port) and DAEMON_PORTS (all, one per line).
daemon_start_with() {
	local portfile="$BATS_TEST_TMPDIR/ports" end
	DAEMON_LOG="$BATS_TEST_TMPDIR/daemon.log"
	: >"$portfile"
	"$SOCK64D" -1 "$@" >"$portfile" 2>"$DAEMON_LOG" 3>&- &
	DAEMON_PID=$!
	end=$(($(now_us) + 5000000))
	# -1 closes stdout after the last port: wait for that, not for a line.
	while (($(now_us) < end)); do
		if ! daemon_alive; then
			wait "$DAEMON_PID" || true
			DAEMON_PID=
			echo "sock64d did not start; its log:" >&2
			cat "$DAEMON_LOG" >&2
			return 1
		fi
		if [ -s "$portfile" ] && ! daemon_stdout_is_portfile; then
			break
		fi
		sleep 0.01
	done
	DAEMON_PORTS=$(cat "$portfile")
	DAEMON_PORT=$(head -n 1 "$portfile")
	if [ -z "$DAEMON_PORT" ]; then
		echo "sock64d printed no port within 5 s; its log:" >&2
		cat "$DAEMON_LOG" >&2
		return 1
	fi
	export DAEMON_PID DAEMON_PORT DAEMON_PORTS DAEMON_LOG
}

# daemon_start ARGS...: the usual case, one listener on 127.0.0.1:0.
daemon_start() {
	daemon_start_with -l 127.0.0.1:0 "$@"
}

# True while the daemon's stdout still points at the port file.
daemon_stdout_is_portfile() {
	[ "$(readlink "/proc/$DAEMON_PID/fd/1" 2>/dev/null)" = \
	    "$BATS_TEST_TMPDIR/ports" ]
}

# True while the daemon runs (a zombie does not count).
daemon_alive() {
	local state
	state=$(proc_state "$DAEMON_PID") || return 1
	[ "$state" != Z ]
}

# proc_state PID: the one-letter state of a process (R, S, Z, ...).
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	echo "${stat%% *}"
}

# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat")
	stat=${stat##*) }
	set -- $stat
	echo $(( ${12} + ${13} ))
}

# daemon_stays_idle WHAT: the daemon's parent uses at most 20 clock
# ticks (0.2 s) of CPU over 2 s of wall time: it waits, it does not
# spin.  WHAT says what it is waiting through, for the log.
daemon_stays_idle() {
	local before after
	before=$(cpu_ticks "$DAEMON_PID")
	sleep 2
	after=$(cpu_ticks "$DAEMON_PID")
	echo "parent CPU ticks over 2 s $1: $((after - before))" >&3
	[ $((after - before)) -le 20 ] ||
	    fail "the parent used $((after - before)) ticks in 2 s $1"
}

# daemon_children: the pids of the daemon's children, one per line.
daemon_children() {
	local f
	for f in /proc/"$DAEMON_PID"/task/*/children; do
		cat "$f" 2>/dev/null
	done | tr ' ' '\n' | sed '/^$/d'
}

# daemon_zombies: how many of the daemon's children are zombies.
daemon_zombies() {
	local pid n=0
	for pid in $(daemon_children); do
		[ "$(proc_state "$pid")" = Z ] && n=$((n + 1))
	done
	echo "$n"
}

# now_us: the wall clock in microseconds (bash's $EPOCHREALTIME).
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/[.,]/}"
}

# wait_until SECONDS COMMAND...: polls COMMAND every 10 ms until it
# succeeds; fails once SECONDS (a whole or decimal number) of real time
# have passed, however busy the machine is.  COMMAND is always tried
# once more at the deadline.
wait_until() {
	local end
	end=$(($(now_us) + $(seconds_to_us "$1")))
	shift
	while (($(now_us) < end)); do
		"$@" && return 0
		sleep 0.01
	done
	"$@"
}

# seconds_to_us SECONDS: "5" or "0.5" as a count of microseconds.
seconds_to_us() {
	local whole=${1%%.*} frac=
	[[ $1 == *.* ]] && frac=${1#*.}
	frac=${frac}000000
	echo $((10#${whole:-0} * 1000000 + 10#${frac:0:6}))
}

no_zombies() {
	[ "$(daemon_zombies)" -eq 0 ]
}

# daemon_fds: how many descriptors the daemon has open.
daemon_fds() {
	ls "/proc/$DAEMON_PID/fd" | wc -l
}

# daemon_stop: SIGTERM by pid, wait, and insist on a clean exit.  Fails
# the test if the daemon had died on its own, left zombie children, or
# did not exit 0 within 10 s.
daemon_stop() {
	local status=0
	[ -n "${DAEMON_PID:-}" ] || return 0
	if ! daemon_alive; then
		wait "$DAEMON_PID" || status=$?
		DAEMON_PID=
		echo "sock64d died unexpectedly (status $status); its log:" >&2
		cat "$DAEMON_LOG" >&2
		return 1
	fi
	if ! wait_until 2 no_zombies; then
		echo "sock64d left zombie children:" >&2
		daemon_children >&2
	fi
	local zombies
	zombies=$(daemon_zombies)
	# A sanitizer build reports into the log; a report is a failure.
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$DAEMON_LOG"; then
		echo "sanitizer report in the daemon's log:" >&2
		cat "$DAEMON_LOG" >&2
		zombies=sanitizer
	fi
	kill -TERM "$DAEMON_PID"
	if ! wait_until 10 eval '! daemon_alive'; then
		kill -KILL "$DAEMON_PID"
		wait "$DAEMON_PID" || true
		DAEMON_PID=
		echo "sock64d ignored SIGTERM for 10 s" >&2
		return 1
	fi
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	if [ "$status" -ne 0 ]; then
		echo "sock64d exited with status $status on SIGTERM; its log:" >&2
		cat "$DAEMON_LOG" >&2
		return 1
	fi
	[ "$zombies" = 0 ]
}

# client ARGS...: the built client, pointed at the daemon.
client() {
	"$SOCK64" -c "127.0.0.1:$DAEMON_PORT" "$@"
}

# raw ARGS...: rawclient.py against the daemon; bytes to send on stdin.
raw() {
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$DAEMON_PORT" "$@"
}

# frame PAYLOAD: a request frame as the protocol's senders write it.
frame() {
	printf '%-64s%s' "${#1}" "$1"
}

# header STRING: exactly 64 header bytes, STRING then space padding.
header() {
	printf '%-64s' "$1"
}

# have_ipv6: true when this machine has an IPv6 loopback to test on.
have_ipv6() {
	"$PYTHON3" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	    2>/dev/null
}

# connected_children N: true once the daemon (run with -v) has logged N
# children as set up and serving.
connected_children() {
	[ "$(grep -c ': connected to ' "$DAEMON_LOG")" -ge "$1" ]
}

# hold_client PORT: a client that sends half a frame and then waits (at
# most 20 s).  Started directly, not in a subshell, so that the pid kept
# in HELD_PIDS is the client's own and release_held can stop it.
HELD_PIDS=()
hold_client() {
	{ header 13; printf 'Hel'; } >"$BATS_TEST_TMPDIR/half-frame"
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$1" \
	    --no-shutdown --timeout 20 <"$BATS_TEST_TMPDIR/half-frame" \
	    >/dev/null &
	HELD_PIDS+=($!)
}

# hold_connections N: N held clients; returns once the daemon (started
# with -v) has a child set up for each.
hold_connections() {
	local k
	for ((k = 0; k < $1; k++)); do
		hold_client "$DAEMON_PORT"
	done
	wait_until 5 connected_children "$1"
}

# release_held: stops every held client and waits for it.
release_held() {
	local pid
	for pid in ${HELD_PIDS[@]+"${HELD_PIDS[@]}"}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" || true
	done
	HELD_PIDS=()
}

# daemon_stop_by SIGNAL SECONDS: sends SIGNAL; the daemon must exit 0
# within SECONDS, and none of its children may outlive it.
daemon_stop_by() {
	local children pid status=0
	children=$(daemon_children)
	kill "-$1" "$DAEMON_PID"
	if ! wait_until "$2" eval '! daemon_alive'; then
		echo "sock64d still running $2 s after SIG$1" >&2
		return 1
	fi
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	if [ "$status" -ne 0 ]; then
		echo "sock64d exited with status $status after SIG$1" >&2
		return 1
	fi
	for pid in $children; do
		if [ -e "/proc/$pid" ]; then
			echo "child $pid survived SIG$1" >&2
			return 1
		fi
	done
}

# wait_pids PID...: waits for each; fails if any of them failed.
wait_pids() {
	local pid rc=0
	for pid in "$@"; do
		wait "$pid" || rc=1
	done
	return "$rc"
}

# inetd_on_socket ARGS...: runs sock64d -i ARGS as classic inetd does,
# with fd 0, 1 and 2 all one end of a socket pair, sends nothing and
# reads until sock64d closes its end (at most 10 s).  Prints its exit
# status and the bytes that came back, as "STATUS b'...'".
inetd_on_socket() {
	"$PYTHON3" - "$SOCK64D" "$@" <<'PY'
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1], "-i"] + sys.argv[2:], stdin=b, stdout=b,
                     stderr=b)
b.close()
a.settimeout(10)
data = b""
while True:
    chunk = a.recv(4096)
    if not chunk:
        break
    data += chunk
print("%d %r" % (p.wait(timeout=10), data))
PY
}

# missing WHAT: a prerequisite of the test is not there.  Skips the
# test, except under CI=true, where everything the suites need must be
# installed: there it fails.
missing() {
	if [ "${CI:-}" = true ]; then
		fail "$1 (CI=true: a missing prerequisite is a failure)"
	fi
	skip "$1"
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago, for a
# server that cannot bind port 0 and tell which it got.
free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
