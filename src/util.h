/*
 * sock64: small helpers shared by the daemon, the client and the tests.
 */
#ifndef SOCK64_UTIL_H
#define SOCK64_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

long long	 parse_num(const char *, long long, long long, const char **);
int		 parse_size(const char *, size_t, size_t, size_t *,
		    const char **);
int		 parse_seconds(const char *, int, int *, const char **);
int64_t		 util_now_ms(void);
int64_t		 util_wall_ms(void);
int		 util_remaining_ms(int64_t);
struct timespec	 util_ms_timespec(int);
int		 util_set_cloexec(int);
int		 util_set_nonblock(int, int);
size_t		 util_strlcpy(char *, const char *, size_t);
#define UTIL_NEW_FD	0	/* util_set_nonblock: made here just now */
#define UTIL_KEEP_FLAGS	1	/* handed to us: keep its other flags */

#endif /* SOCK64_UTIL_H */
