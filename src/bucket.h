/*
 * sock64: --max-rate-per-source, a token bucket per source.  A source
 * may open rate connections per period, in bursts of up to rate.  The
 * table holds at most a fixed number of sources; a new one takes the
 * place of the one idle the longest.  Each connection costs a hash
 * lookup.  The clock is the caller's.
 */
#ifndef SOCK64_BUCKET_H
#define SOCK64_BUCKET_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define BUCKET_NONE	UINT32_MAX

struct bucket {
	struct addr_source	 source;
	int64_t			 credit;	/* 1 connection: cost */
	int64_t			 at;		/* ms: credit as of then */
	uint32_t		 hash_next;	/* in its hash chain */
	uint32_t		 newer, older;	/* by last use */
};

struct bucket_table {
	struct bucket		*bucket;
	uint32_t		*chain;		/* hash -> first bucket */
	uint32_t		 size, used, mask;
	uint32_t		 newest, oldest;
	uint64_t		 seed;
	int64_t			 rate;		/* connections a period */
	int64_t			 period_ms;
};

int	bucket_init(struct bucket_table *, uint32_t, int64_t, int64_t);
int	bucket_take(struct bucket_table *, const struct addr_source *,
	    int64_t);
void	bucket_free(struct bucket_table *);

#endif /* SOCK64_BUCKET_H */
