/*
 * sock64: one connection's protocol loop.  Input is read into a buffer
 * and every whole frame in it is answered before the next read, so a
 * pipelined burst costs one read and one write, not two of each per
 * frame.  Replies are queued in an output buffer (header and payload
 * together) and written before the loop blocks for more input; a reply
 * too big for the buffer goes out in one writev(2) with what is queued.
 * A payload too big for the input buffer is read straight into a buffer
 * of its own, which grows with the bytes that arrive, never ahead of
 * them by more than what has come: a header alone reserves no memory.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "connint.h"
#include "frame.h"
#include "io.h"
#include "log.h"
#include "util.h"

#define CONN_RBUF_SIZE	(64 * 1024)
/* After a refusal, how long and how much unread input to drain. */
#define CONN_LINGER_MS		1000
#define CONN_LINGER_BYTES	(1024 * 1024)
/* The payload buffer's first size; it doubles as it fills. */
#define CONN_BIG_MIN		(2 * CONN_RBUF_SIZE)


/*
 * Static, not malloc'd: a process serves one connection at a time, and
 * a freshly forked child then faults in only the pages it uses, with no
 * allocator state to copy from its parent.
 */
static unsigned char	conn_rbuf[CONN_RBUF_SIZE];
static unsigned char	conn_wbuf[CONN_WBUF_SIZE];

static int	conn_parse(struct conn *);
static int	conn_header(struct conn *);
static int	conn_answer(struct conn *, const unsigned char *, size_t);
static int	conn_stopping(struct conn *);
static void	conn_end(struct conn *, int);
static int	conn_fill(struct conn *);
static int	conn_read_big(struct conn *, size_t);
static int	conn_big_room(struct conn *, size_t, size_t);
static int	conn_read_failed(struct conn *, ssize_t, size_t, size_t);
static int64_t	conn_read_deadline(const struct conn *);
static void	conn_frame_started(struct conn *);
static void	conn_next_frame(struct conn *);
static int	conn_at_boundary(const struct conn *);

/*
 * Serves requests from rfd, writing replies to wfd, until the peer
 * closes or something fails (logged here).  Neither descriptor is
 * closed: the caller owns them.
 */
enum conn_result
conn_serve(int rfd, int wfd, const struct conn_opts *opts)
{
	struct conn	 c;
	int		 rv;

	memset(&c, 0, sizeof(c));
	c.rfd = rfd;
	c.wfd = wfd;
	c.opts = opts;
	frame_decoder_init(&c.dec, opts->max_message);
	c.rbuf = conn_rbuf;
	c.wbuf = conn_wbuf;
	/* A client that sends nothing holds its slot no longer than this. */
	if (opts->frame_timeout > 0)
		c.frame_deadline = (opts->started != 0 ? opts->started :
		    util_now_ms()) + (int64_t)opts->frame_timeout * 1000;
	if (opts->npending > 0 && opts->npending <= CONN_RBUF_SIZE) {
		memcpy(c.rbuf, opts->pending, opts->npending);
		c.rend = opts->npending;
		c.tally.bytes_in = opts->npending;
	}
	for (;;) {
		rv = conn_parse(&c);
		/*
		 * Send what is answered before waiting for more; replies to
		 * earlier requests go out even when a later frame failed.
		 */
		if (conn_flush(&c) == -1 || rv == -1) {
			rv = -1;
			break;
		}
		if (conn_stopping(&c)) {
			rv = 0;
			break;
		}
		if ((rv = conn_fill(&c)) <= 0)
			break;
	}
	conn_end(&c, rv);
	free(c.big);
	if (rv == 0)
		conn_ended(&c, conn_stopping(&c) ? TALLY_TERMINATED : TALLY_EOF);
	else
		conn_ended(&c, TALLY_ERROR);	/* a failure not named */
	if (opts->tally != NULL) {
		c.tally.requests = c.seq;
		*opts->tally = c.tally;
	}
	return rv == 0 ? CONN_CLOSED : CONN_FAILED;
}

/* Why the connection ends, for its summary: the first reason given. */
void
conn_ended(struct conn *c, enum tally_end why)
{
	if (!c->ended) {
		c->tally.end = (uint8_t)why;
		c->ended = 1;
	}
}

/*
 * Before the caller closes: input we leave unread would make TCP reset
 * the connection, and a reset destroys replies not yet delivered.  So
 * after a refusal, and after a stop with the peer perhaps still sending,
 * the rest of its input is read and dropped for a while (see io_linger
 * and io_finish).
 */
static void
conn_end(struct conn *c, int rv)
{
	if (rv == -1 && c->refused)
		io_linger(c->rfd, c->wfd, CONN_LINGER_MS, CONN_LINGER_BYTES);
	else if (rv == 0 && conn_stopping(c))
		io_finish(c->rfd, c->wfd, c->stop_deadline);
}

/*
 * Answers every whole frame in the input buffer.  Returns 0 when more
 * input is needed, -1 on a protocol or I/O failure (logged).
 */
static int
conn_parse(struct conn *c)
{
	size_t	 avail, len;
	int	 rv;

	while (c->rpos < c->rend) {
		if (!c->in_payload) {
			if ((rv = conn_header(c)) == -1)
				return -1;
			if (rv == 0)
				break;		/* input used up mid-header */
		}
		len = c->dec.length;
		avail = c->rend - c->rpos;
		if (avail >= len) {
			if (conn_answer(c, c->rbuf + c->rpos, len) == -1)
				return -1;
			c->rpos += len;
			conn_next_frame(c);
			continue;
		}
		if (len > CONN_RBUF_SIZE)
			return conn_read_big(c, len);
		/* The payload fits the buffer once moved to its start. */
		memmove(c->rbuf, c->rbuf + c->rpos, avail);
		c->rpos = 0;
		c->rend = avail;
		return 0;
	}
	/* Whatever was buffered is consumed (a partial header is decoded). */
	c->rpos = c->rend = 0;
	return 0;
}

/*
 * Feeds buffered bytes to the header decoder.  Returns 1 once the header
 * is whole and acceptable, 0 when it needs more input, -1 when it is
 * malformed or over the limit (logged, per sock64(7)'s reasons).
 */
static int
conn_header(struct conn *c)
{
	const struct conn_opts	*o = c->opts;
	enum frame_status	 st;
	size_t			 used;

	if (c->dec.pos == 0)
		conn_frame_started(c);
	st = frame_decode_header(&c->dec, c->rbuf + c->rpos,
	    c->rend - c->rpos, &used);
	c->rpos += used;
	switch (st) {
	case FRAME_NEED_MORE:
		return 0;
	case FRAME_OK:
		c->in_payload = 1;
		return 1;
	case FRAME_MALFORMED:
		c->refused = 1;
		conn_ended(c, TALLY_MALFORMED);
		log_warnx("%s: malformed header (byte %u is 0x%02x)", o->peer,
		    c->dec.pos, c->dec.bad);
		return -1;
	case FRAME_TOO_LONG:
		c->refused = 1;
		conn_ended(c, TALLY_OVERSIZE);
		if (c->dec.overflow)
			log_warnx("%s: message too large (length does not fit "
			    "in %zu bytes > %zu)", o->peer, sizeof(size_t),
			    o->max_message);
		else
			log_warnx("%s: message too large (%zu > %zu)", o->peer,
			    c->dec.length, o->max_message);
		return -1;
	}
	return -1;
}

/* Runs the handler on one complete request and queues its reply. */
static int
conn_answer(struct conn *c, const unsigned char *data, size_t len)
{
	const struct conn_handler	*h = c->opts->handler;
	struct conn_request		 req;
	struct conn_reply		 rep;

	req.data = data;
	req.len = len;
	req.seq = ++c->seq;
	log_debug("%s: request %lu, %zu bytes", c->opts->peer, req.seq, len);
	if (h->serve(h->arg, &req, &rep) == -1) {
		c->refused = 1;
		conn_ended(c, TALLY_HANDLER_FAILED);
		return -1;
	}
	return conn_queue(c, rep.data, rep.len);
}

/*
 * Reads more input after rbuf[rend].  Returns the byte count, 0 when
 * the peer closed at a frame boundary, -1 on a truncated frame, a
 * timeout or a read error (each logged).
 */
static int
conn_fill(struct conn *c)
{
	const struct conn_opts	*o = c->opts;
	ssize_t			 n;

	n = io_read(c->rfd, c->rbuf + c->rend, CONN_RBUF_SIZE - c->rend,
	    conn_read_deadline(c));
	if (n > 0) {
		c->rend += (size_t)n;
		c->tally.bytes_in += (uint64_t)n;
		return 1;
	}
	if (n == 0 && conn_at_boundary(c)) {
		log_debug("%s: closed after %lu request%s", o->peer, c->seq,
		    c->seq == 1 ? "" : "s");
		return 0;
	}
	/* Balancers' health checks end so: a close, not a failure. */
	if (n == -1 && errno == ECONNRESET && conn_at_boundary(c) &&
	    !conn_stopping(c)) {
		log_debug("%s: reset after %lu request%s", o->peer, c->seq,
		    c->seq == 1 ? "" : "s");
		return 0;
	}
	return conn_read_failed(c, n, c->rend - c->rpos, c->dec.length);
}

/*
 * Says why input ended early (n is read's result: 0 or -1) and gives
 * the loop's verdict: 0 for a stop we asked for, -1 otherwise.  have
 * and len count the payload bytes when a payload was due.
 */
static int
conn_read_failed(struct conn *c, ssize_t n, size_t have, size_t len)
{
	const char	*peer = c->opts->peer;

	if (conn_stopping(c)) {
		/* SIGTERM ended our input: not the peer's fault. */
		if (!conn_at_boundary(c))
			log_info("%s: shutting down, a partial request is "
			    "dropped", peer);
		return 0;
	}
	if (n == -1 && errno == ETIMEDOUT) {
		if (!conn_at_boundary(c)) {
			conn_ended(c, TALLY_FRAME_TIMEOUT);
			log_warnx("%s: frame timeout", peer);
		} else if (c->seq == 0 && c->frame_deadline != 0 &&
		    util_remaining_ms(c->frame_deadline) == 0) {
			conn_ended(c, TALLY_FRAME_TIMEOUT);
			log_warnx("%s: frame timeout (no request in the first "
			    "%d s)", peer, c->opts->frame_timeout);
		} else {
			conn_ended(c, TALLY_IDLE_TIMEOUT);
			log_debug("%s: idle timeout", peer);
		}
	} else if (n == -1) {
		conn_ended(c, TALLY_IO_ERROR);
		log_warn("%s: read", peer);
	} else {
		conn_ended(c, TALLY_TRUNCATED);
		if (c->in_payload)
			log_warnx("%s: truncated frame (end of input after %zu "
			    "of %zu payload bytes)", peer, have, len);
		else
			log_warnx("%s: truncated frame (end of input after %u "
			    "of %d header bytes)", peer, c->dec.pos,
			    FRAME_HEADER_LEN);
	}
	return -1;
}

/*
 * When the next read must give up: between frames, --idle-timeout from
 * now; inside a frame, the frame's deadline, or with no --frame-timeout
 * the idle limit again, so that a stalled frame never waits forever.
 * Before the first frame, whichever comes first: a client must send a
 * whole request within --frame-timeout of connecting.
 */
static int64_t
conn_read_deadline(const struct conn *c)
{
	int	 idle = c->opts->idle_timeout;
	int64_t	 until = 0;

	if (!conn_at_boundary(c) && c->frame_deadline != 0)
		return c->frame_deadline;
	if (idle > 0)
		until = util_now_ms() + (int64_t)idle * 1000;
	/* At a boundary, a frame is due only before the first one. */
	if (c->frame_deadline != 0 && (until == 0 || c->frame_deadline < until))
		return c->frame_deadline;
	return until;
}

/*
 * Completes a payload larger than the input buffer: what is buffered is
 * copied, the rest is read straight into a buffer kept for reuse (len
 * was checked against the limit before we got here).  The buffer grows
 * as the payload arrives, so that a header announcing much and a client
 * sending little costs little.
 */
static int
conn_read_big(struct conn *c, size_t len)
{
	size_t	 have, room;
	ssize_t	 n;

	have = c->rend - c->rpos;
	if (conn_big_room(c, have, len) == -1)
		return -1;
	memcpy(c->big, c->rbuf + c->rpos, have);
	c->rpos = c->rend = 0;
	while (have < len) {
		if (conn_big_room(c, have, len) == -1)
			return -1;
		/* Not past the payload: the next frame is rbuf's. */
		room = (c->bigcap < len ? c->bigcap : len) - have;
		n = io_read(c->rfd, c->big + have, room,
		    conn_read_deadline(c));
		if (n <= 0)
			return conn_read_failed(c, n, have, len);
		have += (size_t)n;
		c->tally.bytes_in += (uint64_t)n;
	}
	if (conn_answer(c, c->big, len) == -1)
		return -1;
	conn_next_frame(c);
	return 0;
}

/*
 * Makes room in the payload buffer for more than `have` of a payload of
 * len bytes: twice the size (at least CONN_BIG_MIN), at most len.
 * Doubling keeps the copying realloc(3) may do linear in len.
 */
static int
conn_big_room(struct conn *c, size_t have, size_t len)
{
	unsigned char	*p;
	size_t		 cap;

	if (c->bigcap > have || c->bigcap >= len)
		return 0;
	cap = c->bigcap < CONN_BIG_MIN / 2 ? CONN_BIG_MIN : c->bigcap * 2;
	if (cap > len)
		cap = len;
	if ((p = realloc(c->big, cap)) == NULL) {
		log_warn("%s: payload of %zu bytes (%zu received)",
		    c->opts->peer, len, have);
		return -1;
	}
	c->big = p;
	c->bigcap = cap;
	return 0;
}

/* The first frame's deadline was set at the start; later ones here. */
static void
conn_frame_started(struct conn *c)
{
	if (c->opts->frame_timeout > 0 && c->frame_deadline == 0)
		c->frame_deadline = util_now_ms() +
		    (int64_t)c->opts->frame_timeout * 1000;
}

static void
conn_next_frame(struct conn *c)
{
	frame_decoder_init(&c->dec, c->opts->max_message);
	c->in_payload = 0;
	c->frame_deadline = 0;
}

/*
 * Whether SIGTERM (or the like) has come.  The time the replies have
 * left counts from when we first see it, as the exec handler's does.
 */
static int
conn_stopping(struct conn *c)
{
	if (c->opts->stop == NULL || !*c->opts->stop)
		return 0;
	if (c->stop_deadline == 0)
		c->stop_deadline = util_now_ms() + (c->opts->stop_ms > 0 ?
		    c->opts->stop_ms : 0);
	return 1;
}

static int
conn_at_boundary(const struct conn *c)
{
	return !c->in_payload && c->dec.pos == 0;
}
