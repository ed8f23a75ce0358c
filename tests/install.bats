#!/usr/bin/env bats
# make install: what it puts where (programs, manual pages, completion,
# units, the bats-sock64 kit), a test file run with the installed kit
# alone, and the systemd units checked by systemd-analyze (verify, and
# the security exposure score).

bats_require_minimum_version 1.5.0
load helpers

# Runs "make install DESTDIR=..." once, in the tree under test.
setup_file() {
	: "${TOP_BUILDDIR:?make check sets TOP_BUILDDIR}"
	export BATS_TEST_TIMEOUT=120
	export DEST="$BATS_FILE_TMPDIR/dest"
	# A make of our own: not a part of make check's jobserver.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -s \
	    -C "$TOP_BUILDDIR" install DESTDIR="$DEST" \
	    >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
	    { cat "$BATS_FILE_TMPDIR/install.log" >&2; return 1; }
}

need_units() {
	[ -n "${SYSTEMDSYSTEMUNITDIR:-}" ] ||
	    skip "configured --with-systemdsystemunitdir=no"
	command -v systemd-analyze >/dev/null ||
	    missing "systemd-analyze is not installed (package systemd)"
}

# analysis_root: a file system tree for systemd-analyze --root: the
# installed files, plus the system's own units (sysinit.target and the
# like) that every unit depends on.  Prints its path.
analysis_root() {
	local root="$BATS_FILE_TMPDIR/root" d
	if [ ! -d "$root" ]; then
		cp -R "$DEST" "$root"
		for d in /usr/lib/systemd/system /lib/systemd/system; do
			[ -e "$d/sysinit.target" ] || continue
			mkdir -p "$root/usr/lib/systemd/system"
			cp -Rn "$d/." "$root/usr/lib/systemd/system/"
			break
		done
		# ExecReload= runs /bin/sh, as every system has it.
		mkdir -p "$root/bin" && cp -L /bin/sh "$root/bin/sh"
	fi
	echo "$root"
}

# analyze ARGS...: systemd-analyze on the installed units, found first
# in the configured unit directory.  verify looks up each Documentation=
# page with man(1), among the installed pages; without man it cannot.
analyze() {
	local root man=yes
	root=$(analysis_root)
	command -v man >/dev/null || man=no
	[ "$1" = verify ] && set -- verify --man="$man" "${@:2}"
	MANPATH="$root$MANDIR" SYSTEMD_UNIT_PATH="$SYSTEMDSYSTEMUNITDIR:" \
	    systemd-analyze --root="$root" "$@"
}

@test "make install DESTDIR= installs the programs, pages, completion and units, nothing else" {
	local expected
	expected="$SBINDIR/sock64d
$BINDIR/sock64
$MANDIR/man1/sock64.1
$MANDIR/man7/bats-sock64.7
$MANDIR/man7/sock64.7
$MANDIR/man8/sock64d.8"
	if [ -n "${BATSLIBDIR:-}" ]; then
		expected+="
$BATSLIBDIR/bats-sock64/load.bash
$BATSLIBDIR/bats-sock64/src/assert.bash
$BATSLIBDIR/bats-sock64/src/client.bash
$BATSLIBDIR/bats-sock64/src/server.bash
$BATSLIBDIR/bats-sock64/src/util.bash"
	fi
	if [ -n "${BASHCOMPLETIONDIR:-}" ]; then
		expected+="
$BASHCOMPLETIONDIR/sock64
$BASHCOMPLETIONDIR/sock64d"
	fi
	if [ -n "${SYSTEMDSYSTEMUNITDIR:-}" ]; then
		expected+="
$SYSTEMDSYSTEMUNITDIR/sock64d-daemon.service
$SYSTEMDSYSTEMUNITDIR/sock64d-daemon.socket
$SYSTEMDSYSTEMUNITDIR/sock64d.socket
$SYSTEMDSYSTEMUNITDIR/sock64d@.service"
	fi
	run -0 sh -c 'cd "$1" && find . ! -type d | sed "s|^\.||" | sort' \
	    sh "$DEST"
	assert_output "$(printf '%s\n' "$expected" | sed 's|//*|/|g' | sort)"
	[ -x "$DEST$SBINDIR/sock64d" ]
	[ -x "$DEST$BINDIR/sock64" ]
}

@test "contrib/greet.bats passes with the installed kit and programs alone" {
	[ -n "${BATSLIBDIR:-}" ] || skip "configured --with-bats-libdir=no"
	# Neither the built programs nor the tree's kit: only PATH and
	# BATS_LIB_PATH lead to the installed copies (and to bats-support).
	run env -u SOCK64D -u SOCK64 -u BATS_TEST_TIMEOUT \
	    PATH="$DEST$SBINDIR:$DEST$BINDIR:$PATH" \
	    BATS_LIB_PATH="$DEST$BATSLIBDIR:${BATS_LIB_PATH:-/usr/lib/bats}" \
	    "${BATS:-bats}" --tap "$TOP_SRCDIR/contrib/greet.bats"
	assert_success
	assert_line "1..3"
	assert_equal "$(grep -c '^ok ' <<<"$output")" 3
}

@test "the installed services run the installed sock64d" {
	need_units
	local unitdir="$DEST$SYSTEMDSYSTEMUNITDIR"
	run -0 grep '^ExecStart=' "$unitdir/sock64d@.service"
	assert_output "ExecStart=-$SBINDIR/sock64d -i"
	run -0 grep '^ExecStart=' "$unitdir/sock64d-daemon.service"
	assert_output "ExecStart=$SBINDIR/sock64d"
	run -1 grep -l '@[a-z_]*@' "$unitdir"/*
}

@test "the per-connection units: Accept=yes, sock64d -i, logs to the journal" {
	need_units
	local unitdir="$DEST$SYSTEMDSYSTEMUNITDIR"
	run -0 grep -x 'Accept=yes' "$unitdir/sock64d.socket"
	run -0 grep -x 'StandardInput=socket' "$unitdir/sock64d@.service"
	run -0 grep -x 'StandardError=journal' "$unitdir/sock64d@.service"
	run -0 grep -x 'Accept=no' "$unitdir/sock64d-daemon.socket"
	run -0 grep -x 'Type=notify' "$unitdir/sock64d-daemon.service"
}

@test "systemd-analyze verify has nothing to say about the installed units" {
	need_units
	run -0 analyze verify sock64d.socket sock64d@.service \
	    sock64d-daemon.socket sock64d-daemon.service
	assert_output ""
}

@test "systemd-analyze verify would catch a unit whose sock64d is missing" {
	need_units
	local root
	root=$(analysis_root)
	mv "$root$SBINDIR/sock64d" "$root$SBINDIR/sock64d.away"
	run analyze verify sock64d-daemon.service
	mv "$root$SBINDIR/sock64d.away" "$root$SBINDIR/sock64d"
	assert_failure
	assert_output --partial "is not executable"
}

# exposure UNIT: the overall exposure score systemd-analyze gives UNIT.
exposure() {
	analyze security --offline=true "$1" 2>&1 |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}

@test "every service unit scores 2.0 or lower in systemd-analyze security" {
	need_units
	local unit score
	for unit in sock64d@.service sock64d-daemon.service; do
		score=$(exposure "$unit")
		[ -n "$score" ] || { echo "no score for $unit" >&2; return 1; }
		echo "# $unit: exposure $score" >&3
		awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
		    { echo "$unit scores $score, over 2.0" >&2; return 1; }
	done
}

@test "the score check sees an unhardened service as over 2.0" {
	need_units
	local root score
	root=$(analysis_root)
	sed '/^# Sandboxing/,$d' "$root$SYSTEMDSYSTEMUNITDIR/sock64d-daemon.service" \
	    >"$root$SYSTEMDSYSTEMUNITDIR/sock64d-bare.service"
	score=$(exposure sock64d-bare.service)
	rm "$root$SYSTEMDSYSTEMUNITDIR/sock64d-bare.service"
	awk -v s="$score" 'BEGIN { exit !(s > 2.0) }'
}

@test "make uninstall DESTDIR= removes every file it installed" {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -s \
	    -C "$TOP_BUILDDIR" uninstall DESTDIR="$DEST"
	run -0 find "$DEST" ! -type d
	assert_output ""
}
