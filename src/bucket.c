/*
 * sock64: token buckets per source, in a table of fixed size.  Credit is
 * kept in whole units: a connection costs period_ms units and a bucket
 * gains rate units a millisecond, up to rate connections' worth, so no
 * fraction is ever lost.  Buckets are chained by hash and kept in order
 * of last use; when the table is full, the bucket idle the longest is
 * taken for the new source.  The hash is keyed with a seed chosen at
 * start, so that a client cannot pick addresses that share a chain.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bucket.h"

static uint32_t	bucket_hash(const struct bucket_table *,
		    const struct addr_source *);
static uint32_t	bucket_find(const struct bucket_table *,
		    const struct addr_source *, uint32_t);
static uint32_t	bucket_new(struct bucket_table *,
		    const struct addr_source *, uint32_t, int64_t);
static void	bucket_unchain(struct bucket_table *, uint32_t);
static void	bucket_unlink(struct bucket_table *, uint32_t);
static void	bucket_link_newest(struct bucket_table *, uint32_t);

/*
 * Room for size sources, each allowed rate connections per period_ms.
 * Returns 0, or -1 with errno.
 */
int
bucket_init(struct bucket_table *t, uint32_t size, int64_t rate,
    int64_t period_ms)
{
	struct timespec	 ts;
	uint32_t	 chains = 1, i;

	memset(t, 0, sizeof(*t));
	if (size == 0 || size > UINT32_MAX / 2 || rate <= 0 ||
	    period_ms <= 0) {
		errno = EINVAL;
		return -1;
	}
	while (chains < size)
		chains *= 2;
	/* calloc: pages never touched are never copied at fork. */
	t->bucket = calloc(size, sizeof(*t->bucket));
	t->chain = malloc(chains * sizeof(*t->chain));
	if (t->bucket == NULL || t->chain == NULL) {
		bucket_free(t);
		return -1;
	}
	for (i = 0; i < chains; i++)
		t->chain[i] = BUCKET_NONE;
	t->size = size;
	t->mask = chains - 1;
	t->newest = t->oldest = BUCKET_NONE;
	t->rate = rate;
	t->period_ms = period_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	t->seed = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^
	    ((uint64_t)getpid() << 16);
	return 0;
}

/*
 * A connection from src at now (ms): 1 if its bucket has the credit
 * (which it then spends), 0 if it is over its rate.
 */
int
bucket_take(struct bucket_table *t, const struct addr_source *src,
    int64_t now)
{
	struct bucket	*b;
	uint32_t	 h, i;
	int64_t		 full, elapsed;

	h = bucket_hash(t, src);
	if ((i = bucket_find(t, src, h)) == BUCKET_NONE)
		i = bucket_new(t, src, h, now);
	else
		bucket_unlink(t, i);
	bucket_link_newest(t, i);
	b = &t->bucket[i];
	full = t->rate * t->period_ms;
	elapsed = now - b->at;
	if (elapsed >= t->period_ms)
		b->credit = full;
	else if (elapsed > 0 && (b->credit += elapsed * t->rate) > full)
		b->credit = full;
	if (elapsed > 0)
		b->at = now;
	if (b->credit < t->period_ms)
		return 0;
	b->credit -= t->period_ms;
	return 1;
}

/* FNV-1a over the source, started from the seed. */
static uint32_t
bucket_hash(const struct bucket_table *t, const struct addr_source *src)
{
	uint64_t	 h = 14695981039346656037ULL ^ t->seed;
	size_t		 i;

	h = (h ^ (unsigned char)src->family) * 1099511628211ULL;
	for (i = 0; i < sizeof(src->bytes); i++)
		h = (h ^ src->bytes[i]) * 1099511628211ULL;
	return (uint32_t)(h ^ (h >> 32)) & t->mask;
}

static uint32_t
bucket_find(const struct bucket_table *t, const struct addr_source *src,
    uint32_t h)
{
	uint32_t	 i;

	for (i = t->chain[h]; i != BUCKET_NONE; i = t->bucket[i].hash_next)
		if (addr_same_source(&t->bucket[i].source, src))
			return i;
	return BUCKET_NONE;
}

/*
 * A full bucket for src, in hash chain h: a free one, or else the one
 * idle the longest, whose source starts again from a full bucket should
 * it come back.  Not yet in the order of use.
 */
static uint32_t
bucket_new(struct bucket_table *t, const struct addr_source *src,
    uint32_t h, int64_t now)
{
	struct bucket	*b;
	uint32_t	 i;

	if (t->used < t->size)
		i = t->used++;
	else {
		i = t->oldest;
		bucket_unchain(t, i);
		bucket_unlink(t, i);
	}
	b = &t->bucket[i];
	b->source = *src;
	b->credit = t->rate * t->period_ms;
	b->at = now;
	b->hash_next = t->chain[h];
	t->chain[h] = i;
	return i;
}

/* Takes bucket i out of its hash chain. */
static void
bucket_unchain(struct bucket_table *t, uint32_t i)
{
	uint32_t	*p;

	p = &t->chain[bucket_hash(t, &t->bucket[i].source)];
	while (*p != i)
		p = &t->bucket[*p].hash_next;
	*p = t->bucket[i].hash_next;
}

/* Takes bucket i out of the order of use. */
static void
bucket_unlink(struct bucket_table *t, uint32_t i)
{
	struct bucket	*b = &t->bucket[i];

	if (b->newer != BUCKET_NONE)
		t->bucket[b->newer].older = b->older;
	else
		t->newest = b->older;
	if (b->older != BUCKET_NONE)
		t->bucket[b->older].newer = b->newer;
	else
		t->oldest = b->newer;
}

static void
bucket_link_newest(struct bucket_table *t, uint32_t i)
{
	struct bucket	*b = &t->bucket[i];

	b->newer = BUCKET_NONE;
	b->older = t->newest;
	if (t->newest != BUCKET_NONE)
		t->bucket[t->newest].newer = i;
	t->newest = i;
	if (t->oldest == BUCKET_NONE)
		t->oldest = i;
}

void
bucket_free(struct bucket_table *t)
{
	free(t->bucket);
	free(t->chain);
	memset(t, 0, sizeof(*t));
}
