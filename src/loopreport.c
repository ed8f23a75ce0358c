/*
 * sock64: what the parent loop counts, and where the counts go.  The
 * parent counts what it does itself (accepts, forks, pauses, refusals)
 * with a few additions on its own path; what happened inside each
 * connection reaches it as one summary a child writes down the tally
 * pipe as it ends (tally.c).  The report hook (STATUS=, the metrics
 * file) hears of changed counts at most once a second, and SIGUSR1 logs
 * them all at once.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "loopint.h"
#include "tally.h"
#include "util.h"

/* The report hook hears of changed counts at most this often. */
#define LOOP_REPORT_MS		1000

/*
 * How many summaries a pipe of size bytes holds for sure.  Linux fills
 * a pipe a page at a time and starts a new page for a write that does
 * not fit whole in the last one: 65536 bytes hold 16 x 24 summaries of
 * 168 bytes, not 390.
 */
static size_t
loop_tally_room(size_t size)
{
	long	 page = sysconf(_SC_PAGESIZE);
	size_t	 one = sizeof(struct tally_conn);

	if (page <= 0 || (size_t)page < one || size < (size_t)page)
		return size / one;
	return size / (size_t)page * ((size_t)page / one);
}

/*
 * The pipe the children's summaries come down: both ends close-on-exec
 * and non-blocking (a child never waits for a busy parent; its summary
 * is then lost, not its connection).  Returns 0, or -1 with errno.
 */
int
loop_tally_open(struct loop *lp)
{
	lp->tally_pipe[0] = lp->tally_pipe[1] = -1;
	if (compat_pipe(lp->tally_pipe) == -1)
		return -1;
	lp->tally_room = loop_tally_room(
	    compat_pipe_size(lp->tally_pipe[0]));
	lp->tally.started_ms = util_wall_ms();
	return 0;
}

void
loop_tally_close(struct loop *lp)
{
	if (lp->tally_pipe[0] != -1)
		close(lp->tally_pipe[0]);
	if (lp->tally_pipe[1] != -1)
		close(lp->tally_pipe[1]);
	lp->tally_pipe[0] = lp->tally_pipe[1] = -1;
}

/*
 * Adds every summary waiting in the pipe to the counts, and logs its
 * line.  Read before the child is reaped, so it is still in the table.
 */
void
loop_tally_read(struct loop *lp)
{
	struct tally_conn	 tc;
	const struct child	*ch;

	while (read(lp->tally_pipe[0], &tc, sizeof(tc)) ==
	    (ssize_t)sizeof(tc)) {
		tally_add(&lp->tally, &tc);
		if (tc.logged || tc.pid <= 0 || (ch = children_find(
		    &lp->children, (pid_t)tc.pid)) == NULL)
			continue;
		tc.peer[sizeof(tc.peer) - 1] = '\0';
		tally_log_conn(&tc, tc.peer, ch->listener->name);
	}
}

/* The counts as of now, all of them. */
void
loop_tally_now(const struct loop *lp, struct tally *t)
{
	const struct admit_counts	*c = &lp->admit.counts;
	size_t				 i;

	/* memcpy, padding and all: loop_report() compares with memcmp. */
	memcpy(t, &lp->tally, sizeof(*t));
	/* Spares wait for a client: they are no connection. */
	t->active = lp->children.n - lp->spares.n;
	for (i = 0; i < REFUSAL_REASONS; i++)
		t->refused[i] = c->refused[i];
	t->pauses[TALLY_PAUSE_RATE] = c->paced;
}

/*
 * Gives the report hook the counts if they changed, at most once every
 * LOOP_REPORT_MS (a busy server pays one clock read per wake-up and
 * nothing per client), and always at the start and when stopping.
 * Returns the ms until a held-back report is due, or -1 when none is.
 */
int
loop_report(struct loop *lp, enum tally_phase phase)
{
	const struct loop_opts		*o = lp->opts;
	struct tally			 t;
	int64_t				 now;

	if (o->report == NULL)
		return -1;
	loop_tally_now(lp, &t);
	t.phase = phase;
	if (phase == TALLY_RUNNING && memcmp(&t, &lp->reported,
	    sizeof(t)) == 0)
		return -1;
	now = util_now_ms();
	if (phase == TALLY_RUNNING && lp->reported_at != 0 &&
	    now - lp->reported_at < LOOP_REPORT_MS)
		return (int)(LOOP_REPORT_MS - (now - lp->reported_at));
	o->report(&t, o->report_arg);
	memcpy(&lp->reported, &t, sizeof(t));
	/* Compared as running: a change after the start is a change. */
	lp->reported.phase = TALLY_RUNNING;
	lp->reported_at = now;
	return -1;
}

/* SIGUSR1: every count in one line. */
void
loop_log_tally(const struct loop *lp)
{
	struct tally	 t;

	loop_tally_now(lp, &t);
	tally_log(&t);
}

/*
 * At shutdown, when anything was refused or held back: the counts by
 * reason since the start.
 */
void
loop_log_counts(const struct loop *lp)
{
	struct tally	 t;

	loop_tally_now(lp, &t);
	if (t.refused[REFUSAL_RULE] == 0 && t.refused[REFUSAL_RATE] == 0 &&
	    t.refused[REFUSAL_SOURCE] == 0 &&
	    t.pauses[TALLY_PAUSE_RATE] == 0 && t.pauses[TALLY_PAUSE_CAP] == 0)
		return;
	log_info("since the start: refused %llu by the rules, %llu over "
	    "--max-rate-per-source, %llu over --max-per-source; accepting "
	    "waited %llu times for --max-rate and %llu times at -c",
	    (unsigned long long)t.refused[REFUSAL_RULE],
	    (unsigned long long)t.refused[REFUSAL_RATE],
	    (unsigned long long)t.refused[REFUSAL_SOURCE],
	    (unsigned long long)t.pauses[TALLY_PAUSE_RATE],
	    (unsigned long long)t.pauses[TALLY_PAUSE_CAP]);
}
