/*
 * sock64: one connection, in whichever process serves it: a child of
 * the accept loop, or sock64d -i on fd 0/1.  Its PROXY header, its
 * source for --max-per-source, the handler (echo or a program) and the
 * request/reply loop.  Knows neither the command line nor how the
 * daemon started: it is given its options.
 */
#ifndef SOCK64_SESSION_H
#define SOCK64_SESSION_H

#include <sys/socket.h>

#include "conn.h"
#include "exec.h"
#include "loop.h"
#include "proxyio.h"

/* What each connection is served with. */
struct session_opts {
	struct conn_opts	 conn;
	const struct exec_opts	*exec;		/* NULL: echo */
	struct proxy_opts	 proxy;
};

int	session_serve(int, const struct loop_client *, void *);
int	session_later_source(const struct sockaddr *, socklen_t, int,
	    void *);
int	session_inetd(const struct session_opts *);

#endif /* SOCK64_SESSION_H */
