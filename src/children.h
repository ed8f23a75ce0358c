/*
 * sock64: the parent's table of live children, one per client it
 * forked for: whom each serves, for the log line when it dies badly, and
 * its source for --max-per-source.  Pure data: it logs nothing and
 * knows no signal handling.
 */
#ifndef SOCK64_CHILDREN_H
#define SOCK64_CHILDREN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include "addr.h"

struct listener;

struct child {
	pid_t			 pid;
	const struct listener	*listener;
	socklen_t		 addrlen;
	struct sockaddr_storage	 addr;
	struct addr_source	 source;	/* --max-per-source */
	int			 verdict_fd;	/* source due; or -1 */
};

struct children {
	struct child		*child;		/* [0, n) are live */
	size_t			 n;
	size_t			 max;
};

int		 children_init(struct children *, size_t);
void		 children_free(struct children *);
struct child	*children_add(struct children *, pid_t);
struct child	*children_find(struct children *, pid_t);
void		 children_remove(struct children *, struct child *);
size_t		 children_count_source(const struct children *,
		    const struct addr_source *);
void		 children_signal(const struct children *, int);

#endif /* SOCK64_CHILDREN_H */
