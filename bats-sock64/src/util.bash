# bats-sock64: deadlines, the process table, failure messages.
#
# Copyright (c) 2026 The sock64 authors.  See the file COPYING.

# sock64_wait_until SECONDS COMMAND [ARG]...: runs COMMAND every 10 ms
# until it succeeds.  Once SECONDS (whole or decimal) of real time have
# passed it is run a last time, and its status is the result.
# The loop itself starts no process (a clock read and a nap in bash), so
# that waiting costs the machine next to nothing.
sock64_wait_until() {
	local us end _sock64_now
	_sock64_us_into us "$1" || return 2
	shift
	_sock64_now_into _sock64_now
	end=$((_sock64_now + us))
	while ((_sock64_now < end)); do
		"$@" && return 0
		_sock64_nap 0.01
		_sock64_now_into _sock64_now
	done
	"$@"
}

# _sock64_now_us: the wall clock in microseconds.
_sock64_now_us() {
	local now
	_sock64_now_into now
	printf '%s\n' "$now"
}

# _sock64_now_into NAME: the wall clock in microseconds, into NAME.
_sock64_now_into() {
	local _sock64_t=$EPOCHREALTIME
	printf -v "$1" '%s' "${_sock64_t/[.,]/}"
}

# _sock64_nap SECONDS: sleeps without starting a process: a read that
# times out on a FIFO nobody writes to, .sock64-nap in the scratch
# directory (made once, by mkfifo(1)).  sleep(1) outside a test, or
# where no FIFO can be made.
_sock64_nap() {
	local dir=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-}} fifo nothing rc=0
	fifo=$dir/.sock64-nap
	if [ -n "$dir" ] && [ "${_sock64_nap_broken:-}" != "$dir" ] &&
	    { [ -p "$fifo" ] || mkfifo "$fifo" 2>/dev/null || [ -p "$fifo" ]; }; then
		# Opened for reading and writing, the FIFO never reaches end
		# of file: only the time-out (a status over 128) ends the read.
		{ IFS= read -r -t "$1" nothing <>"$fifo"; } 2>/dev/null || rc=$?
		((rc <= 128)) || return 0
	fi
	_sock64_nap_broken=$dir
	sleep "$1"
}

# _sock64_us SECONDS: "5" or "0.25" as microseconds; status 2 and a
# message for anything else.
_sock64_us() {
	local us
	_sock64_us_into us "$1" || return 2
	printf '%s\n' "$us"
}

# _sock64_us_into NAME SECONDS: _sock64_us, into NAME.
_sock64_us_into() {
	local _sock64_whole _sock64_frac=
	if ! [[ $2 =~ ^[0-9]+(\.[0-9]*)?$ ]]; then
		echo "bats-sock64: not a number of seconds: '$2'" >&2
		return 2
	fi
	_sock64_whole=${2%%.*}
	[[ $2 == *.* ]] && _sock64_frac=${2#*.}
	_sock64_frac=${_sock64_frac}000000
	printf -v "$1" '%s' \
	    $((10#$_sock64_whole * 1000000 + 10#${_sock64_frac:0:6}))
}

# _sock64_whole SECONDS: rounded up to a whole number, at least 1 (what
# the client's -t takes).
_sock64_whole() {
	local us
	_sock64_us_into us "$1" || return 2
	us=$(((us + 999999) / 1000000))
	((us > 0)) || us=1
	printf '%s\n' "$us"
}

# _sock64_stat PID: the fields of /proc/PID/stat after the command name
# (state, ppid, ...); status 1 when there is no such process.
_sock64_stat() {
	local stat
	_sock64_stat_into stat "$1" || return 1
	printf '%s\n' "$stat"
}

# _sock64_stat_into NAME PID: _sock64_stat, into NAME.  Read by bash
# itself: the waits ask it in loops.
_sock64_stat_into() {
	local _sock64_line=
	# Not /proc//stat, which is the kernel's, for an empty PID.
	[[ $2 =~ ^[0-9]+$ ]] || return 1
	# The whole file: a command name may hold a newline.
	{ IFS= read -r -d '' _sock64_line <"/proc/$2/stat"; } 2>/dev/null ||
	    true
	[ -n "$_sock64_line" ] || return 1
	_sock64_line=${_sock64_line%$'\n'}
	printf -v "$1" '%s' "${_sock64_line##*) }"
}

# _sock64_alive PID: true while PID runs (a zombie does not count).
_sock64_alive() {
	local stat
	_sock64_stat_into stat "$1" || return 1
	[ "${stat%% *}" != Z ]
}

# _sock64_gone PID: true once PID has exited.
_sock64_gone() {
	! _sock64_alive "$1"
}

# _sock64_ppid PID: the parent of PID.
_sock64_ppid() {
	local ppid
	_sock64_ppid_into ppid "$1" || return 1
	printf '%s\n' "$ppid"
}

# _sock64_ppid_into NAME PID: _sock64_ppid, into NAME.
_sock64_ppid_into() {
	local _sock64_stat
	_sock64_stat_into _sock64_stat "$2" || return 1
	_sock64_stat=${_sock64_stat#* }
	printf -v "$1" '%s' "${_sock64_stat%% *}"
}

# _sock64_zombies PID: those children of PID that are zombies.
_sock64_zombies() {
	local child stat
	local -a kids
	_sock64_children_into kids "$1"
	for child in ${kids[@]+"${kids[@]}"}; do
		_sock64_stat_into stat "$child" || continue
		[ "${stat%% *}" != Z ] || printf '%s\n' "$child"
	done
}

_sock64_no_zombies() {
	local child stat
	local -a kids
	_sock64_children_into kids "$1"
	for child in ${kids[@]+"${kids[@]}"}; do
		_sock64_stat_into stat "$child" || continue
		[ "${stat%% *}" != Z ] || return 1
	done
	return 0
}

# _sock64_tmpdir: this test's scratch directory (the file's in
# setup_file).
_sock64_tmpdir() {
	local dir=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-}}
	if [ -z "$dir" ]; then
		echo "bats-sock64: no BATS_TEST_TMPDIR: run this under bats" >&2
		return 1
	fi
	printf '%s\n' "$dir"
}

# _sock64_fail TITLE [KEY VALUE]...: fails the test the way bats-assert
# does: "-- TITLE --", then each KEY and VALUE, then "--".
_sock64_fail() {
	local title=$1 width
	shift
	if (($# == 0)); then
		batslib_decorate "$title" </dev/null | fail
		return
	fi
	width=$(batslib_get_max_single_line_key_width "$@")
	batslib_print_kv_single_or_multi "$width" "$@" |
	    batslib_decorate "$title" | fail
}

# _sock64_log_or_none: the server's log, or a word saying it is empty.
_sock64_log_or_none() {
	if [ -s "${SOCK64D_LOG:-}" ]; then
		cat "$SOCK64D_LOG"
	else
		echo "(empty)"
	fi
}

# _sock64_status_words STATUS: a shell status as "exit status N" or
# "killed by signal N".
_sock64_status_words() {
	if (($1 > 128)); then
		echo "killed by signal $(($1 - 128))"
	else
		echo "exit status $1"
	fi
}
