#!/bin/sh
# A sock64d --per-connection --handler-io=lines service: each request
# comes as a line, and the reply is that line in upper case, with how
# many requests this connection has made.  printf writes each reply at
# once, so nothing waits in a buffer.
#
#   sock64d --per-connection --handler-io=lines -- contrib/upper-lines.sh
n=0
while IFS= read -r q; do
	n=$((n + 1))
	printf '%d %s\n' "$n" "$(printf '%s' "$q" | tr '[:lower:]' '[:upper:]')"
done
