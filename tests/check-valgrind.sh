#!/bin/sh
# Runs bats suites with sock64d under valgrind (memcheck, leaks, fds) and
# fails on any error, any leak, or a descriptor the daemon's parent left
# open that it did not inherit.  Usage: check-valgrind.sh SUITE.bats...
set -u
: "${SOCK64D:?}" "${BATS:=bats}"
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed" >&2; exit 1; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/sock64-valgrind.XXXXXX")
trap 'rm -rf "$logs"' EXIT
cat >"$logs/sock64d" <<WRAP
#!/bin/sh
echo \$\$ >>"$logs/parents"
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --track-fds=yes --error-exitcode=99 --log-file="$logs/vg.%p.log" \
    "$SOCK64D" "\$@"
WRAP
chmod +x "$logs/sock64d"

# Under valgrind everything is slower: allow more time per test.
SOCK64D="$logs/sock64d" BATS_TEST_TIMEOUT=300 "$BATS" --tap "$@"
status=$?

bad=0
for f in "$logs"/vg.*.log; do
	[ -e "$f" ] || continue
	if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]|Invalid (read|write|free)|uninitialised' "$f"; then
		echo "valgrind found errors:" >&2
		cat "$f" >&2
		bad=1
	fi
done
# The wrapper noted each daemon's pid: an open descriptor in a parent's
# log that was not inherited is a leak.  (Children exit with their
# connection open, which is how they close it.)
touch "$logs/parents"
while read -r pid; do
	f="$logs/vg.$pid.log"
	[ -e "$f" ] || continue
	if awk '/^==[0-9]+== Open / { open = 1; next }
	    open && /inherited from parent/ { open = 0; next }
	    open && /^==[0-9]+==    at / { leak = 1 }
	    END { exit !leak }' "$f"; then
		echo "sock64d left a descriptor open:" >&2
		cat "$f" >&2
		bad=1
	fi
done <"$logs/parents"
n=$(ls "$logs" | grep -c '^vg\.')
echo "check-valgrind: $n sock64d processes checked"
[ "$status" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
