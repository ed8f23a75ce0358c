/*
 * sock64: small helpers shared by the daemon, the client and the tests.
 * Number parsing for the command line (strtonum-shaped: a range and an
 * error string, never errno games for the caller) and a monotonic clock
 * in milliseconds for deadlines.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/*
 * Parses a whole decimal number in [min, max].  On failure returns 0 and
 * points *errstr at "invalid", "too small" or "too large"; on success
 * *errstr is NULL.
 */
long long
parse_num(const char *s, long long min, long long max, const char **errstr)
{
	long long	 n;
	char		*end;

	*errstr = NULL;
	if (min > max || *s == '\0' || *s == ' ' || *s == '\t' || *s == '+') {
		*errstr = "invalid";
		return 0;
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return 0;
	}
	if ((n == LLONG_MIN && errno == ERANGE) || n < min) {
		*errstr = "too small";
		return 0;
	}
	if ((n == LLONG_MAX && errno == ERANGE) || n > max) {
		*errstr = "too large";
		return 0;
	}
	return n;
}

/*
 * Parses a byte count with an optional suffix: k (1024) or M (1048576).
 * The result must lie in [min, max].  Returns 0, or -1 with *errstr set.
 */
int
parse_size(const char *s, size_t min, size_t max, size_t *out,
    const char **errstr)
{
	unsigned long long	 n, unit = 1;
	char			*end;

	*errstr = NULL;
	if (*s < '0' || *s > '9') {
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno == ERANGE) {
		*errstr = "too large";
		return -1;
	}
	if (end[0] == 'k' && end[1] == '\0')
		unit = 1024;
	else if (end[0] == 'M' && end[1] == '\0')
		unit = 1024 * 1024;
	else if (end[0] != '\0') {
		*errstr = "invalid";
		return -1;
	}
	if (n > max / unit) {
		*errstr = "too large";
		return -1;
	}
	n *= unit;
	if (n < min) {
		*errstr = "too small";
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

/* Parses a whole number of seconds in [0, max]. */
int
parse_seconds(const char *s, int max, int *out, const char **errstr)
{
	long long	 n;

	n = parse_num(s, 0, max, errstr);
	if (*errstr != NULL)
		return -1;
	*out = (int)n;
	return 0;
}

int64_t
util_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall clock in ms since the epoch: for times shown, never waited on. */
int64_t
util_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Milliseconds left until the monotonic deadline, as a poll(2) timeout:
 * -1 for no deadline (a deadline of 0), 0 once it has passed.
 */
int
util_remaining_ms(int64_t deadline)
{
	int64_t	 left;

	if (deadline == 0)
		return -1;
	left = deadline - util_now_ms();
	if (left <= 0)
		return 0;
	if (left > INT_MAX)
		return INT_MAX;
	return (int)left;
}

/* A time-out in ms (not negative) as ppoll(2) and its kin take it. */
struct timespec
util_ms_timespec(int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	return ts;
}

int
util_set_cloexec(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		return -1;
	if (flags & FD_CLOEXEC)
		return 0;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/*
 * Makes fd non-blocking.  A descriptor this process has just made
 * (UTIL_NEW_FD) has no other status flags to keep, so one fcntl(2)
 * does; that is on a child's start and on every program run.  One
 * handed to us (UTIL_KEEP_FLAGS: stdout, a socket from systemd) keeps
 * the flags it has.  Returns 0, or -1 with errno.
 */
int
util_set_nonblock(int fd, int keep)
{
	int	 flags = 0;

	if (keep == UTIL_KEEP_FLAGS && (flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ? -1 : 0;
}

/*
 * Copies src into dst of size bytes, truncated and always terminated
 * (for size > 0), as BSD's strlcpy(3).  Returns strlen(src): truncated
 * when that is size or more.  Not snprintf(3), whose code a new child
 * would fault in page by page for a plain copy.
 */
size_t
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (size > 0) {
		size_t	 n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
