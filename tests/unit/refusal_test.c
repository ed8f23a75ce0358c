/*
 * Unit tests for the refusal log: the first refusal of a source is a line
 * at once, the rest one line per source per interval, sources beyond the
 * table one line together; the clock is ours.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "check.h"
#include "log.h"
#include "refusal.h"

#define T0	1000000		/* any time: the clock is the caller's */

static size_t
lines(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_first_then_summary(void)
{
	struct refusal_log	 rl;
	struct addr_source	 src = ip(AF_INET, "127.0.0.1");
	const char		*out;
	int			 k, due;

	memset(&rl, 0, sizeof(rl));
	cap_start();
	refusal_note(&rl, &src, "127.0.0.1:5000", "127.0.0.1:8000", 1, T0);
	out = cap_end();
	CHECK(lines(out) == 1, "%s", out);
	CHECK(strstr(out, ": warning: 127.0.0.1:5000: refused on "
	    "127.0.0.1:8000: 1 connections from this address already "
	    "(--max-per-source)\n") != NULL, "%s", out);

	cap_start();
	for (k = 1; k <= 4; k++)
		refusal_note(&rl, &src, "127.0.0.1:5001", "127.0.0.1:8000", 1,
		    T0 + k * 1000);
	due = refusal_flush(&rl, T0 + 5000, 0);
	out = cap_end();
	CHECK(*out == '\0', "counted refusals were logged: %s", out);
	CHECK(due == 5000, "due in %d ms", due);

	cap_start();
	due = refusal_flush(&rl, T0 + 10000, 0);
	out = cap_end();
	CHECK(lines(out) == 1, "%s", out);
	CHECK(strstr(out, ": warning: 127.0.0.1: refused 4 more connections "
	    "in the last 10 s (--max-per-source)\n") != NULL, "%s", out);
	CHECK(due == REFUSAL_INTERVAL_MS, "due in %d ms", due);

	/* A quiet interval frees the slot: the next refusal is a line. */
	cap_start();
	due = refusal_flush(&rl, T0 + 20000, 0);
	out = cap_end();
	CHECK(*out == '\0', "%s", out);
	CHECK(due == -1 && rl.active == 0, "due %d, %zu active", due,
	    rl.active);
	cap_start();
	refusal_note(&rl, &src, "127.0.0.1:5002", "127.0.0.1:8000", 1,
	    T0 + 20001);
	out = cap_end();
	CHECK(lines(out) == 1 && strstr(out, "127.0.0.1:5002: refused on")
	    != NULL, "%s", out);
}

static void
test_overflow(void)
{
	struct refusal_log	 rl;
	struct addr_source	 src;
	char			 name[32], want[128];
	const char		*out;
	int			 i, k;

	memset(&rl, 0, sizeof(rl));
	cap_start();
	for (k = 0; k < 2; k++)
		for (i = 0; i < REFUSAL_SLOTS + 8; i++) {
			snprintf(name, sizeof(name), "10.0.0.%d", i);
			src = ip(AF_INET, name);
			refusal_note(&rl, &src, name, "L", 2, T0 + k);
		}
	out = cap_end();
	CHECK(lines(out) == REFUSAL_SLOTS, "%zu lines: %s", lines(out), out);
	CHECK(strstr(out, "10.0.0.31: refused on L") != NULL &&
	    strstr(out, "10.0.0.32:") == NULL, "%s", out);

	cap_start();
	CHECK(refusal_flush(&rl, T0 + 3000, 1) == -1, "still held");
	out = cap_end();
	CHECK(lines(out) == REFUSAL_SLOTS + 1, "%zu lines: %s", lines(out),
	    out);
	CHECK(strstr(out, ": warning: 10.0.0.0: refused 1 more connections "
	    "in the last 3 s (--max-per-source)\n") != NULL, "%s", out);
	snprintf(want, sizeof(want), ": warning: refused 16 connections "
	    "from other sources in the last 3 s (--max-per-source; too many "
	    "sources to name each)\n");
	CHECK(strstr(out, want) != NULL, "%s", out);
	CHECK(rl.active == 0, "%zu active", rl.active);
}

static void
test_unix_and_ipv6(void)
{
	struct refusal_log	 rl;
	struct addr_source	 user, v6 = ip(AF_INET6, "2001:db8::1");
	long long		 uid = 1000;
	const char		*out;

	memset(&rl, 0, sizeof(rl));
	memset(&user, 0, sizeof(user));
	user.family = AF_UNIX;
	memcpy(user.bytes, &uid, sizeof(uid));
	cap_start();
	refusal_note(&rl, &user, "uid 1000", "unix:/s", 3, T0);
	refusal_note(&rl, &user, "uid 1000", "unix:/s", 3, T0 + 100);
	refusal_note(&rl, &v6, "[2001:db8::1]:9", "[::]:80", 1, T0);
	refusal_note(&rl, &v6, "[2001:db8::1]:9", "[::]:80", 1, T0 + 100);
	refusal_note(&rl, &v6, "[2001:db8::1]:9", "[::]:80", 1, T0 + 200);
	refusal_flush(&rl, T0 + 400, 1);
	out = cap_end();
	CHECK(lines(out) == 4, "%s", out);
	CHECK(strstr(out, "uid 1000: refused on unix:/s: 3 connections from "
	    "this user already (--max-per-source)\n") != NULL, "%s", out);
	CHECK(strstr(out, "uid 1000: refused 1 more connections in the last "
	    "1 s") != NULL, "%s", out);
	CHECK(strstr(out, "2001:db8::1: refused 2 more connections in the "
	    "last 1 s") != NULL, "%s", out);
}

int
main(void)
{
	log_init("refusal_test", LOG_LEVEL_INFO, LOG_TO_STDERR);
	test_first_then_summary();
	test_overflow();
	test_unix_and_ipv6();
	return check_exit("refusal_test");
}
