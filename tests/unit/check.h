/*
 * sock64 unit tests: the smallest assertion kit.  A failed CHECK prints
 * where and what, counts, and lets the test go on; check_exit() turns
 * the count into the exit status automake expects (0 pass, 1 fail).
 */
#ifndef SOCK64_CHECK_H
#define SOCK64_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int	check_failures;
static int	check_count;

#define CHECK(cond, ...) do {						\
	check_count++;							\
	if (!(cond)) {							\
		check_failures++;					\
		fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__,		\
		    __LINE__, #cond);					\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static inline int
check_exit(const char *name)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count,
	    check_failures);
	return check_failures == 0 ? 0 : 1;
}

#endif /* SOCK64_CHECK_H */
