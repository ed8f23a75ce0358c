/*
 * Unit tests for the per-source token buckets: bursts, refill to the
 * millisecond, sources kept apart, and a full table giving up the
 * source idle the longest, never one in use.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "bucket.h"
#include "check.h"

static struct addr_source
v4(unsigned int n)
{
	struct addr_source	 src;

	memset(&src, 0, sizeof(src));
	src.family = AF_INET;
	src.bytes[0] = 10;
	src.bytes[1] = (unsigned char)(n >> 16);
	src.bytes[2] = (unsigned char)(n >> 8);
	src.bytes[3] = (unsigned char)n;
	return src;
}

static int
takes(struct bucket_table *t, unsigned int n, int64_t now)
{
	struct addr_source	 src = v4(n);

	return bucket_take(t, &src, now);
}

static void
test_rate(void)
{
	struct bucket_table	 t;

	CHECK(bucket_init(&t, 16, 3, 1000) == 0, "init");
	CHECK(takes(&t, 1, 0) && takes(&t, 1, 0) && takes(&t, 1, 0),
	    "a burst of 3");
	CHECK(!takes(&t, 1, 0), "the 4th at once is over the rate");
	CHECK(takes(&t, 2, 0), "another source has its own bucket");
	CHECK(!takes(&t, 1, 333), "333 ms earn 0.999 of a connection");
	CHECK(takes(&t, 1, 334), "334 ms earn one");
	CHECK(!takes(&t, 1, 334), "and only one");
	CHECK(takes(&t, 1, 5000) && takes(&t, 1, 5000) &&
	    takes(&t, 1, 5000) && !takes(&t, 1, 5000),
	    "a long pause refills the burst, no more");
	CHECK(takes(&t, 1, 4000) == 0, "a clock going back earns nothing");
	bucket_free(&t);
	CHECK(bucket_init(&t, 16, 0, 1000) == -1, "rate 0 refused");
}

static void
test_eviction(void)
{
	struct bucket_table	 t;
	unsigned int		 i, found = 0;

	CHECK(bucket_init(&t, 4, 1, 60000) == 0, "init");
	CHECK(takes(&t, 1, 0) && !takes(&t, 1, 1), "source 1 spent");
	CHECK(takes(&t, 2, 2) && !takes(&t, 2, 3), "source 2 spent");
	CHECK(takes(&t, 3, 4) && takes(&t, 4, 5), "3 and 4");
	CHECK(!takes(&t, 1, 6), "source 1 used again: now the newest");
	CHECK(takes(&t, 5, 7), "source 5 takes the idlest bucket (2's)");
	CHECK(t.used == 4, "the table stays at its size: %u", t.used);
	CHECK(!takes(&t, 1, 8), "source 1 was kept, still spent");
	CHECK(takes(&t, 2, 9), "source 2 was dropped: a full bucket again");
	bucket_free(&t);

	/* More sources than room: the newest are all still there. */
	CHECK(bucket_init(&t, 65536, 1, 3600000) == 0, "init 64k");
	for (i = 0; i < 100000; i++)
		takes(&t, i, i);
	for (i = 100000 - 65536; i < 100000; i++)
		if (!takes(&t, i, 100000))
			found++;
	CHECK(found == 65536, "%u of the newest 65536 sources kept", found);
	CHECK(t.used == 65536, "used %u", t.used);
	bucket_free(&t);
}

int
main(void)
{
	test_rate();
	test_eviction();
	return check_exit("bucket_test");
}
