/*
 * sock64: the parent loop's own state, shared by its files: loop.c
 * (waiting, accepting, forking, reaping), loopstop.c (shutdown) and
 * spare.c (children forked ahead of demand).
 */
#ifndef SOCK64_LOOPINT_H
#define SOCK64_LOOPINT_H

#include <sys/socket.h>

#include <poll.h>
#include <stdint.h>

#include "addr.h"
#include "admit.h"
#include "children.h"
#include "loop.h"
#include "spare.h"
#include "srclimit.h"

/* A client accepted and not yet handed to a child. */
struct accepted {
	const struct listener		*listener;
	int				 fd;		/* -1: none */
	int				 later;	/* counted by its child */
	socklen_t			 addrlen;
	struct sockaddr_storage		 addr;
	struct addr_source		 source;	/* --max-per-source */
};

struct loop {
	const struct loop_opts		*opts;
	struct children			 children;
	int64_t				 paused_until;
	int64_t				 paced_until;	/* --max-rate */
	int64_t				 warned_at;
	unsigned long long		 served;
	struct loop_stats		 reported;
	int64_t				 reported_at;
	/* For ppoll(2): the report pipe, then one per listener. */
	struct pollfd			*pfd;
	/* A client whose fork failed: it is served before anyone else. */
	struct accepted			 pending;
	struct admit			 admit;		/* rules, rates */
	struct srclimit			 srclimit;	/* --max-per-source */
	unsigned long long		 capped;	/* times at -c */
	struct spares			 spares;	/* --spares */
};

void	loop_reap(struct loop *);
void	loop_child_drop(struct loop *);
void	loop_child(const struct loop *, const struct accepted *, int)
	    __attribute__((noreturn));
void	loop_stop(struct loop *);
void	loop_log_counts(const struct loop *);

#endif /* SOCK64_LOOPINT_H */
