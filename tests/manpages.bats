#!/usr/bin/env bats
# The manual pages: each renders without a single warning, the option
# lists of sock64d(8) and sock64(1) match --help both ways, and
# bats-sock64(7) lists the functions of the kit.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	: "${TOP_BUILDDIR:?make check sets TOP_BUILDDIR}"
	export MAN_BUILDDIR="$TOP_BUILDDIR/man"
}

pages() {
	echo "$MAN_BUILDDIR/sock64d.8" "$MAN_BUILDDIR/sock64.1" \
	    "$MAN_BUILDDIR/sock64.7" "$MAN_BUILDDIR/bats-sock64.7"
}

# help_options PROGRAM: "-X --name" (or "--name" alone), with "=" after
# an option that takes a value, for each option line of PROGRAM --help.
help_options() {
	"$1" --help | sed -n \
	    -e 's/^  \(-[^-]\), \(--[a-z-]*=\{0,1\}\).*/\1 \2/p' \
	    -e 's/^      \(--[a-z-]*=\{0,1\}\).*/\1/p' | LC_ALL=C sort
}

# man_options PAGE: the same, from each ".It Fl" item of PAGE, such as
# ".It Fl b Ar n , Fl -backlog Ns = Ns Ar n" or ".It Fl -grace Ns = ...".
man_options() {
	local line short long re_short='^\.It Fl ([^- ]) ' \
	    re_long='Fl -([a-z][a-z-]*)( Ns =)?'
	grep '^\.It Fl ' "$1" | while IFS= read -r line; do
		short=
		[[ $line =~ $re_short ]] && short="-${BASH_REMATCH[1]} "
		[[ $line =~ $re_long ]] || { echo "no long option: $line"; continue; }
		long="--${BASH_REMATCH[1]}"
		[ -n "${BASH_REMATCH[2]}" ] && long+="="
		echo "$short$long"
	done | LC_ALL=C sort
}

@test "mandoc -T lint finds nothing to warn about in any page" {
	command -v mandoc >/dev/null ||
	    missing "mandoc is not installed (package mandoc)"
	local page
	for page in $(pages); do
		run -0 mandoc -T lint -W warning "$page"
		assert_output ""
	done
}

@test "groff -ww renders every page without a warning" {
	command -v groff >/dev/null ||
	    missing "groff is not installed (package groff-base)"
	local page
	for page in $(pages); do
		run -0 --separate-stderr groff -ww -z -Tutf8 -mandoc "$page"
		assert_output ""
		assert_equal "$stderr" ""
	done
}

@test "sock64d(8) documents exactly the options of sock64d --help" {
	run -0 help_options "$SOCK64D"
	local help=$output
	[ "$(wc -l <<<"$help")" -ge 18 ]
	run -0 man_options "$MAN_BUILDDIR/sock64d.8"
	assert_output "$help"
}

@test "sock64(1) documents exactly the options of sock64 --help" {
	run -0 help_options "$SOCK64"
	local help=$output
	[ "$(wc -l <<<"$help")" -ge 7 ]
	run -0 man_options "$MAN_BUILDDIR/sock64.1"
	assert_output "$help"
}

@test "--version and the pages carry the version from configure" {
	: "${PACKAGE_VERSION:?make check sets PACKAGE_VERSION}"
	run -0 "$SOCK64D" --version
	assert_output "sock64d $PACKAGE_VERSION"
	run -0 "$SOCK64" --version
	assert_output "sock64 $PACKAGE_VERSION"
	local page
	for page in $(pages); do
		run -0 grep '^\.Os ' "$page"
		assert_output ".Os sock64 $PACKAGE_VERSION"
	done
}

@test "the pages name every variable an exec handler gets" {
	local var
	for var in PROTO TCPREMOTEIP TCPREMOTEPORT TCPLOCALIP TCPLOCALPORT \
	    REMOTE_ADDR REMOTE_PORT UNIXREMOTEUID UNIXREMOTEGID \
	    UNIXREMOTEPID SOCK64_REQUEST; do
		run -0 "$SOCK64D" --help
		assert_output --partial "$var"
		run -0 grep -E "^\.It Ev .*\<$var\>" "$MAN_BUILDDIR/sock64d.8"
	done
}

# kit_functions: the public functions bats-sock64 defines, sorted.
kit_functions() {
	bash -c 'fail() { :; }; batslib_decorate() { :; }
	    declare -F | LC_ALL=C sort >"$2"; source "$1" &&
	    declare -F | LC_ALL=C sort | LC_ALL=C comm -13 "$2" -' sh \
	    "$BATS_TEST_DIRNAME/../bats-sock64/load.bash" \
	    "$BATS_TEST_TMPDIR/before" |
	    awk '$3 !~ /^_/ { print $3 }' | LC_ALL=C sort
}

@test "bats-sock64(7) documents exactly the functions of the kit" {
	run -0 kit_functions
	local kit=$output
	[ "$(wc -l <<<"$kit")" -ge 12 ]
	run -0 sh -c 'sed -n "s/^\.It Ic \([a-z_0-9]*\).*/\1/p" "$1" |
	    LC_ALL=C sort -u' sh "$MAN_BUILDDIR/bats-sock64.7"
	assert_output "$kit"
}
