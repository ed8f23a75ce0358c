# bats-sock64: start a sock64d for a test, and stop it again.
#
# Copyright (c) 2026 The sock64 authors.  See the file COPYING.

# sock64_start [OPTION]... [-- PROGRAM [ARG]...]: starts sock64d with
# these options (and handler) in the background, its stderr in
# SOCK64D_LOG, and returns once it listens: at most SOCK64_START_TIMEOUT
# (10) seconds.  Without a --listen it listens on 127.0.0.1, on a free
# port.  Sets SOCK64D_PID, SOCK64D_ADDR (the first listener, as the
# client's --connect takes it), SOCK64D_ADDRS (all, one per line),
# SOCK64D_PORT (the first TCP port) and SOCK64D_PORTS (what -1 printed).
sock64_start() {
	local dir bin fifo fd line rc status=0 end us left timeout k host now
	local ppid
	local -a ports=() addrs=() listens=()
	dir=$(_sock64_tmpdir) || return
	timeout=${SOCK64_START_TIMEOUT:-10}
	_sock64_us_into us "$timeout" || return
	if [ -n "${SOCK64D_PID:-}" ] &&
	    _sock64_ppid_into ppid "$SOCK64D_PID" && [ "$ppid" = "$BASHPID" ] &&
	    _sock64_alive "$SOCK64D_PID"; then
		_sock64_fail "sock64_start: a server is running already" \
		    pid "$SOCK64D_PID" hint "sock64_stop it first"
		return
	fi
	if ! bin=$(_sock64_program sock64d "${SOCK64D:-}"); then
		_sock64_fail "sock64_start: sock64d not found" \
		    hint "put it in PATH or set SOCK64D to its path"
		return
	fi
	mapfile -t listens < <(_sock64_listens "$@")
	if ((${#listens[@]} == 0)); then
		set -- -l 127.0.0.1:0 "$@"
		listens=(127.0.0.1:0)
	fi
	fifo="$dir/sock64d.ports"
	rm -f "$fifo"
	mkfifo "$fifo" || return
	SOCK64D_LOG="$dir/sock64d.log"
	# -1 prints a line per listener, then closes stdout: read to the
	# end of the pipe.  Bats' own descriptor 3 must not stay open.
	"$bin" -1 "$@" >"$fifo" 2>"$SOCK64D_LOG" 3>&- &
	SOCK64D_PID=$!
	exec {fd}<"$fifo"
	rm -f "$fifo"
	_sock64_now_into now
	end=$((now + us))
	while :; do
		_sock64_now_into now
		us=$((end - now))
		if ((us <= 0)); then
			rc=142
			break
		fi
		line=
		printf -v left '%d.%06d' $((us / 1000000)) $((us % 1000000))
		IFS= read -r -t "$left" -u "$fd" line &&
		    { ports+=("$line"); continue; }
		rc=$?
		[ -z "$line" ] || ports+=("$line")
		break
	done
	exec {fd}<&-
	if ((rc > 128)); then
		_sock64_kill "$SOCK64D_PID"
		SOCK64D_PID=
		_sock64_fail "sock64_start: sock64d did not listen within $timeout s" \
		    command "$bin -1 $*" log "$(_sock64_log_or_none)"
		return
	fi
	if ((${#ports[@]} == 0)) || ! _sock64_alive "$SOCK64D_PID"; then
		_sock64_settle "$SOCK64D_PID"
		wait "$SOCK64D_PID" || status=$?
		SOCK64D_PID=
		_sock64_fail "sock64_start: sock64d exited before it listened" \
		    command "$bin -1 $*" \
		    status "$(_sock64_status_words "$status")" \
		    log "$(_sock64_log_or_none)"
		return
	fi
	SOCK64D_PORT=
	for k in "${!ports[@]}"; do
		line=${ports[k]}
		if [[ $line == unix:* ]]; then
			addrs+=("$line")
		else
			host=$(_sock64_connect_host "${listens[k]:-}")
			addrs+=("$host:$line")
			[ -n "$SOCK64D_PORT" ] || SOCK64D_PORT=$line
		fi
	done
	SOCK64D_ADDR=${addrs[0]}
	SOCK64D_ADDRS=$(printf '%s\n' "${addrs[@]}")
	SOCK64D_PORTS=$(printf '%s\n' "${ports[@]}")
	export SOCK64D_PID SOCK64D_ADDR SOCK64D_ADDRS SOCK64D_PORT \
	    SOCK64D_PORTS SOCK64D_LOG
}

# sock64_start_unix [OPTION]... [-- PROGRAM [ARG]...]: sock64_start on
# a unix socket, sock64d.sock in the test's scratch directory.
sock64_start_unix() {
	local dir
	dir=$(_sock64_tmpdir) || return
	sock64_start -l "unix:$dir/sock64d.sock" "$@"
}

# sock64_stop: stops the server sock64_start started, by its PID: first
# it waits (SOCK64_STOP_TIMEOUT, 10 s) for its exited children to be
# reaped, then sends SIGTERM and waits as long again for it to exit.
# Fails the test, with the server's log, if the server had died before,
# kept a zombie child, ignored SIGTERM (it is killed then), exited with
# a status other than 0, or left a child running.  Without a server it
# does nothing, so that teardown may always call it.
sock64_stop() {
	local pid=${SOCK64D_PID:-} timeout status=0 zombies c ppid
	local -a problems=() children
	[ -n "$pid" ] || return 0
	timeout=${SOCK64_STOP_TIMEOUT:-10}
	_sock64_us "$timeout" >/dev/null || return
	if _sock64_gone "$pid"; then
		_sock64_settle "$pid"
		wait "$pid" || status=$?
		SOCK64D_PID=
		_sock64_fail "sock64_stop: sock64d died before it was stopped" \
		    pid "$pid" status "$(_sock64_status_words "$status")" \
		    log "$(_sock64_log_or_none)"
		return
	fi
	if ! _sock64_ppid_into ppid "$pid" || [ "$ppid" != "$BASHPID" ]; then
		SOCK64D_PID=
		_sock64_fail "sock64_stop: sock64d is not a child of this shell" \
		    pid "$pid" \
		    hint "stop it where it was started (teardown_file for setup_file)"
		return
	fi
	sock64_wait_until "$timeout" _sock64_no_zombies "$pid" ||
	    zombies=$(_sock64_zombies "$pid")
	_sock64_children_into children "$pid"
	kill -TERM "$pid" 2>/dev/null || true
	if ! sock64_wait_until "$timeout" _sock64_gone "$pid"; then
		_sock64_kill "$pid"
		SOCK64D_PID=
		_sock64_fail "sock64_stop: sock64d ignored SIGTERM for $timeout s" \
		    pid "$pid" log "$(_sock64_log_or_none)"
		return
	fi
	wait "$pid" || status=$?
	SOCK64D_PID=
	((status == 0)) ||
	    problems+=("$(_sock64_status_words "$status") after SIGTERM")
	[ -z "${zombies:-}" ] ||
	    problems+=("left zombie children: ${zombies//$'\n'/ }")
	for c in ${children[@]+"${children[@]}"}; do
		! _sock64_alive "$c" || problems+=("child $c outlived it")
	done
	((${#problems[@]} == 0)) && return 0
	_sock64_fail "sock64_stop: sock64d did not stop cleanly" \
	    pid "$pid" problems "$(printf '%s\n' "${problems[@]}")" \
	    log "$(_sock64_log_or_none)"
}

# sock64_children [PID]: the child processes of the server (or of PID)
# that serve a connection, one PID per line; spare children still
# waiting for a client (sock64d --spares) are left out.
sock64_children() {
	local pid comm
	local -a kids
	_sock64_children_into kids "${1:-${SOCK64D_PID:-}}"
	for pid in ${kids[@]+"${kids[@]}"}; do
		# A spare forked ahead of demand has no client yet.
		comm=
		{ IFS= read -r comm <"/proc/$pid/comm"; } 2>/dev/null || true
		[ "$comm" = sock64d-spare ] || printf '%s\n' "$pid"
	done
}

# _sock64_all_children PID: every child of PID, spares included.
_sock64_all_children() {
	local -a kids
	_sock64_children_into kids "$1"
	((${#kids[@]} == 0)) || printf '%s\n' "${kids[@]}"
}

# _sock64_children_into NAME PID: every child of PID, into the array
# NAME (empty without PID), read without starting a process.
_sock64_children_into() {
	local _sock64_f
	local -a _sock64_part
	local -n _sock64_into=$1
	_sock64_into=()
	[[ $2 =~ ^[0-9]+$ ]] || return 0
	for _sock64_f in /proc/"$2"/task/*/children; do
		_sock64_part=()
		# The list has no newline at its end: read says 1 but reads it.
		{ read -r -a _sock64_part <"$_sock64_f"; } 2>/dev/null || true
		_sock64_into+=(${_sock64_part[@]+"${_sock64_part[@]}"})
	done
	return 0
}

# _sock64_kill PID: SIGKILL and reap; for a server past saving.
_sock64_kill() {
	kill -KILL "$1" 2>/dev/null || true
	_sock64_settle "$1"
	wait "$1" 2>/dev/null || true
}

# _sock64_settle PID: waits (at most 2 s) until PID has exited, so that
# wait does not block on a server that is only now dying.
_sock64_settle() {
	sock64_wait_until 2 _sock64_gone "$1" || true
}

# _sock64_program NAME GIVEN: GIVEN if set, else NAME in PATH or in the
# usual sbin and bin directories (sbin is often not in PATH).
_sock64_program() {
	local dir
	if [ -n "$2" ]; then
		printf '%s\n' "$2"
		return 0
	fi
	command -v "$1" && return 0
	for dir in /usr/local/sbin /usr/sbin /usr/local/bin /usr/bin; do
		if [ -x "$dir/$1" ]; then
			printf '%s\n' "$dir/$1"
			return 0
		fi
	done
	return 1
}

# _sock64_listens [OPTION]... [-- PROGRAM...]: the value of each -l or
# --listen option, one per line, in order (the order -1 prints in).
_sock64_listens() {
	local re='^-[1iqvhV]*l(.*)$'
	while (($#)); do
		if [ "$1" = -- ]; then
			break
		elif [[ $1 == --listen=* ]]; then
			printf '%s\n' "${1#--listen=}"
		elif [ "$1" = --listen ] || [[ $1 =~ $re ]]; then
			# -l ADDR, -lADDR, -vl ADDR, --listen ADDR
			if [ "$1" != --listen ] &&
			    [ -n "${BASH_REMATCH[1]:-}" ]; then
				printf '%s\n' "${BASH_REMATCH[1]}"
			elif (($# > 1)); then
				printf '%s\n' "$2"
				shift
			fi
		fi
		shift
	done
}

# _sock64_connect_host LISTEN: where a client reaches a listener given
# as LISTEN: its host, or this host for the wildcard forms.
_sock64_connect_host() {
	local host=
	[[ $1 == *:* ]] && host=${1%:*}
	case $host in
	'' | 0.0.0.0 | '*') echo 127.0.0.1 ;;
	'[::]') echo '[::1]' ;;
	*) printf '%s\n' "$host" ;;
	esac
}
