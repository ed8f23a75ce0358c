/*
 * sock64: the socket calls POSIX does not have, or that libc declares
 * only behind feature macros: accept4(2), SO_REUSEPORT, ppoll(2), a unix
 * peer's credentials.  Each is used where configure found it, with a
 * fallback where there is one.
 */
#ifndef SOCK64_COMPAT_H
#define SOCK64_COMPAT_H

#include <sys/socket.h>

#include <poll.h>
#include <signal.h>
#include <time.h>

int	compat_accept(int, struct sockaddr *, socklen_t *);
int	compat_accepted(int);
int	compat_reuseport(int);
int	compat_ppoll(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *);
void	compat_peercred(int, long long *, long long *, long long *);

#endif /* SOCK64_COMPAT_H */
