/*
 * sock64: a program per connection.  One poll(2) loop moves bytes four
 * ways: client frames in, requests to the program's stdin, replies from
 * its stdout, reply frames out.  Every queue has a high-water mark, and
 * a full one stops the reading that fills it: a slow program slows the
 * client down (back-pressure), a client that reads nothing slows the
 * program down, and neither can make us hold more than a message over
 * the mark.  Requests are answered in order, one reply each.
 *
 * The ends: the client's end (at a frame boundary: its replies still go
 * out) closes the program's stdin, and the program then has --grace to
 * exit; SIGTERM stops the reading of requests, the program answers
 * those it has, then its stdin is closed; the program's exit ends the
 * connection once what it answered is sent.  Whatever the end, the
 * program's process group is then killed (perconnrun.c).
 */
#include "config.h"

#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "execspawn.h"
#include "io.h"
#include "log.h"
#include "perconn.h"
#include "perconnrun.h"
#include "util.h"

/* After a refusal, how long and how much unread input to drain. */
#define PERCONN_LINGER_MS	1000
#define PERCONN_LINGER_BYTES	(1024 * 1024)

static void	perconn_loop(struct perconn *);
static int	perconn_done(struct perconn *);
static void	perconn_step(struct perconn *);
static void	perconn_poll(struct perconn *, int);
static void	perconn_take(struct perconn *);
static int	perconn_give(struct perconn *, const unsigned char *,
		    size_t);
static void	perconn_read(struct perconn *);
static void	perconn_eof(struct perconn *);
static void	perconn_write(struct perconn *);
static void	perconn_flush(struct perconn *);
static int	perconn_wait_ms(struct perconn *);
static void	perconn_deadline(int64_t, int64_t *);
static void	perconn_expire(struct perconn *);

/*
 * Serves the connection on rfd/wfd with the program of eo, started at
 * the first request with the connection's variables vars.  Neither
 * descriptor is closed.  Returns CONN_CLOSED after a clean end.
 */
enum conn_result
perconn_serve(int rfd, int wfd, const struct conn_opts *co,
    const struct exec_opts *eo, char *const *vars)
{
	struct perconn	*pc;
	int		 failed;

	if ((pc = perconn_new(rfd, wfd, co, eo, vars)) == NULL) {
		log_warn("%s: handler", co->peer);
		if (co->tally != NULL)
			co->tally->end = TALLY_ERROR;
		return CONN_FAILED;
	}
	perconn_loop(pc);
	perconn_end(pc);
	perconn_flush(pc);
	if (pc->refused && !pc->gone)
		io_linger(rfd, wfd, PERCONN_LINGER_MS, PERCONN_LINGER_BYTES);
	else if (pc->stopping && !pc->gone)
		io_finish(rfd, wfd, pc->stop_deadline);
	failed = pc->failed;
	perconn_ended(pc, failed ? TALLY_ERROR : pc->stopping ?
	    TALLY_TERMINATED : TALLY_EOF, TALLY_FAIL_NONE);
	if (co->tally != NULL)
		*co->tally = pc->tally;
	perconn_free(pc);
	return failed ? CONN_FAILED : CONN_CLOSED;
}

static void
perconn_loop(struct perconn *pc)
{
	int	 ms;

	for (;;) {
		perconn_step(pc);
		if (perconn_done(pc))
			return;
		if ((ms = perconn_wait_ms(pc)) == 0) {
			perconn_expire(pc);
			continue;
		}
		perconn_poll(pc, ms);
	}
}

/*
 * What follows from where things stand: requests taken, stdin closed
 * once no more will come, the grace period started.
 */
static void
perconn_step(struct perconn *pc)
{
	if (pc->co->stop != NULL && *pc->co->stop && !pc->stopping) {
		pc->stopping = pc->eof = 1;
		pc->stop_deadline = util_now_ms() + pc->eo->stop_ms;
	}
	perconn_take(pc);
	if (pc->pid > 0)
		perconn_replies(pc);
	if (pc->gone || pc->out == -1)
		pc->pin.len = pc->pin.off = 0;
	if (pc->pid > 0 && pc->in != -1 && pc->pin.len == 0 &&
	    (pc->eof || pc->gone || pc->out == -1))
		exec_close(&pc->in);
	if (pc->pid > 0 && !pc->exited && pc->in == -1 &&
	    pc->grace_deadline == 0 && (pc->count == 0 || pc->gone ||
	    pc->out == -1))
		pc->grace_deadline = util_now_ms() +
		    (int64_t)pc->eo->grace * 1000;
}

/* Whether the connection is over. */
static int
perconn_done(struct perconn *pc)
{
	if (pc->kill)
		return 1;
	if (pc->pid == 0)
		return pc->eof || pc->gone;
	if (!pc->exited)
		return 0;
	if (pc->out != -1)
		perconn_drain(pc, 1);
	if (!pc->eof && !pc->gone)
		pc->early = 1;
	/* Nothing more to ask: whatever is buffered stays unanswered. */
	pc->eof = 1;
	return pc->cout.len == 0 || pc->gone || pc->kill;
}

static void
perconn_poll(struct perconn *pc, int ms)
{
	struct pollfd	 pfd[7];
	int		 i;

	for (i = 0; i < 7; i++) {
		pfd[i].fd = -1;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	if (!pc->eof && !pc->gone && (pc->cin.len < PERCONN_CHUNK ||
	    pc->want_input))
		pfd[0].fd = pc->rfd;
	/* No events asked: POLLHUP and POLLERR come regardless. */
	pfd[1].fd = pc->gone ? -1 : pc->wfd;
	pfd[1].events = pc->cout.len > 0 ? POLLOUT : 0;
	if (pc->pin.len > 0) {
		pfd[2].fd = pc->in;
		pfd[2].events = POLLOUT;
	}
	if (pc->cout.len < PERCONN_CHUNK)
		pfd[3].fd = pc->out;
	pfd[4].fd = pc->err;
	pfd[5].fd = pc->pid > 0 && !pc->exited ? pc->chld : -1;
	/* SIGTERM wakes us; perconn_step() sees the flag. */
	pfd[6].fd = pc->stopping ? -1 : io_stop_fd_get();
	if (poll(pfd, 7, ms) == -1) {
		if (errno != EINTR) {
			log_warn("%s: poll", pc->peer);
			perconn_ended(pc, TALLY_IO_ERROR, TALLY_FAIL_NONE);
			pc->kill = pc->failed = 1;
		}
		return;
	}
	if (pfd[0].revents != 0)
		perconn_read(pc);
	if (pfd[1].revents & POLLOUT)
		perconn_write(pc);
	else if (pfd[1].revents & (POLLHUP | POLLERR)) {
		log_info("%s: the client closed the connection", pc->peer);
		perconn_ended(pc, TALLY_PEER_GONE, TALLY_FAIL_NONE);
		pc->gone = pc->eof = pc->failed = 1;
	}
	if (pfd[2].revents != 0 && pc->in != -1)
		perconn_feed(pc);
	if (pfd[3].revents != 0 && pc->out != -1)
		perconn_drain(pc, 0);
	if (pfd[4].revents != 0 && pc->err != -1)
		exec_errlog_read(&pc->errlog, &pc->err, 0);
	if (pfd[5].revents != 0)
		perconn_reap(pc);
}

/*
 * Takes whole requests from the client's input to the program's stdin,
 * while there is room; the program starts with the first.
 */
static void
perconn_take(struct perconn *pc)
{
	const unsigned char	*data;
	size_t			 len;
	/* Not waiting for input unless the decoder says so. */
	enum perconn_msg	 st = PERCONN_WHOLE;

	while (!pc->eof && !pc->gone && !pc->kill &&
	    pc->count < PERCONN_INFLIGHT && pc->pin.len < PERCONN_CHUNK) {
		st = perconn_dec_next(&pc->cdec, &pc->cin, &data, &len);
		if (st != PERCONN_WHOLE || perconn_give(pc, data, len) == -1)
			break;
		perconn_dec_done(&pc->cdec, &pc->cin);
		pc->frame_deadline = 0;
	}
	pc->want_input = st == PERCONN_MORE && !pc->eof;
	if (st == PERCONN_MALFORMED || st == PERCONN_TOO_LONG)
		perconn_ended(pc, st == PERCONN_MALFORMED ? TALLY_MALFORMED :
		    TALLY_OVERSIZE, TALLY_FAIL_NONE);
	if (st == PERCONN_MALFORMED)
		log_warnx("%s: malformed header (byte %u is 0x%02x)", pc->peer,
		    pc->cdec.dec.pos, pc->cdec.dec.bad);
	else if (st == PERCONN_TOO_LONG)
		log_warnx("%s: message too large (%zu > %zu)", pc->peer,
		    pc->cdec.dec.length, pc->co->max_message);
	if (st == PERCONN_MALFORMED || st == PERCONN_TOO_LONG)
		pc->refused = pc->failed = pc->eof = 1;
	/* A frame begun is due within --frame-timeout. */
	if (pc->want_input && pc->co->frame_timeout > 0 &&
	    pc->frame_deadline == 0 && (pc->cin.len > 0 ||
	    !perconn_dec_boundary(&pc->cdec)))
		pc->frame_deadline = util_now_ms() +
		    (int64_t)pc->co->frame_timeout * 1000;
}

/* One request to the program.  Returns 0, or -1 (refused, logged). */
static int
perconn_give(struct perconn *pc, const unsigned char *data, size_t len)
{
	struct perconn_req	*r;
	unsigned long		 seq = pc->seq + 1;
	size_t			 before = pc->pin.len;

	if (pc->eo->io == EXEC_IO_LINES && memchr(data, '\n', len) != NULL) {
		log_warnx("%s: request %lu: refused (a newline in a request "
		    "to a --handler-io=lines program)", pc->peer, seq);
		perconn_ended(pc, TALLY_MALFORMED, TALLY_FAIL_NONE);
		pc->refused = pc->failed = pc->eof = 1;
		return -1;
	}
	if (pc->pid == 0 && perconn_start(pc) == -1) {
		pc->failed = pc->eof = 1;
		return -1;
	}
	if (perconn_encode(&pc->pin, pc->eo->io, data, len) == -1) {
		log_warn("%s: request %lu of %zu bytes", pc->peer, seq, len);
		perconn_ended(pc, TALLY_ERROR, TALLY_FAIL_NONE);
		pc->kill = pc->failed = 1;
		return -1;
	}
	log_debug("%s: request %lu, %zu bytes", pc->peer, seq, len);
	pc->seq = seq;
	pc->queued += pc->pin.len - before;
	r = &pc->reqs[(pc->head + pc->count) % PERCONN_INFLIGHT];
	r->seq = seq;
	r->end = pc->queued;
	r->written = 0;
	pc->count++;
	return 0;
}

/* The client's input: what it sent, its end, or an error. */
static void
perconn_read(struct perconn *pc)
{
	ssize_t	 n;

	if (perconn_buf_room(&pc->cin, PERCONN_CHUNK) == -1) {
		log_warn("%s: request buffer", pc->peer);
		perconn_ended(pc, TALLY_ERROR, TALLY_FAIL_NONE);
		pc->kill = pc->failed = 1;
		return;
	}
	n = read(pc->rfd, pc->cin.data + pc->cin.off + pc->cin.len,
	    pc->cin.cap - pc->cin.off - pc->cin.len);
	if (n > 0) {
		pc->cin.len += (size_t)n;
		pc->tally.bytes_in += (uint64_t)n;
		pc->activity = util_now_ms();
	} else if (n == 0 || errno == ECONNRESET)
		perconn_eof(pc);
	else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
		log_warn("%s: read", pc->peer);
		perconn_ended(pc, TALLY_IO_ERROR, TALLY_FAIL_NONE);
		pc->gone = pc->eof = pc->failed = 1;
	}
}

/*
 * The client sends no more.  At a frame boundary that is its clean end
 * (it may still read its replies); inside a frame it is gone, and the
 * partial request is dropped.
 */
static void
perconn_eof(struct perconn *pc)
{
	pc->eof = 1;
	if (pc->cin.len == 0 && perconn_dec_boundary(&pc->cdec)) {
		log_debug("%s: closed after %lu requests", pc->peer, pc->seq);
		return;
	}
	if (pc->cdec.in_payload)
		log_warnx("%s: truncated frame (end of input after %zu of %zu "
		    "payload bytes)", pc->peer, pc->cin.len,
		    pc->cdec.dec.length);
	else
		log_warnx("%s: truncated frame (end of input after %u of %d "
		    "header bytes)", pc->peer, pc->cdec.dec.pos,
		    FRAME_HEADER_LEN);
	perconn_ended(pc, TALLY_TRUNCATED, TALLY_FAIL_NONE);
	pc->gone = pc->failed = 1;
}

/* Replies out, as much as the client takes now. */
static void
perconn_write(struct perconn *pc)
{
	size_t	 len = pc->cout.len;
	ssize_t	 n;

	if (pc->wblock && len > PIPE_BUF)
		len = PIPE_BUF;
	n = write(pc->wfd, pc->cout.data + pc->cout.off, len);
	if (n > 0) {
		perconn_buf_take(&pc->cout, (size_t)n);
		pc->tally.bytes_out += (uint64_t)n;
		pc->activity = pc->write_since = util_now_ms();
		return;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	if (n == -1 && (errno == EPIPE || errno == ECONNRESET)) {
		perconn_ended(pc, TALLY_PEER_GONE, TALLY_FAIL_NONE);
		log_info("%s: closed by the peer before its replies were "
		    "written", pc->peer);
	} else {
		perconn_ended(pc, TALLY_IO_ERROR, TALLY_FAIL_NONE);
		log_warn("%s: write", pc->peer);
	}
	pc->gone = pc->eof = pc->failed = 1;
	pc->cout.len = pc->cout.off = 0;
}

/*
 * The end: replies completed before it still go out (as after a bad
 * request, the answers to the earlier ones do), within --write-timeout.
 */
static void
perconn_flush(struct perconn *pc)
{
	struct iovec	 iov;

	if (pc->gone || pc->cout.len == 0)
		return;
	iov.iov_base = pc->cout.data + pc->cout.off;
	iov.iov_len = pc->cout.len;
	if (io_writev_all(pc->wfd, &iov, 1, pc->stopping ? pc->stop_deadline :
	    0, pc->co->write_timeout * 1000) == -1) {
		perconn_ended(pc, errno == ETIMEDOUT ? TALLY_WRITE_TIMEOUT :
		    TALLY_PEER_GONE, TALLY_FAIL_NONE);
		log_info("%s: %zu bytes of replies not written", pc->peer,
		    pc->cout.len);
		pc->gone = pc->failed = 1;
	} else
		pc->tally.bytes_out += pc->cout.len;
	pc->cout.len = pc->cout.off = 0;
}

/* Milliseconds until the first deadline (-1: none; 0: one has passed). */
static int
perconn_wait_ms(struct perconn *pc)
{
	const struct conn_opts	*co = pc->co;
	const struct perconn_req *r = &pc->reqs[pc->head];
	int64_t			 first = 0;

	if (pc->count > 0 && r->written != 0 && pc->eo->timeout > 0)
		perconn_deadline(r->written + (int64_t)pc->eo->timeout * 1000,
		    &first);
	if (!pc->eof && pc->want_input && pc->frame_deadline != 0)
		perconn_deadline(pc->frame_deadline, &first);
	if (!pc->eof && pc->count == 0 && pc->cout.len == 0 &&
	    pc->cin.len == 0 && co->idle_timeout > 0)
		perconn_deadline(pc->activity + (int64_t)co->idle_timeout *
		    1000, &first);
	if (!pc->gone && pc->cout.len > 0 && co->write_timeout > 0)
		perconn_deadline(pc->write_since + (int64_t)co->write_timeout *
		    1000, &first);
	if (pc->grace_deadline != 0 && !pc->exited)
		perconn_deadline(pc->grace_deadline, &first);
	if (pc->stopping)
		perconn_deadline(pc->stop_deadline, &first);
	return util_remaining_ms(first);
}

static void
perconn_deadline(int64_t when, int64_t *first)
{
	if (*first == 0 || when < *first)
		*first = when;
}

/* A deadline has passed: each that has, says so and ends its part. */
static void
perconn_expire(struct perconn *pc)
{
	const struct conn_opts	*co = pc->co;
	const struct perconn_req *r = &pc->reqs[pc->head];
	int64_t			 now = util_now_ms();

	if (pc->count > 0 && r->written != 0 && pc->eo->timeout > 0 &&
	    now >= r->written + (int64_t)pc->eo->timeout * 1000) {
		perconn_ended(pc, TALLY_HANDLER_FAILED, TALLY_FAIL_TIMEOUT);
		perconn_fault(pc, "timeout");
	} else if (pc->stopping && now >= pc->stop_deadline) {
		log_info("%s: shutting down, handler killed", pc->peer);
		perconn_ended(pc, TALLY_TERMINATED, TALLY_FAIL_NONE);
		pc->kill = 1;
	} else if (pc->grace_deadline != 0 && now >= pc->grace_deadline) {
		log_warnx("%s: handler %s still running %d s after its "
		    "stdin closed: killed", pc->peer, pc->eo->argv[0],
		    pc->eo->grace);
		pc->kill = 1;
	} else if (!pc->gone && pc->cout.len > 0 && co->write_timeout > 0 &&
	    now >= pc->write_since + (int64_t)co->write_timeout * 1000) {
		log_warnx("%s: write timeout (no reply byte taken for %d s)",
		    pc->peer, co->write_timeout);
		perconn_ended(pc, TALLY_WRITE_TIMEOUT, TALLY_FAIL_NONE);
		pc->gone = pc->eof = pc->failed = 1;
		pc->cout.len = pc->cout.off = 0;
	} else if (pc->want_input && pc->frame_deadline != 0 &&
	    now >= pc->frame_deadline) {
		if (pc->seq == 0 && pc->cin.len == 0 &&
		    perconn_dec_boundary(&pc->cdec))
			log_warnx("%s: frame timeout (no request in the first "
			    "%d s)", pc->peer, co->frame_timeout);
		else
			log_warnx("%s: frame timeout", pc->peer);
		perconn_ended(pc, TALLY_FRAME_TIMEOUT, TALLY_FAIL_NONE);
		pc->eof = pc->failed = 1;
	} else {
		log_debug("%s: idle timeout", pc->peer);
		perconn_ended(pc, TALLY_IDLE_TIMEOUT, TALLY_FAIL_NONE);
		pc->eof = pc->failed = 1;
	}
}
