/*
 * sock64: the parent loop's own state, shared by its files: loop.c
 * (waiting, accepting, forking, reaping), loopchild.c (a new child's
 * side), loopstop.c (shutdown) and spare.c (children forked ahead of
 * demand).
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
#include "tally.h"

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
	struct tally			 tally;		/* the counts */
	int				 tally_pipe[2];	/* summaries */
	size_t				 tally_room;	/* how many fit */
	struct tally			 reported;
	int64_t				 reported_at;
	/*
	 * For ppoll(2): the report pipe, the tally pipe, then one per
	 * listener (LOOP_PFD_LISTENERS on).
	 */
	struct pollfd			*pfd;
	/* A client whose fork failed: it is served before anyone else. */
	struct accepted			 pending;
	struct admit			 admit;		/* rules, rates */
	struct srclimit			 srclimit;	/* --max-per-source */
	struct spares			 spares;	/* --spares */
};

#define LOOP_PFD_REPORTS	0
#define LOOP_PFD_TALLY		1
#define LOOP_PFD_LISTENERS	2

void	loop_reap(struct loop *);
void	loop_stop(struct loop *);

/* loopchild.c */
void	loop_child_drop(struct loop *);
void	loop_child(const struct loop *, const struct accepted *, int)
	    __attribute__((noreturn));

/* loopreport.c */
int	loop_tally_open(struct loop *);
void	loop_tally_close(struct loop *);
void	loop_tally_read(struct loop *);
void	loop_tally_now(const struct loop *, struct tally *);
int	loop_report(struct loop *, enum tally_phase);
void	loop_log_tally(const struct loop *);
void	loop_log_counts(const struct loop *);

#endif /* SOCK64_LOOPINT_H */
