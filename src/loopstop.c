/*
 * sock64: the parent loop's shutdown.  No new clients: the listeners
 * close, a client still waiting for its fork is closed unserved, and
 * the spares waiting for a client exit.
 * Every child gets SIGTERM, finishes the reply in flight and exits;
 * after --grace, SIGKILL for those left.  Every child is reaped before
 * loop_run() returns.
 */
#include "config.h"

#include <sys/types.h>

#include <signal.h>
#include <unistd.h>

#include "compat.h"
#include "listen.h"
#include "log.h"
#include "loopint.h"
#include "sig.h"
#include "util.h"

/* At shutdown, how long a client accepted just now has to send. */
#define LOOP_SETTLE_MS		100

static void	loop_pending_close(struct loop *);
static void	loop_settle(struct loop *);
static void	loop_nap(struct loop *, int);
static size_t	loop_serving(const struct loop *);

/*
 * Shutdown: no new clients; SIGTERM to every child, which finishes the
 * reply in flight and exits; after the grace period, SIGKILL to those
 * left.  Every child is reaped before we return.
 */
void
loop_stop(struct loop *lp)
{
	const struct loop_opts		*o = lp->opts;
	int64_t				 deadline;
	size_t				 i, busy;
	int				 killed = 0, left;

	for (i = 0; i < o->nlisteners; i++)
		listen_close(&o->listeners[i]);
	loop_pending_close(lp);
	/* Idle spares see end of file and exit now. */
	spare_close_all(&lp->spares);
	srclimit_close(&lp->srclimit, &lp->children);
	loop_settle(lp);
	if ((busy = loop_serving(lp)) > 0)
		log_info("stopping: waiting up to %d s for %zu connections",
		    o->grace, busy);
	children_signal(&lp->children, SIGTERM);
	deadline = util_now_ms() + (int64_t)o->grace * 1000;
	sig_got_chld = 0;
	loop_reap(lp);
	while (lp->children.n > 0) {
		left = util_remaining_ms(deadline);
		if (left == 0 && !killed) {
			log_warnx("%zu connections still open after %d s: "
			    "killing them", lp->children.n, o->grace);
			children_signal(&lp->children, SIGKILL);
			lp->tally.killed += lp->children.n;
			killed = 1;
		}
		loop_nap(lp, killed ? 1000 : left);
	}
}

/*
 * Before the children are told to stop: a client accepted a moment ago
 * may not have sent its first frame yet, and a child stopped now would
 * close on it unanswered.  Waits LOOP_SETTLE_MS (within --grace) while
 * children remain, reaping those that finish.
 */
static void
loop_settle(struct loop *lp)
{
	const struct loop_opts		*o = lp->opts;
	int64_t				 until;
	int				 left;

	left = o->grace * 1000 < LOOP_SETTLE_MS ? o->grace * 1000 :
	    LOOP_SETTLE_MS;
	until = util_now_ms() + left;
	while (lp->children.n > 0 && (left = util_remaining_ms(until)) > 0)
		loop_nap(lp, left);
}

/* The children that have a client: not the spares still exiting. */
static size_t
loop_serving(const struct loop *lp)
{
	size_t	 i, n = 0;

	for (i = 0; i < lp->children.n; i++)
		if (lp->children.child[i].listener != NULL)
			n++;
	return n;
}

/*
 * At shutdown: waits ms, or less when SIGCHLD arrives (ppoll returns
 * early with EINTR), then reaps.
 */
static void
loop_nap(struct loop *lp, int ms)
{
	struct timespec	 ts;

	ts = util_ms_timespec(ms);
	compat_ppoll(NULL, 0, &ts, &lp->opts->wait_mask);
	sig_got_chld = 0;
	loop_reap(lp);
}

/*
 * At shutdown, a client whose fork still fails will not be served.  It
 * is closed as the clients still in the listen backlog are when the
 * listening sockets close: close(2), so it sees end of input, or a reset
 * if it had sent bytes we never read.  A line says so.
 */
static void
loop_pending_close(struct loop *lp)
{
	struct accepted	*a = &lp->pending;
	char		 peer[ADDR_NAME_MAX];

	if (a->fd == -1)
		return;
	listen_client_name(a->listener, &a->addr, a->addrlen, peer, sizeof(peer));
	log_warnx("%s: closed unserved: no child could be forked for it "
	    "before shutdown", peer);
	close(a->fd);
	a->fd = -1;
}
