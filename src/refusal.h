/*
 * sock64: the log lines of --max-per-source refusals, summed up per
 * source and interval in a table of fixed size.
 */
#ifndef SOCK64_REFUSAL_H
#define SOCK64_REFUSAL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define REFUSAL_SLOTS		32
#define REFUSAL_INTERVAL_MS	10000

struct refusal_slot {
	int			 in_use;
	struct addr_source	 source;
	int64_t			 since;		/* the interval's start */
	unsigned long		 count;		/* refused since, not logged */
};

/* All zero is an empty log. */
struct refusal_log {
	struct refusal_slot	 slot[REFUSAL_SLOTS];
	struct refusal_slot	 others;	/* sources with no slot */
	size_t			 active;	/* slots in use, others too */
};

void	refusal_note(struct refusal_log *, const struct addr_source *,
	    const char *, const char *, size_t, int64_t);
int	refusal_flush(struct refusal_log *, int64_t, int);

#endif /* SOCK64_REFUSAL_H */
