/*
 * sock64: the parent's loop: accept, fork, reap, stop.  Knows processes,
 * not the protocol: each accepted client is handed to the serve function
 * in a forked child.
 */
#ifndef SOCK64_LOOP_H
#define SOCK64_LOOP_H

#include <sys/types.h>
#include <sys/socket.h>

#include <signal.h>
#include <stddef.h>

#include "addr.h"
#include "admit.h"
#include "listen.h"
#include "rules.h"
#include "tally.h"

/* One accepted client, as the session gets it in its child. */
struct loop_client {
	const struct listener	*listener;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 name[ADDR_NAME_MAX];
	/* -1, or the pipes of srclimit_ask() (counted later). */
	int			 report_fd;
	int			 verdict_fd;
	/* Where the connection's summary goes (tally_send()), or -1. */
	int			 tally_fd;
};

struct loop_opts {
	struct listener		*listeners;
	size_t			 nlisteners;
	size_t			 max_children;
	size_t			 max_per_source; /* 0: no limit */
	size_t			 spares;	/* forked ahead of demand */
	const struct admit_opts	*admit;		/* rules and rates */
	struct rules		*rules;		/* at start; taken over */
	int			 grace;		/* s: SIGTERM to SIGKILL */
	sigset_t		 wait_mask;	/* while waiting; children */
	/* Runs in the child; its return value is the exit status. */
	int			(*serve)(int, const struct loop_client *,
				    void *);
	void			*arg;
	/* Optional: the counts, at most once a second and at shutdown. */
	void			(*report)(const struct tally *, void *);
	void			*report_arg;
	/*
	 * Optional: true for a peer whose source is known only once its
	 * child has read it (a PROXY header).  --max-per-source then
	 * counts what the child reports with srclimit_ask().
	 */
	int			(*later_source)(const struct sockaddr *,
				    socklen_t, int, void *);
	void			*later_arg;
};

int	loop_run(const struct loop_opts *);

#endif /* SOCK64_LOOP_H */
