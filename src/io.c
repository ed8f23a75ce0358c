/*
 * sock64: I/O helpers over plain descriptors (sockets and pipes alike).
 * Every call retries EINTR and copes with both blocking and non-blocking
 * descriptors: EAGAIN means wait with poll(2) for the remaining time.
 * A passed deadline fails with ETIMEDOUT.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

/* POSIX guarantees at least 16; IOV_MAX itself is an XSI name. */
#ifndef IOV_MAX
#define IOV_MAX	16
#endif

/*
 * Waits until fd is ready for events, for at most ms milliseconds (-1:
 * no limit).  Returns 0 when ready (including error and hang-up, which
 * the next read or write reports), -1 with errno ETIMEDOUT or poll's.
 */
static int
io_poll(int fd, short events, int ms)
{
	struct pollfd	 pfd;
	int		 n;

	pfd.fd = fd;
	pfd.events = events;
	pfd.revents = 0;
	while ((n = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
		continue;
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* Waits until fd is ready for events or the deadline (0: none) passes. */
int
io_wait(int fd, short events, int64_t deadline)
{
	return io_poll(fd, events, util_remaining_ms(deadline));
}

/*
 * One read(2) of at most len bytes: returns the count, 0 at end of
 * file, -1 on error.  With a deadline, waits for input first so that a
 * blocking descriptor cannot hold us past it.
 */
ssize_t
io_read(int fd, void *buf, size_t len, int64_t deadline)
{
	ssize_t	 n;

	for (;;) {
		if (deadline != 0 && io_wait(fd, POLLIN, deadline) == -1)
			return -1;
		n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (deadline == 0 && io_wait(fd, POLLIN, 0) == -1)
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
			if (io_poll(fd, POLLOUT, ms) == -1)
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

int
io_write_all(int fd, const void *buf, size_t len, int64_t deadline,
    int progress_ms)
{
	struct iovec	 iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	return io_writev_all(fd, &iov, 1, deadline, progress_ms);
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
