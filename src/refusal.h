/*
 * sock64: the log lines of refused connections, summed up per key (a
 * source, or the rule that refused it) and interval in a table of fixed
 * size.
 */
#ifndef SOCK64_REFUSAL_H
#define SOCK64_REFUSAL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define REFUSAL_SLOTS		32
#define REFUSAL_INTERVAL_MS	10000
#define REFUSAL_WHY_MAX		160

enum refusal_reason {
	REFUSAL_RULE,		/* --allow, --deny, --rules */
	REFUSAL_RATE,		/* --max-rate-per-source */
	REFUSAL_SOURCE,		/* --max-per-source */
	REFUSAL_REASONS
};

struct refusal_slot {
	int			 in_use;
	enum refusal_reason	 reason;
	struct addr_source	 key;
	char			 name[ADDR_NAME_MAX];	/* the key's */
	char			 why[REFUSAL_WHY_MAX];
	int64_t			 since;		/* the interval's start */
	unsigned long		 count;		/* refused since, not logged */
};

/* All zero is an empty log. */
struct refusal_log {
	struct refusal_slot	 slot[REFUSAL_SLOTS];
	struct refusal_slot	 others[REFUSAL_REASONS]; /* with no slot */
	size_t			 active;	/* slots in use, others too */
};

int	refusal_note(struct refusal_log *, enum refusal_reason,
	    const struct addr_source *, const char *, const char *, int64_t);
int	refusal_flush(struct refusal_log *, int64_t, int);

#endif /* SOCK64_REFUSAL_H */
