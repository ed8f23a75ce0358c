/*
 * sock64: the verdict on a client's source: the rules and rates of
 * admit.c, then --max-per-source, connections at once from one source.
 * The parent end judges a client at accept when its source is known
 * there, and otherwise answers its child, which reports the source once
 * it knows it (a PROXY header's client) and waits for the verdict: the
 * child end, srclimit_ask().  Either way a source is counted over the
 * live children.
 */
#ifndef SOCK64_SRCLIMIT_H
#define SOCK64_SRCLIMIT_H

#include <sys/socket.h>

#include <stddef.h>

#include "addr.h"
#include "admit.h"
#include "children.h"
#include "tally.h"

struct listener;

struct srclimit {
	size_t			 max;		/* 0: no limit */
	int			 reports[2];	/* children's reports; or -1 */
	/* True for a client whose source only its child will know. */
	int			(*later)(const struct sockaddr *, socklen_t,
				    int, void *);
	void			*later_arg;
	struct admit		*admit;		/* rules and rates */
};

/* A client at accept. */
enum srclimit_verdict {
	SRCLIMIT_REFUSED,	/* by a rule, a rate or a limit (logged) */
	SRCLIMIT_ADMITTED,
	SRCLIMIT_LATER		/* its child reports the source */
};

/* The parent end. */
int	srclimit_open(struct srclimit *, size_t, struct admit *,
	    int (*)(const struct sockaddr *, socklen_t, int, void *), void *);
void	srclimit_close(struct srclimit *, struct children *);
enum srclimit_verdict	srclimit_admit(struct srclimit *,
	    const struct children *, const struct listener *, int,
	    const struct sockaddr_storage *, socklen_t, struct addr_source *);
int	srclimit_verdict_pipe(int [2]);
void	srclimit_answer(struct srclimit *, struct children *);
void	srclimit_child(const struct srclimit *, const struct children *,
	    int, int *, int *);
void	srclimit_child_drop(const struct srclimit *, const struct children *);
void	srclimit_child_keep(const struct srclimit *, int, int *, int *);

/* The child end. */
int	srclimit_ask(int, int, const struct addr_source *, const char *,
	    enum tally_end *);

#endif /* SOCK64_SRCLIMIT_H */
