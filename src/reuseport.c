/*
 * sock64: SO_REUSEPORT for --reuseport, so that a new server can bind a
 * port that the one it replaces still listens on.  glibc declares it
 * only with _DEFAULT_SOURCE; configure checked that this works, and
 * only this file needs it.
 */
#include "config.h"

#ifdef HAVE_SO_REUSEPORT
#define _DEFAULT_SOURCE	1
#endif

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>

#include "listen.h"

/* Returns 0, or -1 with errno (ENOPROTOOPT where the system lacks it). */
int
listen_reuseport(int fd)
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
