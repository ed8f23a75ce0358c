# Shared set-up for the sock64 bats suites.
#
# The binaries come from the environment (make check exports SOCK64D,
# SOCK64, FIXTURES and PYTHON3), so the suites run from any directory
# and in VPATH builds.

bats_load_library bats-support
bats_load_library bats-assert
# The test kit of this tree, bats-sock64(7): starting and stopping the
# daemon, waits, frames.  What follows is only what this project's own
# suites need besides.
load "$BATS_TEST_DIRNAME/../bats-sock64/load"

export LC_ALL=C
: "${SOCK64D:?SOCK64D must name the sock64d binary (make check sets it)}"
: "${SOCK64:?SOCK64 must name the sock64 binary (make check sets it)}"
: "${PYTHON3:=python3}"
: "${FIXTURES:=$BATS_TEST_DIRNAME/fixtures}"
# No test may hang the suite.
export BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-60}"

# daemon_start_with ARGS...: sock64_start ARGS (the kit's, which adds
# -1 and waits for every port line); exports DAEMON_PID, DAEMON_PORT
# (the first line -1 printed), DAEMON_PORTS (all of them) and
# DAEMON_LOG, the names the suites use.  With SOCK64D_SPARES set,
# --spares=$SOCK64D_SPARES comes before ARGS (a test's own --spares
# wins), so that the suites run with spare children and without.
daemon_start_with() {
	local spares=()
	[ -n "${SOCK64D_SPARES:-}" ] && spares=("$(spares_option)")
	sock64_start ${spares[@]+"${spares[@]}"} "$@" || return
	DAEMON_PID=$SOCK64D_PID
	DAEMON_PORTS=$SOCK64D_PORTS
	DAEMON_PORT=${SOCK64D_PORTS%%$'\n'*}
	DAEMON_LOG=$SOCK64D_LOG
	export DAEMON_PID DAEMON_PORT DAEMON_PORTS DAEMON_LOG
}

# spares_option: --spares=$SOCK64D_SPARES when that is set, else
# nothing; for tests that start sock64d -1 themselves.
spares_option() {
	if [ -n "${SOCK64D_SPARES:-}" ]; then
		echo "--spares=$SOCK64D_SPARES"
	fi
}

# daemon_start ARGS...: the usual case, one listener on 127.0.0.1:0.
daemon_start() {
	daemon_start_with -l 127.0.0.1:0 "$@"
}

# True while the daemon runs (a zombie does not count).
daemon_alive() {
	_sock64_alive "$DAEMON_PID"
}

# proc_state PID: the one-letter state of a process (R, S, Z, ...).
proc_state() {
	local stat
	_sock64_stat_into stat "$1" || return 1
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

# daemon_all_children: the pids of the daemon's children, one per line,
# spares waiting for a client included.
daemon_all_children() {
	_sock64_all_children "$DAEMON_PID"
}

# is_spare PID: true for a spare child still waiting for its client
# (its name says so until it has one).
is_spare() {
	local comm
	# read, not $(cat): no process forked per question; the callers
	# ask it in loops over pids.
	{ read -r comm <"/proc/$1/comm"; } 2>/dev/null || return 1
	[ "$comm" = sock64d-spare ]
}

# daemon_children: the pids of the daemon's children that serve (or
# served) a client, one per line: not the spares waiting for one.
daemon_children() {
	sock64_children "$DAEMON_PID"
}

# daemon_spares: the pids of the spares waiting for a client.
daemon_spares() {
	local pid
	local -a kids
	_sock64_children_into kids "$DAEMON_PID"
	for pid in ${kids[@]+"${kids[@]}"}; do
		if is_spare "$pid"; then echo "$pid"; fi
	done
}

# daemon_zombies: how many of the daemon's children are zombies.
daemon_zombies() {
	_sock64_zombies "$DAEMON_PID" | wc -l
}

# now_us: the wall clock in microseconds (bash's $EPOCHREALTIME).
now_us() {
	_sock64_now_us
}

# wait_until SECONDS COMMAND...: the kit's sock64_wait_until: polls
# COMMAND every 10 ms until it succeeds, for at most SECONDS of real time.
wait_until() {
	sock64_wait_until "$@"
}

# seconds_to_us SECONDS: "5" or "0.5" as a count of microseconds.
seconds_to_us() {
	_sock64_us "$1"
}

no_zombies() {
	_sock64_no_zombies "$DAEMON_PID"
}

# daemon_fds: how many descriptors the daemon has open, not counting
# the one it holds per spare waiting for a client (their number varies
# with -c and the load).  Read until two readings 50 ms apart agree, so
# that a spare being forked is not counted half.
daemon_fds() {
	local n last= end
	end=$(($(now_us) + 5000000))
	while :; do
		n=$(($(ls "/proc/$DAEMON_PID/fd" | wc -l) - \
		    $(daemon_spares | wc -l)))
		if [ "$n" = "$last" ] || (($(now_us) >= end)); then
			echo "$n"
			return
		fi
		last=$n
		sleep 0.05
	done
}

# daemon_stop: the kit's sock64_stop (SIGTERM by pid, wait, and insist
# on a clean exit: no earlier death, no zombie child, status 0), for
# the daemon in DAEMON_PID, which a suite may have started on its own.
# A sanitizer build reports into the log; a report is a failure too.
daemon_stop() {
	local rc=0
	[ -n "${DAEMON_PID:-}" ] || return 0
	SOCK64D_PID=$DAEMON_PID SOCK64D_LOG=$DAEMON_LOG
	sock64_stop || rc=1
	DAEMON_PID=
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$DAEMON_LOG"; then
		echo "sanitizer report in the daemon's log:" >&2
		cat "$DAEMON_LOG" >&2
		rc=1
	fi
	return "$rc"
}

# client ARGS...: the built client, pointed at the daemon.
client() {
	"$SOCK64" -c "127.0.0.1:$DAEMON_PORT" "$@"
}

# raw ARGS...: rawclient.py against the daemon; bytes to send on stdin.
raw() {
	"$PYTHON3" "$BATS_TEST_DIRNAME/rawclient.py" --port "$DAEMON_PORT" "$@"
}

# frame PAYLOAD, header STRING: the kit's sock64_frame, sock64_header.
frame() {
	sock64_frame "$@"
}

header() {
	sock64_header "$@"
}

# marker_procs MARKER: the pids, other than the daemon's, of processes
# whose command line contains MARKER (read in bash, so that no helper
# process of ours carries the marker itself).
marker_procs() {
	local f pid args
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[ "$pid" = "$DAEMON_PID" ] && continue
		[ "$pid" = "$BASHPID" ] && continue
		mapfile -d '' args 2>/dev/null <"$f" || continue
		[[ " ${args[*]} " == *"$1"* ]] || continue
		# A spare is a copy of the daemon, with its command line.
		is_spare "$pid" || echo "$pid"
	done
	return 0
}

no_marker_procs() {
	[ -z "$(marker_procs "$1")" ]
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago, for
# programs that cannot bind port 0 and say which port they got.
free_port() {
	"$PYTHON3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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

# assert_nodelay PID: the one connected TCP socket of process PID has
# TCP_NODELAY (read with tests/nodelay.py, through pidfd_getfd(2)).
assert_nodelay() {
	run "$PYTHON3" "$BATS_TEST_DIRNAME/nodelay.py" "$1"
	[ "$status" -ne 2 ] ||
	    missing "cannot look at the sockets of pid $1: $output"
	assert_success
	assert_output "1 of 1"
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
	children=$(daemon_all_children)
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

