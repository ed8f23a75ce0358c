/*
 * Unit tests for the refusal log: the first refusal of a key is the
 * caller's line, the rest one line per key per interval, keys beyond the
 * table one line together, reasons apart; the clock is ours.
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

/* A --max-per-source refusal of src named name: 1 if to be logged. */
static int
note(struct refusal_log *rl, const char *name, int64_t now)
{
	struct addr_source	 src;

	src = ip(strchr(name, ':') != NULL ? AF_INET6 : AF_INET, name);
	return refusal_note(rl, REFUSAL_SOURCE, &src, name,
	    "--max-per-source", now);
}

static void
test_first_then_summary(void)
{
	struct refusal_log	 rl;
	const char		*out;
	int			 k, due, logged = 0;

	memset(&rl, 0, sizeof(rl));
	cap_start();
	CHECK(note(&rl, "127.0.0.1", T0) == 1, "the first is the caller's");
	for (k = 1; k <= 4; k++)
		logged += note(&rl, "127.0.0.1", T0 + k * 1000);
	due = refusal_flush(&rl, T0 + 5000, 0);
	out = cap_end();
	CHECK(logged == 0, "%d of the next ones to be logged", logged);
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
	CHECK(note(&rl, "127.0.0.1", T0 + 20001) == 1, "logged again");
}

static void
test_overflow(void)
{
	struct refusal_log	 rl;
	char			 name[32], want[160];
	const char		*out;
	int			 i, k, logged = 0;

	memset(&rl, 0, sizeof(rl));
	for (k = 0; k < 2; k++)
		for (i = 0; i < REFUSAL_SLOTS + 8; i++) {
			snprintf(name, sizeof(name), "10.0.0.%d", i);
			logged += note(&rl, name, T0 + k);
		}
	CHECK(logged == REFUSAL_SLOTS, "%d logged at once", logged);

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

/* Keys of other reasons, or of another name, are summed up apart. */
static void
test_reasons_apart(void)
{
	struct refusal_log	 rl;
	struct addr_source	 net = ip(AF_INET, "203.0.113.0");
	const char		*out;
	int			 k, first = 0;

	memset(&rl, 0, sizeof(rl));
	for (k = 0; k < 1532; k++)
		first += refusal_note(&rl, REFUSAL_RULE, &net,
		    "203.0.113.0/24", "deny 203.0.113.0/24, --deny", T0 + k);
	first += refusal_note(&rl, REFUSAL_RULE, &net, "203.0.113.0/25",
	    "deny 203.0.113.0/25, --deny", T0);
	first += refusal_note(&rl, REFUSAL_RATE, &net, "203.0.113.0",
	    "--max-rate-per-source", T0);
	first += refusal_note(&rl, REFUSAL_RATE, &net, "203.0.113.0",
	    "--max-rate-per-source", T0 + 1);
	CHECK(first == 3, "%d first refusals", first);
	cap_start();
	refusal_flush(&rl, T0 + 10000, 0);
	out = cap_end();
	CHECK(lines(out) == 2, "%s", out);
	CHECK(strstr(out, "203.0.113.0/24: refused 1531 more connections in "
	    "the last 10 s (deny 203.0.113.0/24, --deny)\n") != NULL, "%s",
	    out);
	CHECK(strstr(out, "203.0.113.0: refused 1 more connections in the "
	    "last 10 s (--max-rate-per-source)\n") != NULL, "%s", out);
}

int
main(void)
{
	log_init("refusal_test", LOG_LEVEL_INFO, LOG_TO_STDERR);
	test_first_then_summary();
	test_overflow();
	test_reasons_apart();
	return check_exit("refusal_test");
}
