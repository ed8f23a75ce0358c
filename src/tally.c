/*
 * sock64: connection summaries and the server's counts.  A child's
 * summary reaches the parent as one fixed-size write to a pipe that all
 * children share: smaller than PIPE_BUF, so never interleaved, and the
 * only thing a child ever sends that way, once, as it ends.  No shared
 * memory: a child can at worst send a wrong summary, never corrupt the
 * parent's counts.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tally.h"
#include "util.h"

static const char *const tally_ends[TALLY_ENDS] = {
	"eof", "terminated", "malformed", "oversize", "truncated",
	"frame-timeout", "idle-timeout", "write-timeout", "peer-gone",
	"io-error", "handler-failed", "refused-rule", "refused-rate",
	"refused-source", "error"
};

static const char *const tally_failures[TALLY_FAILURES] = {
	"none", "exit", "signal", "timeout", "oversize", "start", "other"
};

static const char *const tally_pauses[TALLY_PAUSES] = {
	"resources", "cap", "rate"
};

static void	tally_quote(char *, size_t, const char *);

const char *
tally_end_name(enum tally_end e)
{
	return (unsigned int)e < TALLY_ENDS ? tally_ends[e] : "error";
}

const char *
tally_failure_name(enum tally_failure f)
{
	return (unsigned int)f < TALLY_FAILURES ? tally_failures[f] : "other";
}

const char *
tally_pause_name(enum tally_pause p)
{
	return (unsigned int)p < TALLY_PAUSES ? tally_pauses[p] : "?";
}

/*
 * The connection's summary, one line at info level of key=value pairs
 * that logfmt tools and people both read: peer and listener (quoted
 * when they hold a blank or a quote), then numbers and words.
 */
void
tally_log_conn(const struct tally_conn *tc, const char *peer,
    const char *listener)
{
	char	 p[300], l[300], fail[40] = "";

	if (log_get_level() < LOG_LEVEL_INFO)
		return;
	tally_quote(p, sizeof(p), peer);
	tally_quote(l, sizeof(l), listener);
	if (tc->failure != TALLY_FAIL_NONE)
		snprintf(fail, sizeof(fail), " handler_failure=%s",
		    tally_failure_name(tc->failure));
	log_info("peer=%s listener=%s duration_ms=%" PRId64 " requests=%"
	    PRIu64 " bytes_in=%" PRIu64 " bytes_out=%" PRIu64 " end=%s%s", p,
	    l, tc->duration_ms, tc->requests, tc->bytes_in, tc->bytes_out,
	    tally_end_name(tc->end), fail);
}

/* A logfmt value: as it is, or in double quotes with \ before " and \. */
static void
tally_quote(char *buf, size_t size, const char *s)
{
	size_t	 n = 0;

	if (s[0] != '\0' && strpbrk(s, " \t\"\\=") == NULL) {
		util_strlcpy(buf, s, size);
		return;
	}
	buf[n++] = '"';
	for (; *s != '\0' && n + 3 < size; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n++] = '"';
	buf[n] = '\0';
}

/*
 * In a child, as it ends: the summary to the parent.  Returns 0, or -1
 * with errno (a parent gone or too busy to read: the summary is lost,
 * the connection was served all the same).
 */
int
tally_send(int fd, const struct tally_conn *tc)
{
	ssize_t	 n;

	while ((n = write(fd, tc, sizeof(*tc))) == -1 && errno == EINTR)
		continue;
	return n == (ssize_t)sizeof(*tc) ? 0 : -1;
}

/* In the parent: a child's summary added to the counts. */
void
tally_add(struct tally *t, const struct tally_conn *tc)
{
	t->ends[tc->end < TALLY_ENDS ? tc->end : TALLY_ERROR]++;
	t->requests += tc->requests;
	t->bytes_in += tc->bytes_in;
	t->bytes_out += tc->bytes_out;
	if (tc->duration_ms > 0)
		t->duration_ms += (uint64_t)tc->duration_ms;
	t->handler_runs += tc->handler_runs;
	if (tc->failure != TALLY_FAIL_NONE)
		t->failures[tc->failure < TALLY_FAILURES ? tc->failure :
		    TALLY_FAIL_OTHER]++;
}

/* SIGUSR1: every count, one line. */
void
tally_log(const struct tally *t)
{
	char	 ends[512], fails[160], *p;
	size_t	 i, n = 0, m = 0;

	ends[0] = fails[0] = '\0';
	for (i = 0; i < TALLY_ENDS && n < sizeof(ends); i++)
		n += (size_t)snprintf(ends + n, sizeof(ends) - n, " end_%s=%"
		    PRIu64, tally_ends[i], t->ends[i]);
	/* Keys of words and underscores: "end_frame_timeout". */
	for (p = ends; (p = strchr(p, '-')) != NULL; p++)
		*p = '_';
	for (i = 1; i < TALLY_FAILURES && m < sizeof(fails); i++)
		m += (size_t)snprintf(fails + m, sizeof(fails) - m,
		    " handler_failure_%s=%" PRIu64, tally_failures[i],
		    t->failures[i]);
	log_info("counts: active=%zu accepted=%" PRIu64 " served=%" PRIu64
	    " refused_rule=%" PRIu64 " refused_rate=%" PRIu64
	    " refused_source=%" PRIu64 " requests=%" PRIu64 " bytes_in=%"
	    PRIu64 " bytes_out=%" PRIu64 " handler_runs=%" PRIu64 "%s%s"
	    " paused_resources=%" PRIu64 " paused_cap=%" PRIu64
	    " paused_rate=%" PRIu64 " crashed=%" PRIu64, t->active,
	    t->accepted, t->served, t->refused[REFUSAL_RULE],
	    t->refused[REFUSAL_RATE], t->refused[REFUSAL_SOURCE],
	    t->requests, t->bytes_in, t->bytes_out, t->handler_runs, fails, ends, t->pauses[TALLY_PAUSE_RESOURCES],
	    t->pauses[TALLY_PAUSE_CAP], t->pauses[TALLY_PAUSE_RATE],
	    t->crashed);
}
