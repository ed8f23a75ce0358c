/*
 * Unit tests for the connection loop, over a socketpair (and pipes, as
 * in inetd mode).  The loop runs in a forked child; this process plays
 * the client, writing and reading at once so neither side can stall.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "conn.h"
#include "echo.h"
#include "frame.h"
#include "log.h"
#include "util.h"

#define MIB	((size_t)1024 * 1024)

struct buf {
	unsigned char	*data;
	size_t		 len;
	size_t		 cap;
};

struct plan {
	size_t		 piece;		/* write this many bytes at a time */
	size_t		 split;		/* or: two pieces, split here */
	long		 pause_us;	/* between pieces */
	int		 half_close;	/* shutdown(SHUT_WR) after sending */
};

static void	buf_add(struct buf *, const void *, size_t);
static void	buf_frame(struct buf *, const void *, size_t);
static pid_t	serve_fork(int, int, int, const struct conn_opts *);
static int	serve_wait(pid_t);
static void	exchange(int, int, const struct buf *, const struct plan *,
		    struct buf *);
static int	run(const struct conn_opts *, const struct buf *,
		    const struct plan *, struct buf *);

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		if ((b->data = realloc(b->data, b->cap)) == NULL)
			abort();
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
buf_frame(struct buf *b, const void *p, size_t n)
{
	char	 hdr[FRAME_HEADER_LEN];

	frame_encode_header(hdr, n);
	buf_add(b, hdr, sizeof(hdr));
	buf_add(b, p, n);
}

/*
 * Runs conn_serve(rfd, wfd) in a child, which first closes the client's
 * end (so that the client closing is seen as end of input); exit 0 for
 * CONN_CLOSED.
 */
static pid_t
serve_fork(int rfd, int wfd, int client, const struct conn_opts *o)
{
	pid_t	 pid;

	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(client);
		_exit(conn_serve(rfd, wfd, o) == CONN_CLOSED ? 0 : 1);
	}
	close(rfd);
	if (wfd != rfd)
		close(wfd);
	return pid;
}

static int
serve_wait(pid_t pid)
{
	int	 status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			abort();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * Sends `out` following the plan while collecting replies into `in`,
 * until the server closes.  wfd is ours to write, rfd to read.
 */
static void
exchange(int wfd, int rfd, const struct buf *out, const struct plan *pl,
    struct buf *in)
{
	struct pollfd		 pfd[2];
	unsigned char		 chunk[65536];
	size_t			 sent = 0, n;
	ssize_t			 r;
	int			 open_w = 1;
	struct timespec		 ts;

	fcntl(wfd, F_SETFL, O_NONBLOCK);
	for (;;) {
		if (open_w && sent == out->len) {
			if (pl->half_close) {
				if (wfd == rfd)
					shutdown(wfd, SHUT_WR);
				else
					close(wfd);
			}
			open_w = 0;
		}
		pfd[0].fd = rfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = open_w ? wfd : -1;
		pfd[1].events = POLLOUT;
		if (poll(pfd, 2, 10000) <= 0)
			break;
		if (pfd[0].revents) {
			r = read(rfd, chunk, sizeof(chunk));
			if (r <= 0)
				break;
			buf_add(in, chunk, (size_t)r);
		}
		if (open_w && (pfd[1].revents & POLLOUT)) {
			n = out->len - sent;
			if (pl->split > 0 && sent < pl->split)
				n = pl->split - sent;
			else if (pl->piece > 0 && n > pl->piece)
				n = pl->piece;
			r = write(wfd, out->data + sent, n);
			if (r > 0)
				sent += (size_t)r;
			else if (r == -1 && errno != EAGAIN)
				open_w = 0;
			if (pl->pause_us > 0 && sent < out->len) {
				ts.tv_sec = 0;
				ts.tv_nsec = pl->pause_us * 1000;
				nanosleep(&ts, NULL);
			}
		}
	}
}

/* One connection over a socketpair; returns the server's exit status. */
static int
run(const struct conn_opts *o, const struct buf *out, const struct plan *pl,
    struct buf *in)
{
	int	 sv[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	pid = serve_fork(sv[1], sv[1], sv[0], o);
	exchange(sv[0], sv[0], out, pl, in);
	close(sv[0]);
	return serve_wait(pid);
}

static struct conn_opts
opts(size_t max)
{
	struct conn_opts	 o;

	memset(&o, 0, sizeof(o));
	o.max_message = max;
	o.peer = "test";
	o.handler = &echo_handler;
	return o;
}

static const struct plan whole = { 0, 0, 0, 1 };

/* Echo's reply stream is its request stream: compare them whole. */
static void
expect_echo(const char *what, const struct conn_opts *o,
    const struct buf *req, const struct plan *pl)
{
	struct buf	 rep = { NULL, 0, 0 };
	int		 status;

	status = run(o, req, pl, &rep);
	CHECK(status == 0, "%s: server exit %d", what, status);
	CHECK(rep.len == req->len && (req->len == 0 ||
	    memcmp(rep.data, req->data, req->len) == 0),
	    "%s: %zu bytes back for %zu sent", what, rep.len, req->len);
	free(rep.data);
}

/*
 * The server must refuse: exit 1, and the replies are exactly those of
 * the first `good` bytes of the request stream.
 */
static void
expect_refusal(const char *what, const struct conn_opts *o,
    const struct buf *req, size_t good, const struct plan *pl)
{
	struct buf	 rep = { NULL, 0, 0 };
	int		 status;

	status = run(o, req, pl, &rep);
	CHECK(status == 1, "%s: server exit %d", what, status);
	CHECK(rep.len == good && (good == 0 ||
	    memcmp(rep.data, req->data, good) == 0),
	    "%s: %zu reply bytes, expected %zu", what, rep.len, good);
	free(rep.data);
}

static void
test_basic(void)
{
	struct conn_opts	 o = opts(MIB);
	struct buf		 b = { NULL, 0, 0 };
	unsigned char		 all[256];
	size_t			 i;

	buf_frame(&b, "Hello Server!", 13);
	expect_echo("hello", &o, &b, &whole);
	b.len = 0;
	buf_frame(&b, "", 0);
	expect_echo("empty", &o, &b, &whole);
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	b.len = 0;
	buf_frame(&b, all, sizeof(all));
	expect_echo("binary", &o, &b, &whole);
	b.len = 0;
	expect_echo("no request at all", &o, &b, &whole);
	free(b.data);
}

/* 1000 pipelined requests, sizes 0 to 999, answered in order. */
static void
test_pipelined(void)
{
	struct conn_opts	 o = opts(MIB);
	struct buf		 b = { NULL, 0, 0 };
	unsigned char		 payload[1000];
	size_t			 i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char)('a' + i % 26);
	for (i = 0; i < 1000; i++)
		buf_frame(&b, payload, i);
	expect_echo("1000 pipelined", &o, &b, &whole);
	free(b.data);
}

/* Two frames split at every point, then sent a byte at a time. */
static void
test_splits(void)
{
	struct conn_opts	 o = opts(MIB);
	struct buf		 b = { NULL, 0, 0 };
	struct plan		 pl = { 0, 0, 2000, 1 };
	char			 what[64];

	buf_frame(&b, "Hello Server!", 13);
	buf_frame(&b, "again", 5);
	for (pl.split = 1; pl.split < b.len; pl.split++) {
		snprintf(what, sizeof(what), "split at %zu", pl.split);
		expect_echo(what, &o, &b, &pl);
	}
	pl.split = 0;
	pl.piece = 1;
	pl.pause_us = 200;
	expect_echo("a byte at a time", &o, &b, &pl);
	free(b.data);
}

/* Payloads above the input buffer, mixed with small ones. */
static void
test_big(void)
{
	struct conn_opts	 o = opts(4 * MIB);
	struct buf		 b = { NULL, 0, 0 };
	unsigned char		*big;
	size_t			 i;

	if ((big = malloc(3 * MIB)) == NULL)
		abort();
	for (i = 0; i < 3 * MIB; i++)
		big[i] = (unsigned char)(i * 7 + i / 4096);
	buf_frame(&b, "x", 1);
	buf_frame(&b, big, MIB);
	buf_frame(&b, "y", 1);
	buf_frame(&b, big, 3 * MIB);
	buf_frame(&b, big + 5, 65536);
	buf_frame(&b, "z", 1);
	expect_echo("large payloads", &o, &b, &whole);
	free(big);
	free(b.data);
}

/*
 * The payload buffer grows as a payload arrives: sizes on each side of
 * a doubling, whole and in 4 KiB pieces, and a big payload after a
 * bigger one (the buffer then outsizes it, and nothing of the next
 * frame may be read into it).
 */
static void
test_growth(void)
{
	static const size_t	 sizes[] = { 65537, 131071, 131072, 131073,
	    262144, 262145, 2 * MIB + 3, 200000, 65537 };
	struct conn_opts	 o = opts(4 * MIB);
	struct buf		 b = { NULL, 0, 0 };
	struct plan		 pieces = { 4096, 0, 0, 1 };
	unsigned char		*big;
	size_t			 i;

	if ((big = malloc(3 * MIB)) == NULL)
		abort();
	for (i = 0; i < 3 * MIB; i++)
		big[i] = (unsigned char)(i * 13 + i / 65536);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		buf_frame(&b, big + i, sizes[i]);
		buf_frame(&b, "after", 5);
	}
	expect_echo("growing payloads", &o, &b, &whole);
	expect_echo("growing payloads, 4 KiB at a time", &o, &b, &pieces);
	free(big);
	free(b.data);
}

/* Every error closes without a reply, keeping earlier replies. */
static void
test_refusals(void)
{
	struct conn_opts	 o = opts(13);
	struct buf		 b = { NULL, 0, 0 };
	size_t			 good;
	char			 hdr[FRAME_HEADER_LEN];

	buf_frame(&b, "Hello Server!", 13);
	buf_frame(&b, "ok", 2);
	good = b.len;
	buf_frame(&b, "fourteen bytes", 14);
	buf_frame(&b, "never", 5);
	expect_refusal("over the limit", &o, &b, good, &whole);

	b.len = good;
	memset(hdr, ' ', sizeof(hdr));
	memcpy(hdr, "1 3", 3);
	buf_add(&b, hdr, sizeof(hdr));
	expect_refusal("malformed header", &o, &b, good, &whole);

	b.len = good;
	buf_add(&b, "13      ", 8);
	expect_refusal("end of input in a header", &o, &b, good, &whole);

	b.len = good;
	buf_frame(&b, "Hello", 5);
	b.len -= 2;
	expect_refusal("end of input in a payload", &o, &b, good, &whole);

	o = opts(0);
	b.len = 0;
	buf_frame(&b, "", 0);
	good = b.len;
	buf_frame(&b, "x", 1);
	expect_refusal("limit 0 takes only empty messages", &o, &b, good,
	    &whole);
	free(b.data);
}

/* Pipes in both directions, as tcpserver and the tests give -i mode. */
static void
test_pipes(void)
{
	struct conn_opts	 o = opts(MIB);
	struct buf		 b = { NULL, 0, 0 }, rep = { NULL, 0, 0 };
	int			 in[2], out[2], status;
	pid_t			 pid;
	size_t			 i;

	for (i = 0; i < 100; i++)
		buf_frame(&b, "over a pipe", 11);
	if (pipe(in) == -1 || pipe(out) == -1)
		abort();
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		/* The client's ends must not keep the server's input open. */
		close(in[1]);
		close(out[0]);
		_exit(conn_serve(in[0], out[1], &o) == CONN_CLOSED ? 0 : 1);
	}
	close(in[0]);
	close(out[1]);
	exchange(in[1], out[0], &b, &whole, &rep);
	close(out[0]);
	status = serve_wait(pid);
	CHECK(status == 0 && rep.len == b.len &&
	    memcmp(rep.data, b.data, b.len) == 0,
	    "pipes: exit %d, %zu of %zu bytes", status, rep.len, b.len);
	free(b.data);
	free(rep.data);
}

/* A handler that fails on its second request, or answers at length. */
static int
test_handler_serve(void *arg, const struct conn_request *req,
    struct conn_reply *rep)
{
	static unsigned char	 large[200000];

	(void)arg;
	if (req->len == 4 && memcmp(req->data, "fail", 4) == 0)
		return -1;
	if (req->len == 5 && memcmp(req->data, "large", 5) == 0) {
		memset(large, 'L', sizeof(large));
		rep->data = large;
		rep->len = sizeof(large);
		return 0;
	}
	rep->data = req->data;
	rep->len = req->len;
	return 0;
}

static void
test_handler(void)
{
	static const struct conn_handler h = { test_handler_serve, NULL };
	struct conn_opts	 o = opts(MIB);
	struct buf		 b = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct buf		 rep = { NULL, 0, 0 };
	unsigned char		*large;
	int			 status;

	o.handler = &h;
	if ((large = malloc(200000)) == NULL)
		abort();
	memset(large, 'L', 200000);
	buf_frame(&b, "small", 5);
	buf_frame(&b, "large", 5);
	buf_frame(&b, "small", 5);
	buf_frame(&b, "fail", 4);
	buf_frame(&b, "never", 5);
	buf_frame(&want, "small", 5);
	buf_frame(&want, large, 200000);
	buf_frame(&want, "small", 5);
	status = run(&o, &b, &whole, &rep);
	CHECK(status == 1, "handler failure: exit %d", status);
	CHECK(rep.len == want.len && memcmp(rep.data, want.data,
	    want.len) == 0, "handler: %zu reply bytes, expected %zu",
	    rep.len, want.len);
	free(large);
	free(b.data);
	free(want.data);
	free(rep.data);
}

/* Idle and frame time-outs close the connection (exit 1). */
static void
test_timeouts(void)
{
	struct conn_opts	 o = opts(MIB);
	struct buf		 b = { NULL, 0, 0 }, rep = { NULL, 0, 0 };
	struct plan		 open_ended = { 0, 0, 0, 0 };
	int64_t			 start;
	int			 status;

	o.idle_timeout = 1;
	buf_frame(&b, "before idling", 13);
	start = util_now_ms();
	status = run(&o, &b, &open_ended, &rep);
	CHECK(status == 1 && rep.len == b.len, "idle: exit %d, %zu bytes",
	    status, rep.len);
	CHECK(util_now_ms() - start >= 900 && util_now_ms() - start < 5000,
	    "idle: closed after %lld ms", (long long)(util_now_ms() - start));

	o.idle_timeout = 0;
	o.frame_timeout = 1;
	b.len = 0;
	buf_add(&b, "13     ", 7);
	rep.len = 0;
	start = util_now_ms();
	status = run(&o, &b, &open_ended, &rep);
	CHECK(status == 1 && rep.len == 0, "frame: exit %d, %zu bytes",
	    status, rep.len);
	CHECK(util_now_ms() - start >= 900 && util_now_ms() - start < 5000,
	    "frame: closed after %lld ms", (long long)(util_now_ms() - start));

	/* No frame limit: a stalled frame still meets the idle limit. */
	o.idle_timeout = 1;
	o.frame_timeout = 0;
	rep.len = 0;
	start = util_now_ms();
	status = run(&o, &b, &open_ended, &rep);
	CHECK(status == 1 && rep.len == 0 && util_now_ms() - start < 5000,
	    "stalled frame, idle limit: exit %d after %lld ms", status,
	    (long long)(util_now_ms() - start));
	free(b.data);
	free(rep.data);
}

/*
 * The first frame is due within frame_timeout of the start, even when
 * nothing of it comes; after it, only idle_timeout holds between
 * frames.
 */
static void
test_first_frame(void)
{
	struct conn_opts	 o = opts(MIB);
	struct buf		 b = { NULL, 0, 0 }, rep = { NULL, 0, 0 };
	struct plan		 open_ended = { 0, 0, 0, 0 };
	int64_t			 start, took;
	int			 status;

	o.idle_timeout = 6;
	o.frame_timeout = 1;
	start = util_now_ms();
	status = run(&o, &b, &open_ended, &rep);
	took = util_now_ms() - start;
	CHECK(status == 1 && rep.len == 0 && took >= 900 && took < 5000,
	    "silent client: exit %d after %lld ms", status, (long long)took);

	/* The clock runs from `started` (the accept), not from our start. */
	o.frame_timeout = 5;
	o.started = util_now_ms() - 10000;
	start = util_now_ms();
	status = run(&o, &b, &open_ended, &rep);
	took = util_now_ms() - start;
	CHECK(status == 1 && took < 4000,
	    "silent client, accepted 10 s ago: closed after %lld ms",
	    (long long)took);
	o.frame_timeout = 1;
	o.started = 0;

	buf_frame(&b, "first", 5);
	start = util_now_ms();
	status = run(&o, &b, &open_ended, &rep);
	took = util_now_ms() - start;
	CHECK(status == 1 && rep.len == b.len && took >= 5900,
	    "after a frame: exit %d after %lld ms, %zu bytes", status,
	    (long long)took, rep.len);
	free(b.data);
	free(rep.data);
}

int
main(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	log_init("conn_test", LOG_LEVEL_WARN, LOG_TO_STDERR);
	/* A hang is a failure, not a stuck test run. */
	alarm(120);
	test_basic();
	test_pipelined();
	test_splits();
	test_big();
	test_growth();
	test_refusals();
	test_pipes();
	test_handler();
	test_timeouts();
	test_first_frame();
	return check_exit("conn_test");
}
