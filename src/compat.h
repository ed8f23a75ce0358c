/*
 * sock64: the calls POSIX does not have, or that libc declares only
 * behind feature macros: accept4(2), pipe2(2), SO_REUSEPORT, ppoll(2),
 * a unix peer's credentials, the process name.  Each is used where configure
 * found it, with a fallback where there is one.
 */
#ifndef SOCK64_COMPAT_H
#define SOCK64_COMPAT_H

#include <sys/socket.h>

#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <time.h>

/* A process name and its NUL (Linux's TASK_COMM_LEN). */
#define COMPAT_NAME_MAX	16

int	compat_accept(int, struct sockaddr *, socklen_t *);
int	compat_accepted(int);
int	compat_pipe(int [2]);
size_t	compat_pipe_size(int);
int	compat_reuseport(int);
int	compat_ppoll(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *);
void	compat_peercred(int, long long *, long long *, long long *);
int	compat_set_name(const char *, char *);

#endif /* SOCK64_COMPAT_H */
