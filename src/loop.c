/*
 * sock64: the parent's loop.  It does as little per client as it can:
 * accept, fork, close; the child runs the session, a function pointer,
 * so the loop knows processes, not the protocol.  It keeps the children
 * to count, cap and signal them; SIGCHLD only sets a flag, and reaping
 * happens here.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "admit.h"
#include "children.h"
#include "compat.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "loopint.h"
#include "sig.h"
#include "srclimit.h"
#include "util.h"

/* After accept(2) runs out of a resource, or fork(2) fails. */
#define LOOP_PAUSE_MS		100
#define LOOP_WARN_EVERY_MS	10000

static int	loop_open(struct loop *, const struct loop_opts *);
static void	loop_close(struct loop *);
static int	loop_wait(struct loop *, int);
static int	loop_due(struct loop *);
static void	loop_accept(struct loop *, const struct listener *);
static void	loop_pause(struct loop *, const char *, const char *, int);
static int	loop_spawn(struct loop *, const struct accepted *);
static pid_t	loop_fork(struct loop *, const struct accepted *,
		    const int [2]);
static int	loop_room(const struct loop *);
static void	loop_retry(struct loop *);

/*
 * Serves every listener until SIGTERM or SIGINT; returns 0 once stopped
 * (listeners closed, every child signalled and reaped), or -1 if it
 * could not start.  Trapped signals must be blocked (sig.c).
 */
int
loop_run(const struct loop_opts *o)
{
	struct loop	 lp;
	size_t		 i;

	if (loop_open(&lp, o) == -1)
		return -1;
	loop_report(&lp, TALLY_STARTING);
	for (;;) {
		if (sig_got_chld) {
			sig_got_chld = 0;
			loop_reap(&lp);
		}
		loop_retry(&lp);
		if (sig_got_term)
			break;
		if (sig_got_hup) {
			sig_got_hup = 0;
			admit_reload(&lp.admit);
		}
		if (sig_got_usr1) {
			sig_got_usr1 = 0;
			loop_tally_read(&lp);
			loop_log_tally(&lp);
		}
		spare_fill(&lp);
		if (loop_wait(&lp, loop_due(&lp)) <= 0)
			continue;
		for (i = 0; i < o->nlisteners; i++)
			if (lp.pfd[LOOP_PFD_LISTENERS + i].revents != 0)
				loop_accept(&lp, &o->listeners[i]);
	}
	loop_report(&lp, TALLY_STOPPING);
	loop_stop(&lp);
	loop_report(&lp, TALLY_STOPPED);
	loop_log_counts(&lp);
	loop_close(&lp);
	return 0;
}

/*
 * The loop's state, its pipes and what it polls.  Returns 0, or -1 with
 * errno and nothing left open.
 */
static int
loop_open(struct loop *lp, const struct loop_opts *o)
{
	size_t	 i;

	memset(lp, 0, sizeof(*lp));
	lp->opts = o;
	lp->pending.fd = -1;
	lp->tally_pipe[0] = lp->tally_pipe[1] = -1;
	if (children_init(&lp->children, o->max_children) == -1)
		return -1;
	if (spare_init(&lp->spares, o->spares) == -1 ||
	    admit_open(&lp->admit, o->admit, o->rules) == -1) {
		spare_free(&lp->spares);
		children_free(&lp->children);
		return -1;
	}
	lp->pfd = calloc(o->nlisteners + LOOP_PFD_LISTENERS,
	    sizeof(*lp->pfd));
	if (lp->pfd == NULL || loop_tally_open(lp) == -1 ||
	    srclimit_open(&lp->srclimit, o->max_per_source, &lp->admit,
	    o->later_source, o->later_arg) == -1) {
		loop_close(lp);
		return -1;
	}
	lp->pfd[LOOP_PFD_REPORTS].fd = lp->srclimit.reports[0];
	lp->pfd[LOOP_PFD_TALLY].fd = lp->tally_pipe[0];
	for (i = 0; i < o->nlisteners; i++)
		lp->pfd[LOOP_PFD_LISTENERS + i].fd = o->listeners[i].fd;
	for (i = 0; i < o->nlisteners + LOOP_PFD_LISTENERS; i++)
		lp->pfd[i].events = POLLIN;
	return 0;
}

static void
loop_close(struct loop *lp)
{
	int	 saved = errno;

	loop_tally_close(lp);
	admit_close(&lp->admit);
	spare_free(&lp->spares);
	children_free(&lp->children);
	free(lp->pfd);
	errno = saved;
}

/*
 * Waits in ppoll(2), the only place the trapped signals are open; it
 * takes descriptors of any number, as select(2) does not.  Listeners are
 * watched only below the child cap and outside a pause (a resource
 * shortage, or --max-rate), so none of these ever spins.  Returns the number of ready
 * listeners (their revents say which), 0 on a signal or time-out.  Work
 * due in due ms (-1: none) bounds the wait.
 */
static int
loop_wait(struct loop *lp, int due)
{
	const struct loop_opts		*o = lp->opts;
	struct timespec			 ts, *tsp = NULL;
	nfds_t				 nfds = LOOP_PFD_LISTENERS;
	int				 n, ms;

	/* The pipes are read even at the cap or in a pause. */
	if ((ms = util_remaining_ms(lp->paused_until)) <= 0) {
		/* Not paused (-1), or the pause is over (0). */
		lp->paused_until = 0;
		/* Held back by --max-rate: the ms left, else -1 or 0. */
		ms = util_remaining_ms(lp->paced_until);
		if (lp->pending.fd != -1)
			ms = 0;		/* its fork is due: loop_retry() */
		else if (ms <= 0) {
			ms = -1;
			lp->paced_until = 0;
			if (loop_room(lp))
				nfds += o->nlisteners;
		}
	}
	if (due >= 0 && (ms == -1 || due < ms))
		ms = due;
	/*
	 * A child sends one summary as it ends, and loop_reap() reads the
	 * pipe as it reaps each child.  While the children cannot fill the
	 * pipe, their summaries wait for the SIGCHLD that follows: one
	 * wake-up per client instead of two.
	 */
	lp->pfd[LOOP_PFD_TALLY].events = lp->children.n < lp->tally_room ?
	    0 : POLLIN;
	if (ms >= 0) {
		ts = util_ms_timespec(ms);
		tsp = &ts;
	}
	n = compat_ppoll(lp->pfd, nfds, tsp, &o->wait_mask);
	if (n == -1) {
		/* After EINTR the revents are not looked at. */
		if (errno != EINTR)
			loop_pause(lp, "ppoll", "", errno);
		return 0;
	}
	if (n > 0 && lp->pfd[LOOP_PFD_REPORTS].revents != 0) {
		srclimit_answer(&lp->srclimit, &lp->children);
		n--;
	}
	if (n > 0 && lp->pfd[LOOP_PFD_TALLY].revents != 0) {
		loop_tally_read(lp);
		n--;
	}
	return n;
}

/*
 * The ms until the loop has something to do besides accepting: a report
 * held back, refusals to sum up in the log, or a spare to fork.  -1 for
 * nothing.
 */
static int
loop_due(struct loop *lp)
{
	int	 due[3], i, ms = -1;

	due[0] = loop_report(lp, 0);
	due[1] = admit_due(&lp->admit);
	due[2] = spare_due(lp);
	for (i = 0; i < 3; i++)
		if (due[i] != -1 && (ms == -1 || due[i] < ms))
			ms = due[i];
	return ms;
}

/*
 * True while another client can be served: fewer children than -c, or
 * a spare waiting (spares count towards -c).
 */
static int
loop_room(const struct loop *lp)
{
	return lp->children.n < lp->opts->max_children || lp->spares.n > 0;
}

/*
 * Accepts clients from one listener until it has none, we are full,
 * --max-rate says to wait, or a fork failed: then the rest wait in the
 * backlog (see loop_retry).
 */
static void
loop_accept(struct loop *lp, const struct listener *l)
{
	struct accepted			 a;
	enum srclimit_verdict		 v;
	int				 wait;

	a.listener = l;
	while (lp->pending.fd == -1 && loop_room(lp)) {
		if ((wait = admit_pace(&lp->admit)) > 0) {
			lp->paced_until = util_now_ms() + wait;
			return;
		}
		a.addrlen = sizeof(a.addr);
		a.fd = compat_accept(l->fd, (struct sockaddr *)&a.addr,
		    &a.addrlen);
		if (a.fd == -1) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			default:
				/* EMFILE, ENFILE, ENOBUFS, ENOMEM... */
				loop_pause(lp, "accept on ", l->name, errno);
				return;
			}
		}
		admit_accepted(&lp->admit);
		lp->tally.accepted++;
		v = srclimit_admit(&lp->srclimit, &lp->children, l, a.fd,
		    &a.addr, a.addrlen, &a.source);
		if (v == SRCLIMIT_REFUSED) {
			close(a.fd);
			continue;
		}
		/* Counted once the child knows the source (PROXY). */
		a.later = v == SRCLIMIT_LATER;
		loop_spawn(lp, &a);
	}
}

/*
 * Stops watching the listeners for a moment after a resource shortage
 * (or until a child exits and frees what it held), warning "WHAT OBJ:
 * strerror" at most once every LOOP_WARN_EVERY_MS.
 */
static void
loop_pause(struct loop *lp, const char *what, const char *obj, int err)
{
	int64_t	 now = util_now_ms();

	lp->paused_until = now + LOOP_PAUSE_MS;
	lp->tally.pauses[TALLY_PAUSE_RESOURCES]++;
	if (lp->warned_at != 0 && now - lp->warned_at < LOOP_WARN_EVERY_MS)
		return;
	lp->warned_at = now;
	errno = err;
	log_warn("%s%s (pausing accepts briefly)", what, obj);
}

/*
 * Gives the accepted client a process: a waiting spare, else a child
 * forked now.  If that fails (fork, or the pipe for a later verdict),
 * the client is not closed: it becomes lp->pending, accepting pauses,
 * and loop_retry() tries again before anyone else is accepted.  Returns
 * 0, or -1 for a client left pending.
 */
static int
loop_spawn(struct loop *lp, const struct accepted *a)
{
	struct child	*ch;
	pid_t		 pid = -1;
	int		 vp[2] = { -1, -1 };

	if (a->later && srclimit_verdict_pipe(vp) == -1)
		loop_pause(lp, "pipe", "", errno);
	else if ((pid = spare_hand(lp, a, vp[0])) == -1)
		pid = loop_fork(lp, a, vp);
	if (vp[0] != -1)
		close(vp[0]);
	if (pid == -1) {
		if (vp[1] != -1)
			close(vp[1]);
		lp->pending = *a;
		return -1;
	}
	/* A spare is in the table; a new child has room (loop_room). */
	if ((ch = children_find(&lp->children, pid)) == NULL)
		ch = children_add(&lp->children, pid);
	ch->verdict_fd = vp[1];
	ch->listener = a->listener;
	ch->addrlen = a->addrlen;
	memcpy(&ch->addr, &a->addr, a->addrlen);
	ch->source = a->source;
	lp->tally.served++;
	spare_client(&lp->spares);
	if (lp->children.n - lp->spares.n == lp->opts->max_children)
		lp->tally.pauses[TALLY_PAUSE_CAP]++;
	close(a->fd);
	return 0;
}

/*
 * Forks a child for a (vp: its verdict pipe, or -1s; the child keeps the
 * read end).  Returns its pid, or -1 with accepting paused: after a
 * failed fork, or when no spare took the client and the children are at
 * -c (a spare had died, and is yet to be reaped).
 */
static pid_t
loop_fork(struct loop *lp, const struct accepted *a, const int vp[2])
{
	pid_t	 pid;

	if (lp->children.n >= lp->opts->max_children) {
		lp->paused_until = util_now_ms() + LOOP_PAUSE_MS;
		return -1;
	}
	if ((pid = fork()) == -1) {
		loop_pause(lp, "fork", "", errno);
		return -1;
	}
	if (pid == 0) {
		if (vp[1] != -1)
			close(vp[1]);
		loop_child_drop(lp);
		loop_child(lp, a, vp[0]);
	}
	return pid;
}

/*
 * The client whose fork failed goes first: once the pause is over, or a
 * child has exited (which ends it), its fork is tried again, before any
 * other client is accepted.  Clients wait meanwhile; none is dropped.
 */
static void
loop_retry(struct loop *lp)
{
	struct accepted	 a;

	if (lp->pending.fd == -1 || util_remaining_ms(lp->paused_until) > 0)
		return;
	a = lp->pending;
	lp->pending.fd = -1;
	loop_spawn(lp, &a);
}

/*
 * Collects every child that has exited; logs the ones that died badly.
 * A child that exits frees descriptors, so a pause in accepting ends.
 */
void
loop_reap(struct loop *lp)
{
	struct child	*ch;
	char		 peer[ADDR_NAME_MAX];
	pid_t		 pid;
	int		 status;

	/* With no child left there is nothing to ask the kernel. */
	while (lp->children.n > 0 &&
	    (pid = waitpid(-1, &status, WNOHANG)) > 0) {
		/*
		 * A child sends its summary before it exits: read now,
		 * it is in the pipe, and its child is still in the table
		 * to name its listener.
		 */
		loop_tally_read(lp);
		lp->paused_until = 0;
		if ((ch = children_find(&lp->children, pid)) == NULL)
			continue;
		if (ch->listener == NULL) {
			/* A spare, which had no client. */
			spare_reaped(&lp->spares, pid);
			if (WIFSIGNALED(status))
				log_warnx("spare child %ld killed by signal %d",
				    (long)pid, WTERMSIG(status));
		} else if (WIFSIGNALED(status)) {
			lp->tally.crashed++;
			listen_client_name(ch->listener, &ch->addr, ch->addrlen,
			    peer, sizeof(peer));
			log_warnx("%s: child %ld killed by signal %d", peer,
			    (long)pid, WTERMSIG(status));
		} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
		    log_get_level() >= LOG_LEVEL_DEBUG) {
			listen_client_name(ch->listener, &ch->addr, ch->addrlen,
			    peer, sizeof(peer));
			log_debug("%s: child %ld exited with status %d", peer,
			    (long)pid, WEXITSTATUS(status));
		}
		if (ch->verdict_fd != -1)
			close(ch->verdict_fd);
		children_remove(&lp->children, ch);
	}
}
