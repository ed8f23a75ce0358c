/*
 * sock64: the non-POSIX calls, each behind the configure check that
 * found it.  glibc declares accept4(2), pipe2(2), ppoll(2) and
 * SO_PEERCRED's struct ucred only with _GNU_SOURCE, and SO_REUSEPORT
 * only with _DEFAULT_SOURCE; this is the one file that asks for them,
 * so every other file is plain POSIX.
 */
#include "config.h"

#if defined(HAVE_ACCEPT4) || defined(HAVE_PPOLL) || \
    defined(HAVE_SO_PEERCRED) || defined(HAVE_PIPE2)
#define _GNU_SOURCE	1
#endif
#ifdef HAVE_SO_REUSEPORT
#define _DEFAULT_SOURCE	1
#endif

#include <sys/types.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "util.h"

/*
 * accept(2) on a listener.  With accept4(2) the client's socket is born
 * close-on-exec and non-blocking; without it, compat_accepted() makes it
 * so in the child, which keeps the parent's work per client the same.
 */
int
compat_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
#ifdef HAVE_ACCEPT4
	return accept4(fd, sa, len, SOCK_CLOEXEC | SOCK_NONBLOCK);
#else
	return accept(fd, sa, len);
#endif
}

/*
 * For a socket from compat_accept(): close-on-exec and non-blocking, if
 * accept4(2) did not already make it so.  Returns 0, or -1 with errno.
 */
int
compat_accepted(int fd)
{
#ifdef HAVE_ACCEPT4
	(void)fd;
	return 0;
#else
	if (util_set_cloexec(fd) == -1 ||
	    util_set_nonblock(fd, UTIL_NEW_FD) == -1)
		return -1;
	return 0;
#endif
}

/*
 * A pipe with both ends close-on-exec and non-blocking: with pipe2(2)
 * in one call, as every new child makes one.  Returns 0, or -1 with
 * errno and nothing open.
 */
int
compat_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
	return pipe2(fds, O_CLOEXEC | O_NONBLOCK);
#else
	int	 saved, i;

	if (pipe(fds) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (util_set_cloexec(fds[i]) == -1 ||
		    util_set_nonblock(fds[i], UTIL_NEW_FD) == -1) {
			saved = errno;
			close(fds[0]);
			close(fds[1]);
			fds[0] = fds[1] = -1;
			errno = saved;
			return -1;
		}
	return 0;
#endif
}

/*
 * How many bytes the pipe fd holds: F_GETPIPE_SZ where the system says,
 * else PIPE_BUF, the least a pipe can hold and still write that much at
 * once.
 */
size_t
compat_pipe_size(int fd)
{
#ifdef F_GETPIPE_SZ
	int	 n;

	if ((n = fcntl(fd, F_GETPIPE_SZ)) > 0)
		return (size_t)n;
#else
	(void)fd;
#endif
	return PIPE_BUF;
}

/*
 * SO_REUSEPORT for --reuseport, so that a new server can bind a port
 * that the one it replaces still listens on.  Returns 0, or -1 with
 * errno (ENOPROTOOPT where the system lacks it).
 */
int
compat_reuseport(int fd)
{
#ifdef SO_REUSEPORT
	int	 on = 1;

	return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
#else
	(void)fd;
	errno = ENOPROTOOPT;
	return -1;
#endif
}

/*
 * ppoll(2) (POSIX.1-2024), which configure insists on: it takes
 * descriptors of any number, as select(2) does not, and opens the
 * signals in mask for the wait only.
 */
int
compat_ppoll(struct pollfd *pfd, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	return ppoll(pfd, n, ts, mask);
}

/*
 * The credentials of a unix socket's peer as they were when it
 * connected, -1 for what the system does not tell: SO_PEERCRED (Linux)
 * has uid, gid and pid; getpeereid(3) (the BSDs) has no pid.
 */
void
compat_peercred(int fd, long long *uid, long long *gid, long long *pid)
{
#if defined(HAVE_SO_PEERCRED)
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);
#elif defined(HAVE_GETPEEREID)
	uid_t		 u;
	gid_t		 g;
#endif

	*uid = *gid = *pid = -1;
#if defined(HAVE_SO_PEERCRED)
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
		*uid = uc.uid;
		*gid = uc.gid;
		*pid = uc.pid;
	}
#elif defined(HAVE_GETPEEREID)
	if (getpeereid(fd, &u, &g) == 0) {
		*uid = u;
		*gid = g;
	}
#else
	(void)fd;
#endif
}

/*
 * The process's name as ps(1) and /proc/PID/comm show it (Linux's
 * PR_SET_NAME, at most 15 bytes): *old (COMPAT_NAME_MAX bytes, or NULL)
 * receives the name it had.  Elsewhere nothing changes.  Returns 0, or
 * -1 with errno.
 */
int
compat_set_name(const char *name, char *old)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_NAME)
	if (old != NULL && prctl(PR_GET_NAME, old, 0, 0, 0) == -1)
		return -1;
	return prctl(PR_SET_NAME, name, 0, 0, 0);
#else
	(void)name;
	if (old != NULL)
		old[0] = '\0';
	return 0;
#endif
}
