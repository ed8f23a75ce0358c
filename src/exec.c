/*
 * sock64: the exec handler.  Each request spawns the program in a
 * process group of its own, with the payload on a pipe to its stdin and
 * its stdout on a pipe back; one poll(2) loop feeds the one and drains
 * the other, so a program may write before it has read everything.  A
 * SIGCHLD self-pipe (sig.c) wakes the loop when the program exits; what
 * its stdout pipe holds then is the rest of the reply.  A run that
 * fails (non-zero exit, a signal, too much output, the time limit) gets
 * no reply, and so does one whose client hangs up while it runs.  After
 * every run, the program's whole process group is killed, and so is
 * every other process it left (execsweep.c).
 * This module knows the handler interface of conn, not sockets.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "execenv.h"
#include "execerr.h"
#include "execspawn.h"
#include "log.h"
#include "sig.h"
#include "util.h"

#define EXEC_OUT_MIN	16384		/* first output buffer */

struct exec_handler {
	struct exec_opts	 opts;
	const char		*peer;
	char			**envp;
	char			 seq_var[40];	/* SOCK64_REQUEST=N */
	char			 kids[64];	/* for exec_sweep */
	posix_spawnattr_t	 attr;
	int			 chld;		/* SIGCHLD self-pipe */
	int			 conn;		/* replies go there; -1 */
	int64_t			 stop_deadline;
	unsigned char		*out;		/* the reply */
	size_t			 outcap;
	struct exec_errlog	 errlog;	/* its stderr, when ours */
	uint32_t		 runs;		/* for the summary */
	enum tally_failure	 failure;	/* the last run's */
};

/* One program run. */
struct exec_run {
	struct exec_handler		*h;
	const struct conn_request	*req;
	pid_t				 pid;
	int				 in;	/* our pipe ends; -1: closed */
	int				 out;
	int				 err;
	size_t				 fed;
	size_t				 got;
	int				 status;
	int				 exited;
	int				 gone;	/* client hung up */
	int64_t				 deadline;
	const char			*fail;	/* why it was killed */
	char				 failbuf[64];
	int				 timed_out;	/* --handler-timeout */
	int				 oversize;	/* --max-reply */
};

static int	exec_loop(struct exec_run *);
static int	exec_remaining(struct exec_run *);
static void	exec_feed(struct exec_run *);
static int	exec_hangup(struct exec_run *, short);
static int	exec_drain(struct exec_run *, size_t);
static int	exec_drain_rest(struct exec_run *);
static int	exec_grow(struct exec_handler *);
static void	exec_reap(struct exec_run *);
static void	exec_kill(struct exec_run *);
static enum tally_failure exec_verdict(const struct exec_run *);

/*
 * A handler for one connection.  conn is the descriptor its replies are
 * written to (-1: none): a run stops when it reports a hang-up.  vars
 * ("NAME=value", NULL-terminated, replacing the server's own variables
 * of those names) and peer (for log lines) must outlive it.  Returns
 * NULL with errno on failure.
 */
struct exec_handler *
exec_handler_new(const struct exec_opts *opts, int conn, char *const *vars,
    const char *peer)
{
	struct exec_handler	*h;
	int			 e;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->opts = *opts;
	h->peer = peer;
	h->errlog.peer = peer;
	h->errlog.prog = opts->argv[0];
	h->conn = conn;
	if ((h->chld = sig_chld_pipe()) == -1 ||
	    (h->envp = exec_environ(opts->env, vars, h->seq_var)) == NULL) {
		free(h);
		return NULL;
	}
	if ((e = exec_spawn_attr_init(&h->attr)) != 0) {
		free(h->envp);
		free(h);
		errno = e;
		return NULL;
	}
	exec_subreaper();
	if (exec_sweep_path(h->kids, sizeof(h->kids)) == -1)
		h->kids[0] = '\0';
	return h;
}

/* The connection's end: no process of its runs may outlive it. */
void
exec_handler_free(struct exec_handler *h)
{
	if (h == NULL)
		return;
	exec_sweep(h->kids, h->peer, 0);
	posix_spawnattr_destroy(&h->attr);
	free(h->envp);
	free(h->out);
	free(h);
}

/* The runs so far, and how the last one failed, for the summary. */
void
exec_handler_tally(const struct exec_handler *h, struct tally_conn *tc)
{
	tc->handler_runs = h->runs;
	tc->failure = (uint8_t)h->failure;
}

/*
 * conn's handler entry point: one run of the program for one request.
 * Returns 0 with the reply in the handler's buffer, or -1 (logged).
 */
int
exec_handler_serve(void *arg, const struct conn_request *req,
    struct conn_reply *rep)
{
	struct exec_handler	*h = arg;
	struct exec_run		 r;

	memset(&r, 0, sizeof(r));
	r.h = h;
	r.req = req;
	r.in = r.out = r.err = -1;
	if (h->opts.timeout > 0)
		r.deadline = util_now_ms() + (int64_t)h->opts.timeout * 1000;
	snprintf(h->seq_var, sizeof(h->seq_var), "SOCK64_REQUEST=%lu",
	    req->seq);
	/* Leftovers of earlier runs that have exited since. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		continue;
	h->runs++;
	if (exec_spawn(&h->attr, &h->opts, h->envp, &r.pid, &r.in, &r.out,
	    &r.err) == -1) {
		log_warn("%s: request %lu: handler failed (cannot run %s)",
		    h->peer, req->seq, h->opts.path);
		h->failure = TALLY_FAIL_START;
		return -1;
	}
	/* A failed loop says why in r.fail; the verdict reads it. */
	(void)exec_loop(&r);
	exec_close(&r.in);
	exec_close(&r.out);
	/* Whatever it left has outlived its request. */
	exec_kill(&r);
	/* Its stderr, with nobody left to write more. */
	if (r.err != -1)
		exec_errlog_read(&h->errlog, &r.err, 1);
	exec_close(&r.err);
	if ((h->failure = exec_verdict(&r)) != TALLY_FAIL_NONE)
		return -1;
	rep->data = h->out;
	rep->len = r.got;
	return 0;
}

/*
 * Feeds stdin, drains stdout (and stderr), and notes the exit, until the
 * program has exited, or a limit is hit (r->fail) or something breaks
 * (logged).  Returns 0 or -1.
 */
static int
exec_loop(struct exec_run *r)
{
	struct pollfd	 pfd[5];
	int		 ms, i;

	if (r->req->len == 0)
		exec_close(&r->in);
	while (!r->exited) {
		pfd[0].fd = r->in;
		pfd[0].events = POLLOUT;
		pfd[1].fd = r->out;
		pfd[2].fd = r->err;
		pfd[3].fd = r->h->chld;
		pfd[1].events = pfd[2].events = pfd[3].events = POLLIN;
		/* No events asked: POLLHUP and POLLERR come regardless. */
		pfd[4].fd = r->h->conn;
		pfd[4].events = 0;
		for (i = 0; i < 5; i++)
			pfd[i].revents = 0;
		if ((ms = exec_remaining(r)) == 0)
			return -1;
		if (poll(pfd, 5, ms) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: poll", r->h->peer);
			r->fail = "poll failed";
			return -1;
		}
		if (pfd[0].revents != 0)
			exec_feed(r);
		if (pfd[1].revents != 0 && exec_drain(r, SIZE_MAX) == -1)
			return -1;
		if (pfd[2].revents != 0)
			exec_errlog_read(&r->h->errlog, &r->err, 0);
		if (pfd[3].revents != 0)
			exec_reap(r);
		if (pfd[4].revents != 0 && exec_hangup(r, pfd[4].revents))
			return -1;
	}
	return exec_drain_rest(r);
}

/*
 * Whether the connection's revents say the client is gone, so that the
 * run is for nobody: POLLHUP or POLLERR on the descriptor the replies
 * are written to.  That is a reset TCP connection, a unix socket or
 * terminal the client closed, or (in -i mode) a pipe on stdout whose
 * reader went away.  POLLRDHUP, or POLLHUP on an input pipe, is not
 * enough: a client may half-close after its last request and still
 * read every reply (sock64(7)), and over TCP a close looks the same
 * until a reply is sent.  POLLNVAL: stop watching a closed descriptor.
 */
static int
exec_hangup(struct exec_run *r, short revents)
{
	if (revents & POLLNVAL) {
		r->h->conn = -1;
		return 0;
	}
	r->gone = 1;
	return 1;
}

/*
 * The program has exited: what its stdout pipe holds now is the rest of
 * the reply.  All that it wrote is there (its writes returned before it
 * exited), so there is nothing to wait for; waiting for end of file
 * would wait on whatever child it left holding the pipe, possibly until
 * --handler-timeout, and a grace period would only add what such a
 * child happens to write in time.  The read is bounded by what the pipe
 * holds at this moment (FIONREAD), so a child that keeps writing cannot
 * stretch it; what it writes later is no part of the reply.
 */
static int
exec_drain_rest(struct exec_run *r)
{
	size_t	 limit = SIZE_MAX;
	int	 rv = 0;
#ifdef FIONREAD
	int	 avail;

	if (r->out != -1 && ioctl(r->out, FIONREAD, &avail) == 0 &&
	    avail >= 0)
		limit = (size_t)avail;
#endif
	if (r->out != -1 && limit > 0)
		rv = exec_drain(r, limit);
	exec_close(&r->out);
	return rv;
}

/*
 * The poll(2) timeout left: the run's own limit, or less once SIGTERM
 * has come (the parent kills us after --grace, and the program's group
 * must not outlive us).  0 means time is up, and says why in r->fail.
 */
static int
exec_remaining(struct exec_run *r)
{
	struct exec_handler	*h = r->h;
	int			 ms, stop;

	if (h->opts.stop != NULL && *h->opts.stop && h->stop_deadline == 0)
		h->stop_deadline = util_now_ms() + h->opts.stop_ms;
	ms = util_remaining_ms(r->deadline);
	stop = util_remaining_ms(h->stop_deadline);
	if (stop != -1 && (ms == -1 || stop < ms)) {
		if (stop == 0)
			r->fail = "stopped by shutdown";
		return stop;
	}
	if (ms == 0) {
		r->fail = "timeout";
		r->timed_out = 1;
	}
	return ms;
}

/*
 * Writes what the pipe takes.  The end of the payload, or a program that
 * stopped reading (EPIPE), closes stdin: its exit status decides.
 */
static void
exec_feed(struct exec_run *r)
{
	ssize_t	 n;

	n = write(r->in, r->req->data + r->fed, r->req->len - r->fed);
	if (n > 0)
		r->fed += (size_t)n;
	else if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n <= 0 || r->fed == r->req->len)
		exec_close(&r->in);
}

/*
 * Reads what stdout has, at most limit bytes, into the reply buffer.
 * Returns -1 when the output passes --max-reply (r->fail says so) or
 * reading fails.
 */
static int
exec_drain(struct exec_run *r, size_t limit)
{
	struct exec_handler	*h = r->h;
	size_t			 want;
	ssize_t			 n;

	while (limit > 0) {
		if (r->got == h->outcap && exec_grow(h) == -1) {
			log_warn("%s: reply buffer", h->peer);
			return -1;
		}
		want = h->outcap - r->got;
		if (want > limit)
			want = limit;
		n = read(r->out, h->out + r->got, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1) {
			log_warn("%s: read from %s", h->peer, h->opts.path);
			return -1;
		}
		if (n == 0) {
			exec_close(&r->out);
			return 0;
		}
		r->got += (size_t)n;
		limit -= (size_t)n;
		if (r->got > h->opts.max_reply) {
			snprintf(r->failbuf, sizeof(r->failbuf),
			    "output over %zu bytes", h->opts.max_reply);
			r->fail = r->failbuf;
			r->oversize = 1;
			return -1;
		}
	}
	return 0;
}

/* Doubles the reply buffer, up to one byte over --max-reply. */
static int
exec_grow(struct exec_handler *h)
{
	size_t		 cap, limit = h->opts.max_reply + 1;
	unsigned char	*p;

	cap = h->outcap < EXEC_OUT_MIN / 2 ? EXEC_OUT_MIN : h->outcap * 2;
	if (cap > limit || cap < h->outcap)
		cap = limit;
	if (cap <= h->outcap) {
		errno = EOVERFLOW;
		return -1;
	}
	if ((p = realloc(h->out, cap)) == NULL)
		return -1;
	h->out = p;
	h->outcap = cap;
	return 0;
}

/*
 * After SIGCHLD: has the program exited?  It is left a zombie (reaped by
 * exec_kill), so that its pid, its group's id, cannot be reused before
 * the group is killed.
 */
static void
exec_reap(struct exec_run *r)
{
	siginfo_t	 si;
	char		 buf[64];
	int		 rv;

	while (read(r->h->chld, buf, sizeof(buf)) > 0)
		continue;
	memset(&si, 0, sizeof(si));
	while ((rv = waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG |
	    WNOWAIT)) == -1 && errno == EINTR)
		continue;
	if (rv == 0 && si.si_pid == r->pid)
		r->exited = 1;
	else if (rv == -1 && errno == ECHILD) {
		/* Not ours to wait for any more: cannot happen. */
		r->exited = 1;
		r->fail = "lost track of the program";
	}
}

/*
 * Kills the program's whole process group, reaps the program (its exit
 * status is the verdict's), then every other process it left.
 */
static void
exec_kill(struct exec_run *r)
{
	kill(-r->pid, SIGKILL);
	while (waitpid(r->pid, &r->status, 0) == -1 && errno == EINTR)
		continue;
	r->exited = 1;
	exec_sweep(r->h->kids, r->h->peer, r->pid);
}

/*
 * Logs why a run gets no reply, and says how it failed for the
 * connection's summary: TALLY_FAIL_NONE when it does get one.
 */
static enum tally_failure
exec_verdict(const struct exec_run *r)
{
	const char	*peer = r->h->peer;
	unsigned long	 seq = r->req->seq;

	/* The client's doing, not a fault: as a peer gone before a reply. */
	if (r->gone) {
		log_info("%s: request %lu: handler stopped (the client closed "
		    "the connection)", peer, seq);
		return TALLY_FAIL_OTHER;
	}
	if (r->fail != NULL) {
		log_warnx("%s: request %lu: handler failed (%s)", peer, seq,
		    r->fail);
		return r->timed_out ? TALLY_FAIL_TIMEOUT : r->oversize ?
		    TALLY_FAIL_OVERSIZE : TALLY_FAIL_OTHER;
	}
	if (!r->exited) {
		log_warnx("%s: request %lu: handler failed", peer, seq);
		return TALLY_FAIL_OTHER;
	}
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
		return TALLY_FAIL_NONE;
	if (WIFEXITED(r->status)) {
		log_warnx("%s: request %lu: handler failed (exit %d)", peer,
		    seq, WEXITSTATUS(r->status));
		return TALLY_FAIL_EXIT;
	}
	if (WIFSIGNALED(r->status)) {
		log_warnx("%s: request %lu: handler failed (signal %d)", peer,
		    seq, WTERMSIG(r->status));
		return TALLY_FAIL_SIGNAL;
	}
	log_warnx("%s: request %lu: handler failed (status %d)", peer, seq,
	    r->status);
	return TALLY_FAIL_OTHER;
}
