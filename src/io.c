/*
 * sock64: I/O helpers over plain descriptors (sockets and pipes alike).
 * Every call retries EINTR and copes with both blocking and non-blocking
 * descriptors: EAGAIN means wait with poll(2) for the remaining time.
 * A passed deadline fails with ETIMEDOUT.  Once the stop pipe (see
 * io_stop_pipe) is readable, waiting for input fails with ECANCELED.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "compat.h"
#include "io.h"
#include "util.h"

/* POSIX guarantees at least 16; IOV_MAX itself is an XSI name. */
#ifndef IOV_MAX
#define IOV_MAX	16
#endif

/*
 * Linux tells how much of what we sent the peer has not acknowledged
 * yet: SIOCOUTQ, which is TIOCOUTQ's number (<linux/sockios.h> says
 * so).  Elsewhere io_finish reads until the peer closes instead.
 */
#if !defined(SIOCOUTQ) && defined(__linux__) && defined(TIOCOUTQ)
#define SIOCOUTQ	TIOCOUTQ
#endif
/* io_finish's longest nap between two looks at the send queue. */
#define IO_OUTQ_MS		50
/* And how many reads of discarded input between two looks. */
#define IO_DISCARD_READS	64

/*
 * The read end of the stop pipe, set once per process: waits for input
 * poll it too, so that a signal handler which writes to the pipe ends
 * them, however close to the wait the signal comes.
 */
static int	io_stop_fd = -1;

static int	io_poll(int, short, int, int);
static int	io_discard(int);
static int	io_unsent(int);

/*
 * Waits until fd is ready for events, for at most ms milliseconds (-1:
 * no limit).  Returns 0 when ready (including error and hang-up, which
 * the next read or write reports), -1 with errno ETIMEDOUT, ECANCELED
 * (the stop pipe is readable, and `stoppable`) or poll's.
 */
static int
io_poll(int fd, short events, int ms, int stoppable)
{
	struct pollfd	 pfd[2];
	nfds_t		 nfds = 1;
	int		 n;

	pfd[0].fd = fd;
	pfd[0].events = events;
	pfd[0].revents = 0;
	if (stoppable && io_stop_fd != -1) {
		pfd[1].fd = io_stop_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		nfds = 2;
	}
	while ((n = poll(pfd, nfds, ms)) == -1 && errno == EINTR)
		continue;
	if (n == 0)
		errno = ETIMEDOUT;
	if (n <= 0)
		return -1;
	if (nfds == 2 && pfd[1].revents != 0) {
		errno = ECANCELED;
		return -1;
	}
	return 0;
}

/*
 * Creates the stop pipe: its write end is returned, for a signal
 * handler to write a byte to when input must stop (nothing ever reads
 * it back, so the pipe stays readable from then on).  Both ends are
 * close-on-exec and non-blocking: a full pipe already says stop, and
 * the read end is only ever polled.  Once per process; -1 with errno on
 * failure.
 */
int
io_stop_pipe(void)
{
	int	 fds[2];

	if (io_stop_fd != -1) {
		errno = EBUSY;
		return -1;
	}
	if (compat_pipe(fds) == -1)
		return -1;
	io_stop_fd = fds[0];
	return fds[1];
}

/*
 * The stop pipe's read end, for a caller's own poll(2): readable once
 * input must stop.  -1 when there is none.
 */
int
io_stop_fd_get(void)
{
	return io_stop_fd;
}

/*
 * Waits until fd is ready for events or the deadline (0: none) passes.
 * A wait for input also ends, with ECANCELED, when input must stop.
 */
int
io_wait(int fd, short events, int64_t deadline)
{
	return io_poll(fd, events, util_remaining_ms(deadline),
	    (events & POLLIN) != 0);
}

/*
 * One read(2) of at most len bytes: returns the count, 0 at end of
 * file, -1 on error (ECANCELED: input must stop).  With a deadline or a
 * stop pipe, waits for input first so that a blocking descriptor cannot
 * hold us past either.
 */
ssize_t
io_read(int fd, void *buf, size_t len, int64_t deadline)
{
	ssize_t	 n;
	int	 stoppable = io_stop_fd != -1;

	for (;;) {
		if ((deadline != 0 || stoppable) && io_poll(fd, POLLIN,
		    util_remaining_ms(deadline), 1) == -1)
			return -1;
		n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (deadline == 0 && !stoppable &&
		    io_poll(fd, POLLIN, -1, 0) == -1)
			return -1;
	}
}

/*
 * Reads exactly len bytes.  Returns 0 when all arrived, -1 on error or
 * end of file (errno 0 for the latter); *got says how many did arrive.
 */
int
io_read_full(int fd, void *buf, size_t len, int64_t deadline, size_t *got)
{
	unsigned char	*p = buf;
	size_t		 have = 0;
	ssize_t		 n;

	while (have < len) {
		n = io_read(fd, p + have, len - have, deadline);
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			*got = have;
			return -1;
		}
		have += (size_t)n;
	}
	*got = have;
	return 0;
}

/*
 * Writes every byte of iov[0..cnt), advancing the vector in place over
 * short writes.  On a non-blocking descriptor, waits for room at most
 * until the deadline (0: none) and at most progress_ms without any byte
 * going out (0: no limit).  Returns 0, or -1 with errno (EPIPE: the
 * peer closed; ETIMEDOUT: a limit passed).
 */
int
io_writev_all(int fd, struct iovec *iov, int cnt, int64_t deadline,
    int progress_ms)
{
	ssize_t	 n;
	size_t	 left;
	int	 ms;

	while (cnt > 0 && iov->iov_len == 0) {
		iov++;
		cnt--;
	}
	while (cnt > 0) {
		n = writev(fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			ms = util_remaining_ms(deadline);
			if (progress_ms > 0 && (ms == -1 || ms > progress_ms))
				ms = progress_ms;
			if (io_poll(fd, POLLOUT, ms, 0) == -1)
				return -1;
			continue;
		}
		left = (size_t)n;
		while (cnt > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return 0;
}

/*
 * Closing a socket with unread input makes TCP send a reset, and a reset
 * can destroy replies the peer has not read yet.  So after an error:
 * half-close, then read and discard what the peer still sends, for at
 * most ms milliseconds and max bytes.  A pipe needs none of this, and
 * shutdown(2) failing on it ends the call at once.
 */
void
io_linger(int rfd, int wfd, int ms, size_t max)
{
	unsigned char	 buf[16384];
	int64_t		 deadline;
	size_t		 total = 0;
	ssize_t		 n;

	if (shutdown(wfd, SHUT_WR) == -1)
		return;
	deadline = util_now_ms() + ms;
	while (total < max) {
		n = io_read(rfd, buf, sizeof(buf), deadline);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
}

/*
 * Ends a connection that stops while its peer may still be sending: the
 * replies already written must reach the peer, and a close with input
 * unread would make TCP reset the connection and drop those not yet
 * sent.  So: half-close, then read and discard until the peer closes,
 * until it has acknowledged every byte we sent (then nothing of ours can
 * be lost), or until the deadline (0: none).  Without a way to see the
 * send queue, only the peer's close or the deadline ends it.  A pipe has
 * no send queue: shutdown(2) fails on it and we return at once.
 */
void
io_finish(int rfd, int wfd, int64_t deadline)
{
	int	 nap = 1, ms, unsent;

	if (shutdown(wfd, SHUT_WR) == -1)
		return;
	while (io_discard(rfd)) {
		unsent = io_unsent(wfd);
		if (unsent == 0 || (ms = util_remaining_ms(deadline)) == 0)
			return;
		/* Input wakes us at once; an emptying queue does not. */
		if (unsent > 0 && (ms == -1 || ms > nap))
			ms = nap;
		if (nap < IO_OUTQ_MS)
			nap *= 2;
		if (io_poll(rfd, POLLIN, ms, 0) == -1 && errno != ETIMEDOUT)
			return;
	}
}

/*
 * Reads and discards what fd has now, up to IO_DISCARD_READS reads (so
 * that a peer sending flat out cannot keep us here).  Returns 0 when
 * the input has ended (closed, reset or failed), else 1.
 */
static int
io_discard(int fd)
{
	unsigned char	 buf[16384];
	ssize_t		 n;
	int		 i;

	for (i = 0; i < IO_DISCARD_READS; i++) {
		if (io_poll(fd, POLLIN, 0, 0) == -1)
			return errno == ETIMEDOUT;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK))
			return 0;
	}
	return 1;
}

/*
 * Bytes we sent on fd that the peer has not acknowledged, or -1 when
 * the system cannot tell.
 */
static int
io_unsent(int fd)
{
#ifdef SIOCOUTQ
	int	 n;

	if (ioctl(fd, SIOCOUTQ, &n) == 0)
		return n;
#else
	(void)fd;
#endif
	return -1;
}
