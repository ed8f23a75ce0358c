#!/usr/bin/env bats
# Bash completion for sock64d and sock64: options, addresses, and the
# exec handler's command line, completed as bash-completion would.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	: "${TOP_SRCDIR:?make check sets TOP_SRCDIR}"
	export BASH_COMPLETION_SCRIPT="${BASH_COMPLETION_SCRIPT:-/usr/share/bash-completion/bash_completion}"
}

setup() {
	[ -r "$BASH_COMPLETION_SCRIPT" ] ||
	    missing "bash-completion is not installed (package bash-completion)"
	cd "$BATS_TEST_TMPDIR"
}

# complete LINE: what TAB at the end of LINE offers, one per line, with
# both completions loaded.
complete() {
	bash --noprofile --norc "$TOP_SRCDIR/tests/completion-driver.bash" \
	    "$BASH_COMPLETION_SCRIPT" "$1" "$TOP_SRCDIR/completions/sock64d" \
	    "$TOP_SRCDIR/completions/sock64"
}

# long_options PROGRAM: the long options its --help lists (the lines that
# start with "  -X, --" or six spaces and "--"), with a "=" after those
# that take a value, sorted.
long_options() {
	"$1" --help |
	    sed -n 's/^  \(-[^-], \|    \)\(--[a-z-]*=\{0,1\}\).*/\2/p' |
	    LC_ALL=C sort
}

@test "sock64d --max- completes to the six --max options" {
	run -0 complete "sock64d --max-"
	assert_output "--max-connections=
--max-message=
--max-per-source=
--max-rate-per-source=
--max-rate=
--max-reply="
}

@test "--rules completes file names" {
	mkdir -p "$BATS_TEST_TMPDIR/etc"
	touch "$BATS_TEST_TMPDIR/etc/sock64d.rules"
	cd "$BATS_TEST_TMPDIR"
	run -0 complete "sock64d --rules etc/sock"
	assert_output "etc/sock64d.rules"
}

@test "sock64d -- offers exactly the long options of sock64d --help" {
	run -0 complete "sock64d --"
	assert_output "$(printf '%s\n' -- $(long_options "$SOCK64D") | LC_ALL=C sort)"
}

@test "sock64 -- offers exactly the long options of sock64 --help" {
	run -0 complete "sock64 --"
	assert_output "$(long_options "$SOCK64")"
}

@test "--listen and --connect offer the address forms" {
	local forms="127.0.0.1:8000
:8000
[::1]:8000
unix:"
	run -0 complete "sock64d -q --listen "
	assert_output "$forms"
	run -0 complete "sock64 -c "
	assert_output "$forms"
	run -0 complete "sock64d -l 127"
	assert_output "127.0.0.1:8000"
	# bash splits the word at the colon: only the port is left to fill.
	run -0 complete "sock64 --connect=[::1]:"
	assert_output "8000"
}

@test "sock64 --connect unix: completes file names after the colon" {
	mkdir run
	touch s.sock other
	run -0 complete "sock64 --connect unix:"
	assert_output "other
run/
s.sock"
	run -0 complete "sock64 --connect unix:s"
	assert_output "s.sock"
	touch run/sock64.sock
	run -0 complete "sock64d --listen=unix:run/"
	assert_output "run/sock64.sock"
}

@test "sock64d -u completes user names" {
	run -0 complete "sock64d -u roo"
	assert_output "root"
}

@test "after --, sock64d completes the program's command line" {
	run -0 complete "sock64d -q -- ech"
	assert_line "echo"
	run -0 complete "sock64d -- sock64 --no-"
	assert_output "--no-newline"
}

@test "option values that are numbers get no suggestions" {
	run -0 complete "sock64d --max-message "
	assert_output ""
	run -0 complete "sock64 -t "
	assert_output ""
}

@test "sock64d --socket-mode offers the usual octal modes" {
	run -0 complete "sock64d --socket-mode "
	assert_output "0600
0660
0666"
	run -0 complete "sock64d -l unix:s.sock --socket-mode=066"
	assert_output "0660
0666"
}

@test "sock64d --handler-io offers its two encodings, --passenv variable names" {
	run -0 complete "sock64d --per-connection --handler-io "
	assert_output "frames
lines"
	run -0 complete "sock64d --handler-io=l"
	assert_output "lines"
	SOCK64_COMPLETION_PROBE=1 run -0 complete "sock64d --passenv SOCK64_COMPLETION_P"
	assert_output "SOCK64_COMPLETION_PROBE"
}
