/*
 * sock64-bench: shared pieces of the load generator.  net.c connects
 * and moves frames (loopback and unix sockets only); stats.c keeps
 * time, sorts latencies and reads a process tree's memory from /proc.
 */
#ifndef SOCK64_BENCH_H
#define SOCK64_BENCH_H

#include <sys/socket.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* How long past the run's end a reply may still take to arrive. */
#define BENCH_GRACE_NS	(5 * 1000000000LL)

struct target {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 is_unix;
};

/* pipe mode: the one frame repeated, and how far each side got. */
struct bench_pipe {
	const unsigned char	*frame;
	size_t			 framelen;
	int			 window;	/* frames in flight */
	long			 max;		/* frames to send */
	long			 received;	/* replies checked */
};

struct bench_mem {
	long		 procs;
	long		 pss_kib;
};

int		 bench_target(const char *, struct target *);
int		 bench_connect(const struct target *, int64_t);
int		 bench_exchange(int, const void *, size_t, void *, size_t,
		    int64_t);
int		 bench_pipeline(int, struct bench_pipe *, int64_t);

int64_t		 bench_now_ns(void);
uint32_t	 bench_lat(int64_t);
void		 bench_sort_lat(uint32_t *, long);
double		 bench_pct(const uint32_t *, long, int);
int		 bench_tree_mem(pid_t, struct bench_mem *);
long		 bench_num(const char *, long, long);
void		 bench_warn(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 bench_die(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

#endif /* SOCK64_BENCH_H */
