# bats-sock64: deadlines, the process table, failure messages.
#
# Copyright (c) 2026 The sock64 authors.  See the file COPYING.

# sock64_wait_until SECONDS COMMAND [ARG]...: runs COMMAND every 10 ms
# until it succeeds.  Once SECONDS (whole or decimal) of real time have
# passed it is run a last time, and its status is the result.
sock64_wait_until() {
	local us end
	us=$(_sock64_us "$1") || return 2
	shift
	end=$(($(_sock64_now_us) + us))
	while (($(_sock64_now_us) < end)); do
		"$@" && return 0
		sleep 0.01
	done
	"$@"
}

# _sock64_now_us: the wall clock in microseconds.
_sock64_now_us() {
	local t=$EPOCHREALTIME
	printf '%s\n' "${t/[.,]/}"
}

# _sock64_us SECONDS: "5" or "0.25" as microseconds; status 2 and a
# message for anything else.
_sock64_us() {
	local whole frac=
	if ! [[ $1 =~ ^[0-9]+(\.[0-9]*)?$ ]]; then
		echo "bats-sock64: not a number of seconds: '$1'" >&2
		return 2
	fi
	whole=${1%%.*}
	[[ $1 == *.* ]] && frac=${1#*.}
	frac=${frac}000000
	printf '%s\n' $((10#$whole * 1000000 + 10#${frac:0:6}))
}

# _sock64_whole SECONDS: rounded up to a whole number, at least 1 (what
# the client's -t takes).
_sock64_whole() {
	local us
	us=$(_sock64_us "$1") || return 2
	us=$(((us + 999999) / 1000000))
	((us > 0)) || us=1
	printf '%s\n' "$us"
}

# _sock64_stat PID: the fields of /proc/PID/stat after the command name
# (state, ppid, ...); status 1 when there is no such process.
_sock64_stat() {
	local stat
	{ stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
	printf '%s\n' "${stat##*) }"
}

# _sock64_alive PID: true while PID runs (a zombie does not count).
_sock64_alive() {
	local stat
	stat=$(_sock64_stat "$1") || return 1
	[ "${stat%% *}" != Z ]
}

# _sock64_gone PID: true once PID has exited.
_sock64_gone() {
	! _sock64_alive "$1"
}

# _sock64_ppid PID: the parent of PID.
_sock64_ppid() {
	local stat
	stat=$(_sock64_stat "$1") || return 1
	set -- $stat
	printf '%s\n' "$2"
}

# _sock64_zombies PID: those children of PID that are zombies.
_sock64_zombies() {
	local child stat
	for child in $(_sock64_all_children "$1"); do
		stat=$(_sock64_stat "$child") || continue
		[ "${stat%% *}" != Z ] || printf '%s\n' "$child"
	done
}

_sock64_no_zombies() {
	[ -z "$(_sock64_zombies "$1")" ]
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
