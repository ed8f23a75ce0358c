/*
 * sock64: the program's side of a program per connection, and the
 * connection's state from its start to its end: starting the program
 * (as the exec handler starts its runs: its own process group, pipes on
 * its standard streams), writing requests to its stdin, reading replies
 * from its stdout, noticing its exit, and at the end killing its group
 * and whatever it left, and saying how it ended.  A reply that is not
 * one (a malformed frame, too long, with no request) is the program's
 * fault: it is killed and the connection ends.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "execenv.h"
#include "execspawn.h"
#include "log.h"
#include "perconnrun.h"
#include "sig.h"
#include "util.h"

static void	perconn_stamp(struct perconn *);
static int	perconn_reply(struct perconn *, const unsigned char *,
		    size_t);
static void	perconn_report(struct perconn *, int);

/*
 * A connection's state, its queues empty and no program yet.  Returns
 * NULL with errno on failure.
 */
struct perconn *
perconn_new(int rfd, int wfd, const struct conn_opts *co,
    const struct exec_opts *eo, char *const *vars)
{
	struct perconn	*pc;
	socklen_t	 len = sizeof(int);
	int		 type, fl, e;

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return NULL;
	pc->eo = eo;
	pc->co = co;
	pc->peer = pc->errlog.peer = co->peer;
	pc->errlog.prog = eo->argv[0];
	pc->rfd = rfd;
	pc->wfd = wfd;
	pc->in = pc->out = pc->err = -1;
	perconn_buf_init(&pc->cin, co->max_message + 2 * PERCONN_CHUNK);
	perconn_buf_init(&pc->pin, co->max_message + 2 * PERCONN_CHUNK);
	/* At the exit, what the pipe holds is read at once. */
	perconn_buf_init(&pc->pout, eo->max_reply + 2 * PERCONN_CHUNK +
	    PERCONN_PIPE_MAX);
	perconn_buf_init(&pc->cout, eo->max_reply + 2 * PERCONN_CHUNK);
	perconn_dec_init(&pc->cdec, EXEC_IO_FRAMES, co->max_message);
	perconn_dec_init(&pc->pdec, eo->io, eo->max_reply);
	/* A socket is ours alone: non-blocking.  A pipe may be shared. */
	if ((fl = fcntl(wfd, F_GETFL)) != -1 && !(fl & O_NONBLOCK))
		pc->wblock = getsockopt(wfd, SOL_SOCKET, SO_TYPE, &type,
		    &len) == -1 ||
		    util_set_nonblock(wfd, UTIL_KEEP_FLAGS) == -1;
	pc->activity = co->started != 0 ? co->started : util_now_ms();
	if (co->frame_timeout > 0)
		pc->frame_deadline = pc->activity +
		    (int64_t)co->frame_timeout * 1000;
	if ((pc->chld = sig_chld_pipe()) == -1 ||
	    (co->npending > 0 && perconn_buf_add(&pc->cin, co->pending,
	    co->npending) == -1)) {
		perconn_free(pc);
		return NULL;
	}
	if ((e = exec_spawn_attr_init(&pc->attr)) != 0) {
		perconn_free(pc);
		errno = e;
		return NULL;
	}
	/* From here on, envp set means attr is ours to destroy. */
	if ((pc->envp = exec_environ(eo->env, vars, NULL)) == NULL) {
		e = errno;
		posix_spawnattr_destroy(&pc->attr);
		perconn_free(pc);
		errno = e;
		return NULL;
	}
	exec_subreaper();
	if (exec_sweep_path(pc->kids, sizeof(pc->kids)) == -1)
		pc->kids[0] = '\0';
	return pc;
}

/* Frees it all; whatever is left of its programs is swept first. */
void
perconn_free(struct perconn *pc)
{
	if (pc->envp != NULL) {
		exec_sweep(pc->kids, pc->peer, 0);
		posix_spawnattr_destroy(&pc->attr);
		free(pc->envp);
	}
	perconn_buf_free(&pc->cin);
	perconn_buf_free(&pc->pin);
	perconn_buf_free(&pc->pout);
	perconn_buf_free(&pc->cout);
	free(pc);
}

/* Starts the program for the first request.  Returns 0, or -1 (logged). */
int
perconn_start(struct perconn *pc)
{
	/* Leftovers of an earlier connection's programs: none expected. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		continue;
	if (exec_spawn(&pc->attr, pc->eo, pc->envp, &pc->pid, &pc->in,
	    &pc->out, &pc->err) == -1) {
		log_warn("%s: request 1: handler failed (cannot run %s)",
		    pc->peer, pc->eo->path);
		perconn_ended(pc, TALLY_HANDLER_FAILED, TALLY_FAIL_START);
		pc->pid = 0;
		return -1;
	}
	pc->tally.handler_runs = 1;
	log_debug("%s: %s started, pid %ld", pc->peer, pc->eo->argv[0],
	    (long)pc->pid);
	return 0;
}

/*
 * Writes what stdin takes.  A program that closed its stdin (EPIPE)
 * gets no more requests; those it has may still be answered.
 */
void
perconn_feed(struct perconn *pc)
{
	ssize_t	 n;

	n = write(pc->in, pc->pin.data + pc->pin.off, pc->pin.len);
	if (n > 0) {
		perconn_buf_take(&pc->pin, (size_t)n);
		pc->written += (uint64_t)n;
		perconn_stamp(pc);
		return;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	log_debug("%s: the handler closed its stdin", pc->peer);
	exec_close(&pc->in);
	pc->pin.len = pc->pin.off = 0;
	pc->eof = 1;
}

/* The requests now wholly written: their reply is due from now on. */
static void
perconn_stamp(struct perconn *pc)
{
	struct perconn_req	*r;
	int64_t			 now = util_now_ms();

	while (pc->stamped < pc->count) {
		r = &pc->reqs[(pc->head + pc->stamped) % PERCONN_INFLIGHT];
		if (r->end > pc->written)
			break;
		r->written = now;
		pc->stamped++;
	}
}

/*
 * Reads what stdout has (with last, the program has exited: only what
 * the pipe holds now, which a child left holding it cannot stretch),
 * then turns whole replies into frames for the client.
 */
void
perconn_drain(struct perconn *pc, int last)
{
	size_t	 limit = SIZE_MAX, want;
	ssize_t	 n;
	int	 avail;

	if (last && ioctl(pc->out, FIONREAD, &avail) == 0 && avail >= 0)
		limit = (size_t)avail;
	while (limit > 0 && pc->out != -1 && !pc->kill) {
		if (pc->cout.len >= PERCONN_CHUNK && !last)
			break;
		if (perconn_buf_room(&pc->pout, PERCONN_CHUNK) == -1) {
			log_warn("%s: reply buffer", pc->peer);
			pc->kill = pc->failed = 1;
			return;
		}
		want = pc->pout.cap - pc->pout.off - pc->pout.len;
		n = read(pc->out, pc->pout.data + pc->pout.off + pc->pout.len,
		    want < limit ? want : limit);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (n == -1)
				log_warn("%s: read from %s", pc->peer,
				    pc->eo->path);
			exec_close(&pc->out);
			break;
		}
		pc->pout.len += (size_t)n;
		if (limit != SIZE_MAX)
			limit -= (size_t)n;
		perconn_replies(pc);
		if (!last)
			break;
	}
	if (last)
		exec_close(&pc->out);
}

/*
 * The whole replies read so far, to the client (unless it is gone),
 * while its queue is below the mark; the rest wait for room.
 */
void
perconn_replies(struct perconn *pc)
{
	const unsigned char	*data;
	size_t			 len;

	while (!pc->kill && (pc->gone || pc->cout.len < PERCONN_CHUNK)) {
		switch (perconn_dec_next(&pc->pdec, &pc->pout, &data, &len)) {
		case PERCONN_MORE:
			return;
		case PERCONN_MALFORMED:
			perconn_ended(pc, TALLY_HANDLER_FAILED,
			    TALLY_FAIL_OTHER);
			perconn_fault(pc, "malformed reply frame (byte %u is "
			    "0x%02x)", pc->pdec.dec.pos, pc->pdec.dec.bad);
			return;
		case PERCONN_TOO_LONG:
			perconn_ended(pc, TALLY_HANDLER_FAILED,
			    TALLY_FAIL_OVERSIZE);
			perconn_fault(pc, "reply over %zu bytes",
			    pc->eo->max_reply);
			return;
		case PERCONN_WHOLE:
			break;
		}
		if (perconn_reply(pc, data, len) == -1)
			return;
		perconn_dec_done(&pc->pdec, &pc->pout);
	}
}

/* One reply, for the oldest request.  Returns 0, or -1 (killed). */
static int
perconn_reply(struct perconn *pc, const unsigned char *data, size_t len)
{
	struct perconn_req	*r = &pc->reqs[pc->head];

	if (pc->count == 0) {
		perconn_ended(pc, TALLY_HANDLER_FAILED, TALLY_FAIL_OTHER);
		perconn_fault(pc, "a reply with no request");
		return -1;
	}
	log_debug("%s: request %lu: %zu byte reply", pc->peer, r->seq, len);
	pc->head = (pc->head + 1) % PERCONN_INFLIGHT;
	pc->count--;
	/* A reply may come before its request is all written. */
	if (pc->stamped > 0)
		pc->stamped--;
	if (pc->gone)
		return 0;
	if (pc->cout.len == 0)
		pc->write_since = util_now_ms();
	if (perconn_encode(&pc->cout, EXEC_IO_FRAMES, data, len) == -1) {
		log_warn("%s: reply of %zu bytes", pc->peer, len);
		perconn_ended(pc, TALLY_ERROR, TALLY_FAIL_NONE);
		pc->kill = pc->failed = 1;
		return -1;
	}
	pc->tally.requests++;
	return 0;
}

/*
 * The program broke the rules of its encoding, or a limit: it is killed
 * and the connection ends.  Logged against the request due, as a
 * handler failure: the program's fault, not the client's.
 */
void
perconn_fault(struct perconn *pc, const char *fmt, ...)
{
	char	 why[128];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("%s: request %lu: handler failed (%s)", pc->peer,
	    pc->count > 0 ? pc->reqs[pc->head].seq : pc->seq + 1, why);
	pc->kill = pc->failed = 1;
}

/*
 * After SIGCHLD: has the program exited?  It stays a zombie until
 * perconn_end(), so that its group's id cannot be reused before the
 * group is killed.
 */
void
perconn_reap(struct perconn *pc)
{
	siginfo_t	 si;
	char		 buf[64];
	int		 rv;

	while (read(pc->chld, buf, sizeof(buf)) > 0)
		continue;
	if (pc->pid <= 0 || pc->exited)
		return;
	memset(&si, 0, sizeof(si));
	while ((rv = waitid(P_PID, (id_t)pc->pid, &si, WEXITED | WNOHANG |
	    WNOWAIT)) == -1 && errno == EINTR)
		continue;
	if ((rv == 0 && si.si_pid == pc->pid) || (rv == -1 &&
	    errno == ECHILD))
		pc->exited = 1;
}

/*
 * The end: the program's group is killed, the program reaped (and how
 * it ended said), then every process it left; its stderr is read to
 * the end.
 */
void
perconn_end(struct perconn *pc)
{
	int	 status = 0, killed;

	if (pc->pid <= 0)
		return;
	killed = !pc->exited;
	(void)kill(-pc->pid, SIGKILL);
	while (waitpid(pc->pid, &status, 0) == -1 && errno == EINTR)
		continue;
	exec_sweep(pc->kids, pc->peer, pc->pid);
	exec_close(&pc->in);
	exec_close(&pc->out);
	if (pc->err != -1)
		exec_errlog_read(&pc->errlog, &pc->err, 1);
	exec_close(&pc->err);
	if (!killed)
		perconn_report(pc, status);
	pc->pid = 0;
}

/*
 * How a program that exited by itself ended.  Exit 0 with every request
 * answered, once no more could come (its stdin closed: the client's
 * end, a time-out, SIGTERM), is the normal end; any other exit leaves
 * the connection failed.
 */
static void
perconn_report(struct perconn *pc, int status)
{
	const char	*peer = pc->peer, *prog = pc->eo->argv[0];
	size_t		 left = pc->count;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && left == 0 &&
	    !pc->early) {
		log_debug("%s: %s exited 0 after %lu requests", peer, prog,
		    pc->seq);
		return;
	}
	pc->failed = 1;
	perconn_ended(pc, TALLY_HANDLER_FAILED, WIFSIGNALED(status) ?
	    TALLY_FAIL_SIGNAL : TALLY_FAIL_EXIT);
	if (WIFEXITED(status))
		log_warnx("%s: handler %s exited %d after %lu requests, %zu "
		    "unanswered", peer, prog, WEXITSTATUS(status), pc->seq,
		    left);
	else if (WIFSIGNALED(status))
		log_warnx("%s: handler %s killed by signal %d after %lu "
		    "requests, %zu unanswered", peer, prog, WTERMSIG(status),
		    pc->seq, left);
	else
		log_warnx("%s: handler %s ended (status %d)", peer, prog,
		    status);
}

/*
 * Why the connection ends, for its summary: the first reason given,
 * and how the program failed, if it did.
 */
void
perconn_ended(struct perconn *pc, enum tally_end why,
    enum tally_failure failure)
{
	if (pc->ended)
		return;
	pc->ended = 1;
	pc->tally.end = (uint8_t)why;
	pc->tally.failure = (uint8_t)failure;
}
