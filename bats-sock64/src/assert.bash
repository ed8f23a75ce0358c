# bats-sock64: assertions on replies, closed connections and the log.
# Like bats-assert's, they print what was expected and what came, and
# fail the test through fail.
#
# Copyright (c) 2026 The sock64 authors.  See the file COPYING.

# assert_sock64_reply [-p | --partial | -e | --regexp] MESSAGE EXPECTED:
# MESSAGE, sent as one request, gets a reply equal to EXPECTED (with
# --partial: containing it; with --regexp: matching that extended
# regular expression).
assert_sock64_reply() {
	local mode=equal out status title what
	case ${1:-} in
	-p | --partial) mode=partial; shift ;;
	-e | --regexp) mode=regexp; shift ;;
	esac
	if (($# != 2)); then
		_sock64_fail "assert_sock64_reply: usage" \
		    usage "assert_sock64_reply [-p | -e] MESSAGE EXPECTED"
		return
	fi
	if [ "$mode" = regexp ] && _sock64_bad_regexp "$2"; then
		_sock64_fail "assert_sock64_reply: invalid extended regular expression" \
		    regexp "$2"
		return
	fi
	if [ -z "${SOCK64D_ADDR:-}" ]; then
		_sock64_fail "assert_sock64_reply: no server" \
		    hint "call sock64_start first"
		return
	fi
	# The status follows the reply, after a slash: $(...) would drop
	# the reply's trailing newlines, but not those before it.
	out=$(printf '%s' "$1" | sock64_send -n 2>&1; printf '/%d' "$?")
	status=${out##*/}
	out=${out%/*}
	if ((status != 0)); then
		_sock64_fail "sock64d sent no reply" request "$1" \
		    client "$out" log "$(_sock64_log_or_none)"
		return
	fi
	case $mode in
	equal) [ "$out" = "$2" ] && return 0
		title="reply differs" what=expected ;;
	partial) [[ $out == *"$2"* ]] && return 0
		title="reply does not contain substring" what=substring ;;
	regexp) [[ $out =~ $2 ]] && return 0
		title="regular expression does not match reply" what=regexp ;;
	esac
	_sock64_fail "$title" request "$1" "$what" "$2" reply "$out"
}

# assert_sock64_closed MESSAGE...: the messages, sent as requests on one
# connection, end with the server closing it without replying to the
# last one (replies to earlier ones are allowed).
# assert_sock64_closed --raw: the bytes on standard input, sent as they
# are, get no byte in reply, and the server closes the connection
# within SOCK64_TIMEOUT (10) seconds.
assert_sock64_closed() {
	local dir out status
	dir=$(_sock64_tmpdir) || return
	if [ "${1:-}" = --raw ]; then
		(($# == 1)) || {
			_sock64_fail "assert_sock64_closed: usage" \
			    usage "assert_sock64_closed --raw <BYTES"
			return
		}
		_sock64_closed_raw "$dir"
		return
	fi
	if (($# == 0)); then
		_sock64_fail "assert_sock64_closed: usage" \
		    usage "assert_sock64_closed MESSAGE... | --raw <BYTES"
		return
	fi
	status=0
	sock64_send -- "$@" >"$dir/sock64.out" 2>"$dir/sock64.err" ||
	    status=$?
	if ((status == 0)); then
		_sock64_fail "sock64d replied" request "${@: -1}" \
		    replies "$(<"$dir/sock64.out")"
		return
	fi
	out=$(<"$dir/sock64.err")
	[[ $out == *"server closed the connection before replying"* ]] &&
	    return 0
	_sock64_fail "sock64d did not close the connection" \
	    request "${@: -1}" client "$out" log "$(_sock64_log_or_none)"
}

# _sock64_closed_raw DIR: assert_sock64_closed --raw.
_sock64_closed_raw() {
	local status=0 got
	sock64_send_raw >"$1/sock64.raw" 2>"$1/sock64.err" || status=$?
	if [ -s "$1/sock64.raw" ]; then
		got=$(cat -v "$1/sock64.raw")
		_sock64_fail "sock64d replied" \
		    received "$(wc -c <"$1/sock64.raw") bytes" bytes "$got"
		return
	fi
	((status == 0)) && return 0
	_sock64_fail "sock64d did not close the connection" \
	    client "$(<"$1/sock64.err")" log "$(_sock64_log_or_none)"
}

# assert_sock64_log [-p | --partial] PATTERN: a line of the server's log
# matches the extended regular expression PATTERN (with --partial:
# contains the string PATTERN), now or within SOCK64_TIMEOUT (10)
# seconds, since the server may log after the client has its answer.
assert_sock64_log() {
	local mode=regexp timeout
	_sock64_log_args assert_sock64_log mode "$@" || return
	[ "$mode" = regexp ] || shift
	timeout=${SOCK64_TIMEOUT:-10}
	sock64_wait_until "$timeout" _sock64_log_match "$mode" "$1" \
	    >/dev/null && return 0
	_sock64_fail "no line of the sock64d log matches" \
	    "$mode" "$1" waited "$timeout s" log "$(_sock64_log_or_none)"
}

# refute_sock64_log [-p | --partial] PATTERN: no line of the server's
# log matches PATTERN, now.
refute_sock64_log() {
	local mode=regexp lines
	_sock64_log_args refute_sock64_log mode "$@" || return
	[ "$mode" = regexp ] || shift
	lines=$(_sock64_log_match "$mode" "$1") || return 0
	_sock64_fail "a line of the sock64d log matches" \
	    "$mode" "$1" lines "$lines"
}

# _sock64_log_args FUNCTION VAR [-p | --partial] PATTERN: checks the
# arguments of the log assertions and sets VAR to regexp or substring.
_sock64_log_args() {
	local fn=$1 var=$2
	shift 2
	case ${1:-} in
	-p | --partial) printf -v "$var" substring; shift ;;
	esac
	if (($# != 1)); then
		_sock64_fail "$fn: usage" usage "$fn [-p | --partial] PATTERN"
		return
	fi
	if [ -z "${SOCK64D_LOG:-}" ]; then
		_sock64_fail "$fn: no server log" hint "call sock64_start first"
		return
	fi
	if [ "${!var}" = regexp ] && _sock64_bad_regexp "$1"; then
		_sock64_fail "$fn: invalid extended regular expression" \
		    regexp "$1"
		return
	fi
}

# _sock64_log_match MODE PATTERN: prints the lines of the log that match;
# status 1 if none does.
_sock64_log_match() {
	local line found=1
	[ -r "$SOCK64D_LOG" ] || return 1
	while IFS= read -r line || [ -n "$line" ]; do
		if [ "$1" = regexp ]; then
			[[ $line =~ $2 ]] || continue
		else
			[[ $line == *"$2"* ]] || continue
		fi
		printf '%s\n' "$line"
		found=0
	done <"$SOCK64D_LOG"
	return "$found"
}

# _sock64_bad_regexp RE: true if RE is not an extended regular
# expression (bash's =~ then returns 2).
_sock64_bad_regexp() {
	local status=0
	[[ '' =~ $1 ]] || status=$?
	((status == 2))
}
