/*
 * sock64: spare children, forked by the parent ahead of demand.  Each
 * waits for exactly one client, which the parent accepts, judges and
 * then passes down a socket pair of the spare's own; it serves that one
 * connection and exits, as a child forked for the client would.
 */
#ifndef SOCK64_SPARE_H
#define SOCK64_SPARE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct loop;
struct accepted;

struct spare {
	pid_t			 pid;
	int			 fd;		/* the parent's end */
};

/* The spares waiting for a client, [0, n). */
struct spares {
	struct spare		*spare;
	size_t			 n;
	size_t			 want;		/* --spares */
	int64_t			 retry_at;	/* after fork fails */
	int64_t			 warned_at;
	int64_t			 client_at;	/* the last client */
};

int	spare_init(struct spares *, size_t);
void	spare_free(struct spares *);
int	spare_due(const struct loop *);
void	spare_fill(struct loop *);
pid_t	spare_hand(struct loop *, const struct accepted *, int);
void	spare_client(struct spares *);
void	spare_reaped(struct spares *, pid_t);
void	spare_close_all(struct spares *);

#endif /* SOCK64_SPARE_H */
