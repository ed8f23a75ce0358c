/*
 * sock64: one connection's request/reply loop over two descriptors.  It
 * knows the frame format and the handler interface, not sockets: the
 * same loop serves a forked child, inetd mode on fd 0/1, and tests.
 */
#ifndef SOCK64_CONN_H
#define SOCK64_CONN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tally.h"

struct conn_request {
	const unsigned char	*data;
	size_t			 len;
	unsigned long		 seq;		/* 1 for the first request */
};

struct conn_reply {
	const void		*data;
	size_t			 len;
};

/*
 * A handler answers one request.  It returns 0 with *reply filled (the
 * reply's memory must stay valid until the handler is called again or
 * the connection ends), or -1 after logging why it failed: the request
 * gets no reply and the connection is closed.
 */
struct conn_handler {
	int		(*serve)(void *, const struct conn_request *,
			    struct conn_reply *);
	void		 *arg;
};

struct conn_opts {
	size_t				 max_message;
	int				 idle_timeout;	/* s; 0: none */
	/* Each frame's limit; the first one's counts from `started`. */
	int				 frame_timeout;	/* s; 0: none */
	int				 write_timeout;	/* s; 0: none */
	/* util_now_ms() when the connection was accepted; 0: now. */
	int64_t				 started;
	const char			*peer;		/* for log lines */
	const struct conn_handler	*handler;
	/* Input read before the loop (after a PROXY header): served first. */
	const unsigned char		*pending;
	size_t				 npending;	/* at most 64 KiB */
	/*
	 * Once set (by SIGTERM), answer what is buffered and stop; the
	 * replies then have stop_ms to reach the peer (see io_finish).
	 */
	const volatile sig_atomic_t	*stop;
	int				 stop_ms;
	/* Optional: requests, bytes and why it ended, for the summary. */
	struct tally_conn		*tally;
};

enum conn_result {
	CONN_CLOSED,		/* the peer closed at a frame boundary, or
				   *stop was set */
	CONN_FAILED		/* protocol error, timeout or I/O error */
};

enum conn_result	 conn_serve(int, int, const struct conn_opts *);

#endif /* SOCK64_CONN_H */
