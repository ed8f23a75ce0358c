#!/bin/bash
# The Debian package under a real systemd: a minimal Debian 12 root made
# by mmdebstrap (minbase plus systemd), booted with systemd-nspawn on a
# network of its own, the package installed in it, and both ways of
# running sock64d checked as an administrator would use them: enable
# --now, a request, the journal's priorities, the status line, reload,
# a stop that lets a request in flight finish, systemd-analyze
# security, and remove and purge stopping the units.
#
# usage: tests/nspawn.sh WORKDIR SERVER_DEB CLIENT_DEB
# Prints "PASS: check" or "FAIL: check" per check; exits 0 when every
# check passed.  The container is stopped by its pid and WORKDIR's root
# removed, however the script ends.
set -u
work=$1
deb=$2
client_deb=$3
root=$work/root
machine=sock64-test-$$
nspawn_pid=
init_pid=
failures=0
made_run_systemd=

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failures=$((failures + 1))
}

# now_ms: the wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it
# succeeds, at most SECONDS of real time.
wait_for() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	while [ "$(now_ms)" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# ct COMMAND...: runs COMMAND inside the booted container.
ct() {
	nsenter -t "$init_pid" -m -u -i -n -p -- "$@"
}

# request MESSAGE: the container's sock64 sends MESSAGE to 127.0.0.1:8000
# and gets it back.
request() {
	[ "$(ct sock64 -t 10 "$1" 2>&1)" = "$1" ]
}

refused() {
	! ct sock64 -t 5 x >/dev/null 2>&1
}

stop_container() {
	local end
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		# systemd-nspawn turns SIGTERM into an orderly shutdown.
		kill -TERM "$nspawn_pid"
		end=$(($(now_ms) + 60000))
		while kill -0 "$nspawn_pid" 2>/dev/null &&
		    [ "$(now_ms)" -lt "$end" ]; do
			sleep 0.2
		done
		kill -KILL "$nspawn_pid" 2>/dev/null
		wait "$nspawn_pid" 2>/dev/null
	fi
	nspawn_pid=
	rm -rf "$root"
	# What systemd-nspawn made in /run on a host without systemd.
	rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/locks \
	    /run/systemd/nspawn 2>/dev/null
	[ -n "$made_run_systemd" ] && rmdir /run/systemd 2>/dev/null
	return 0
}
trap stop_container EXIT
trap 'exit 1' INT TERM
mkdir -p "$work" || exit 1

# The root and its boot.
boot() {
	rm -rf "$root" || return 1
	if ! mmdebstrap --variant=minbase --include=systemd,systemd-sysv,dbus \
	    bookworm "$root" >"$work/mmdebstrap.log" 2>&1; then
		tail -n 20 "$work/mmdebstrap.log"
		return 1
	fi
	mkdir -p "$root/root/debs" &&
	    cp "$deb" "$client_deb" "$root/root/debs/" || return 1
	[ -d /run/systemd ] || made_run_systemd=1
	systemd-nspawn -q -D "$root" -M "$machine" -b --keep-unit \
	    --register=no --private-network </dev/null \
	    >"$work/console.log" 2>&1 &
	nspawn_pid=$!
	wait_for 30 find_init || { tail -n 20 "$work/console.log"; return 1; }
	# Booted once the state is final; "degraded" would name a failed
	# unit, and nothing may fail.
	wait_for 120 booted
	[ "$state" = running ] ||
	    { echo "the container is $state"; ct systemctl --failed; return 1; }
}

booted() {
	state=$(ct systemctl is-system-running 2>&1)
	case $state in
	running|degraded|maintenance|stopping) return 0 ;;
	esac
	return 1
}

# find_init: the container's pid 1, as the host sees it: among the
# descendants of systemd-nspawn (which forks more than once on its way),
# the process that is pid 1 in its own pid namespace, once it runs
# systemd.
find_init() {
	local p
	for p in $(descendants "$nspawn_pid"); do
		grep -qE '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' \
		    "/proc/$p/status" 2>/dev/null || continue
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] || continue
		init_pid=$p
		ct true 2>/dev/null && return 0
	done
	return 1
}

# descendants PID: its children, grandchildren and their children.
descendants() {
	local level=$1 next p
	for _ in 1 2 3; do
		next=
		for p in $level; do
			next="$next $(cat /proc/"$p"/task/*/children 2>/dev/null)"
		done
		echo $next
		level=$next
	done
}

install_deb() {
	ct sh -c "dpkg -i /root/debs/*.deb" >"$work/dpkg.log" 2>&1 ||
	    { cat "$work/dpkg.log"; return 1; }
	# Installed disabled and stopped.
	[ "$(ct systemctl is-enabled sock64d.socket sock64d-daemon.socket)" = \
	    "$(printf 'disabled\ndisabled')" ] && refused
}

per_connection() {
	ct systemctl enable --now sock64d.socket 2>/dev/null &&
	    wait_for 10 request "Hello Server!" &&
	    ct systemctl disable --now sock64d.socket 2>/dev/null
}

one_daemon() {
	ct systemctl enable --now sock64d-daemon.socket 2>/dev/null &&
	    wait_for 10 request "Hello Server!" &&
	    ct systemctl is-active -q sock64d-daemon.service
}

# priorities: an info line at priority 6, and a malformed header's
# warning at priority 4, as journalctl -u shows them.
priorities() {
	local out
	out=$(ct bash -c 'exec 3<>/dev/tcp/127.0.0.1/8000 &&
	    printf "%064d" 0 | tr 0 x >&3 && cat <&3') || return 1
	[ -z "$out" ] || return 1
	wait_for 10 journal_has 4 "malformed header" &&
	    journal_has 6 "listening on 127.0.0.1:8000"
}

# journal_has PRIORITY TEXT: a line of the daemon's with that priority.
journal_has() {
	ct journalctl -u sock64d-daemon.service -o export --no-pager |
	    awk -v p="PRIORITY=$1" -v t="$2" '
		/^$/ { if (pr && msg) found = 1; pr = msg = 0; next }
		$0 == p { pr = 1 }
		/^MESSAGE=/ && index($0, t) { msg = 1 }
		END { if (pr && msg) found = 1; exit !found }'
}

status_line() {
	ct systemctl status --no-pager sock64d-daemon.service |
	    grep -E '^ +Status: "[0-9]+ connections now, [0-9]+ served, [0-9]+ refused"$'
}

reload() {
	local pid
	pid=$(ct systemctl show -p MainPID --value sock64d-daemon.service)
	ct systemctl reload sock64d-daemon.service &&
	    wait_for 10 journal_has 6 "SIGHUP ignored" &&
	    [ "$(ct systemctl show -p MainPID --value \
	    sock64d-daemon.service)" = "$pid" ] &&
	    request "after reload"
}

# stop_in_flight: with a handler that takes 2 s, systemctl stop during a
# request still delivers its reply.
stop_in_flight() {
	local d=$root/etc/systemd/system/sock64d-daemon.service.d client ok=0
	mkdir -p "$d" && cat >"$d/slow.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/usr/sbin/sock64d -- /bin/sh -c "sleep 2; exec cat"
EOF
	ct systemctl daemon-reload && ct systemctl restart \
	    sock64d-daemon.service || return 1
	ct sock64 -t 30 "in flight" >"$work/inflight.out" 2>&1 &
	client=$!
	wait_for 10 one_connection && ct systemctl stop sock64d-daemon.service &&
	    wait "$client" && [ "$(cat "$work/inflight.out")" = "in flight" ] &&
	    ok=1
	kill "$client" 2>/dev/null
	rm -r "$d"
	ct systemctl daemon-reload
	[ "$ok" = 1 ] || { cat "$work/inflight.out"; return 1; }
	# The socket is still there: the next client starts the daemon.
	wait_for 10 request "restarted"
}

one_connection() {
	ct systemctl show -p StatusText --value sock64d-daemon.service |
	    grep -q '^1 connections now'
}

# security UNIT: systemd-analyze's exposure of UNIT is at most 2.0.
security() {
	local level
	level=$(ct systemd-analyze security --no-pager "$1" 2>&1 |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "$1: exposure $level"
	[ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'
}

# purge_stops: apt-get purge with the daemon running stops and removes
# its units, and nothing listens any more (the client package stays).
purge_stops() {
	request "before purge" && ct systemctl is-active -q \
	    sock64d-daemon.service || return 1
	ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q sock64d \
	    >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; return 1; }
	gone
}

# remove_stops: the same for apt-get remove and sock64d.socket.
remove_stops() {
	ct sh -c "dpkg -i /root/debs/*.deb" >"$work/dpkg.log" 2>&1 &&
	    ct systemctl enable --now sock64d.socket 2>/dev/null &&
	    wait_for 10 request "before remove" || return 1
	ct env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q sock64d \
	    >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; return 1; }
	gone && ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
	    sock64d >>"$work/remove.log" 2>&1
}

# gone: no unit active or enabled, no unit file, nothing on port 8000.
gone() {
	local u
	for u in sock64d.socket sock64d-daemon.socket sock64d-daemon.service; do
		if ct systemctl is-active -q "$u"; then
			echo "$u is still active"
			return 1
		fi
		if [ -e "$root/lib/systemd/system/$u" ] ||
		    [ -e "$root/etc/systemd/system/sockets.target.wants/$u" ]
		then
			echo "$u is still installed or enabled"
			return 1
		fi
	done
	refused
}

check() {
	local name=$1
	shift
	if "$@" >"$work/check.log" 2>&1; then
		pass "$name"
	else
		sed 's/^/    /' "$work/check.log"
		fail "$name"
	fi
}

if ! boot >"$work/check.log" 2>&1; then
	sed 's/^/    /' "$work/check.log"
	fail "boot a Debian root with systemd in systemd-nspawn"
	exit 1
fi
pass "boot a Debian root with systemd in systemd-nspawn"
check "install: the units are disabled and stopped" install_deb
check "enable --now sock64d.socket, then a request" per_connection
check "enable --now sock64d-daemon.socket, then a request" one_daemon
check "journalctl -u shows each line's priority" priorities
check "systemctl status shows the STATUS line" status_line
check "systemctl reload: SIGHUP, logged, same process" reload
check "systemctl stop lets a request in flight finish" stop_in_flight
check "systemd-analyze security sock64d-daemon.service <= 2.0" \
    security sock64d-daemon.service
check "systemd-analyze security sock64d@.service <= 2.0" \
    security sock64d@check.service
check "apt-get purge stops and removes sock64d-daemon.socket" purge_stops
check "apt-get remove stops sock64d.socket" remove_stops
stop_container
[ "$failures" -eq 0 ]
