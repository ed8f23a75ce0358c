# bats-sock64: test a sock64 service from bats.
#
# Load it with
#
#	bats_load_library bats-sock64
#
# (bats 1.7 or later; or with load and its path).  It needs bash 5,
# bats-support (its failures go through fail, as bats-assert's do), and
# the sock64d and sock64 programs; nothing else.  bats-sock64(7) is its
# manual.
#
# Copyright (c) 2026 The sock64 authors.  See the file COPYING.

if ! declare -F batslib_decorate >/dev/null; then
	if declare -F bats_load_library >/dev/null; then
		bats_load_library bats-support
	else
		echo "bats-sock64: load bats-support first (or use bats 1.7 or later)" >&2
		return 1
	fi
fi

_sock64_dir=${BASH_SOURCE[0]%/*}
[ "$_sock64_dir" != "${BASH_SOURCE[0]}" ] || _sock64_dir=.
source "$_sock64_dir/src/util.bash"
source "$_sock64_dir/src/server.bash"
source "$_sock64_dir/src/client.bash"
source "$_sock64_dir/src/assert.bash"
unset _sock64_dir
