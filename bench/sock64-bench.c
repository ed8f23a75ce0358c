/*
 * sock64-bench: a load generator for the sock64 protocol.  It speaks
 * the protocol as a client, checks every reply byte for byte, and
 * prints one line of results: key=value pairs, easy to parse.  Every
 * loop is bounded by a count and by seconds; it connects only to
 * loopback addresses and unix sockets.
 *
 *   conn  W workers: connect, one "Hello Server!" round trip, close
 *         (-g: with a pause after each, so each finds the server idle)
 *   rtt   W connections (default 1), sequential round trips on each
 *   pipe  one connection, small frames pipelined within a window
 *   bulk  one connection, big frames (1 MiB) one at a time
 *   conc  N connections, one round trip each, held while the server
 *         tree's memory (PSS) is read from /proc, then closed
 *   fork  no server: fork(2), _exit(2) in the child, waitpid(2), one
 *         after the other: what this machine charges for a process
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define HDR		64
#define MAX_WORKERS	256
#define PIPE_MSG	"Hello Server!"

struct opts {
	const char	*mode;
	struct target	 target;
	long		 count;
	double		 seconds;
	int		 workers;
	size_t		 size;		/* payload bytes */
	int		 window;	/* pipe: frames in flight */
	long		 pid;		/* conc: the server's pid */
	long		 gap_us;	/* conn: pause after each */
};

/* Shared by the workers of one run. */
struct run {
	const struct opts	*o;
	int64_t			 deadline;	/* ns, monotonic */
	atomic_long		 next;		/* op slots claimed */
	atomic_long		 done;		/* ops completed */
	atomic_int		 failed;
	uint32_t		*lat_ns;	/* per op; UINT32_MAX: none */
	unsigned char		*req;		/* one request frame */
	unsigned char		*rep;		/* reply scratch, per worker */
	size_t			 framelen;
};

static void	usage(void) __attribute__((noreturn));
static void	parse_args(int, char **, struct opts *);
static int	run_workers(struct run *, void *(*)(void *), double *);
static void	*conn_worker(void *);
static void	*rtt_worker(void *);
static int	round_trip(struct run *, int, unsigned char *);
static int	mode_pipe(const struct opts *);
static int	mode_conc(const struct opts *);
static int	mode_fork(struct run *, double *);
static void	pause_us(long);
static void	report_latency(const char *, struct run *, double);
static unsigned char	*make_frame(size_t, size_t *);

static void
usage(void)
{
	fprintf(stderr,
"usage: sock64-bench conn|rtt|pipe|bulk|conc|fork [-a address] [-n count]\n"
"           [-t seconds] [-w workers] [-s size] [-W window] [-p pid]\n"
"           [-g microseconds]\n"
"  -a  127.0.0.1:PORT, [::1]:PORT or unix:PATH (default 127.0.0.1:8000)\n"
"  -n  at most this many operations (conc: connections to hold)\n"
"  -t  and at most this many seconds (default 2)\n"
"  -w  conn: concurrent workers (default 4); rtt: connections (1)\n"
"  -s  payload bytes (default 13; bulk 1048576)\n"
"  -W  pipe: frames in flight (default 64)\n"
"  -p  conc: the server's pid; its whole process tree is measured\n"
"  -g  conn: each worker pauses this long between connections (0), so\n"
"      that each finds the server idle\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	struct run	 r;
	double		 secs;
	int		 rv;

	parse_args(argc, argv, &o);
	if (strcmp(o.mode, "pipe") == 0)
		return mode_pipe(&o);
	if (strcmp(o.mode, "conc") == 0)
		return mode_conc(&o);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.req = make_frame(o.size, &r.framelen);
	r.lat_ns = calloc((size_t)o.count, sizeof(*r.lat_ns));
	if (r.lat_ns == NULL)
		bench_die("out of memory");
	if (strcmp(o.mode, "fork") == 0)
		rv = mode_fork(&r, &secs);
	else if (strcmp(o.mode, "conn") == 0)
		rv = run_workers(&r, conn_worker, &secs);
	else
		rv = run_workers(&r, rtt_worker, &secs);
	if (rv == -1 || atomic_load(&r.failed))
		return 1;
	report_latency(o.mode, &r, secs);
	return 0;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const char	*addr = "127.0.0.1:8000";
	int		 ch, size_given = 0;

	if (argc < 2)
		usage();
	memset(o, 0, sizeof(*o));
	o->mode = argv[1];
	if (strcmp(o->mode, "conn") && strcmp(o->mode, "rtt") &&
	    strcmp(o->mode, "pipe") && strcmp(o->mode, "bulk") &&
	    strcmp(o->mode, "conc") && strcmp(o->mode, "fork"))
		usage();
	o->count = strcmp(o->mode, "conc") == 0 ? 1000 : 1000000;
	o->seconds = 2;
	o->workers = strcmp(o->mode, "conn") == 0 ? 4 : 1;
	o->size = 13;
	o->window = 64;
	optind = 2;
	while ((ch = getopt(argc, argv, "a:g:n:p:s:t:w:W:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'g':
			o->gap_us = bench_num(optarg, 0, 10000000);
			break;
		case 'n':
			o->count = bench_num(optarg, 1, 100000000);
			break;
		case 'p':
			o->pid = bench_num(optarg, 1, INT_MAX);
			break;
		case 's':
			o->size = (size_t)bench_num(optarg, 0, 64 << 20);
			size_given = 1;
			break;
		case 't':
			o->seconds = (double)bench_num(optarg, 1, 3600);
			break;
		case 'w':
			o->workers = (int)bench_num(optarg, 1, MAX_WORKERS);
			break;
		case 'W':
			o->window = (int)bench_num(optarg, 1, 100000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (strcmp(o->mode, "bulk") == 0 && !size_given)
		o->size = 1 << 20;
	if (bench_target(addr, &o->target) == -1)
		bench_die("bad address %s (loopback or unix:PATH only)", addr);
}

/* A request frame: header, then a payload that is not all one byte. */
static unsigned char *
make_frame(size_t size, size_t *len)
{
	unsigned char	*f;
	size_t		 i;

	if ((f = malloc(HDR + size + 1)) == NULL)
		bench_die("out of memory");
	snprintf((char *)f, HDR + 1, "%-64zu", size);
	if (size == 13)
		memcpy(f + HDR, PIPE_MSG, 13);
	else
		for (i = 0; i < size; i++)
			f[HDR + i] = (unsigned char)(i * 7 + (i >> 12));
	*len = HDR + size;
	return f;
}

/*
 * Starts the workers, waits for them, and gives the wall time from the
 * start to the last one's end.
 */
static int
run_workers(struct run *r, void *(*fn)(void *), double *secs)
{
	pthread_t	 th[MAX_WORKERS];
	int64_t		 start;
	int		 i, n = r->o->workers;

	start = bench_now_ns();
	r->deadline = start + (int64_t)(r->o->seconds * 1e9);
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, fn, r) != 0)
			bench_die("pthread_create");
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	*secs = (double)(bench_now_ns() - start) / 1e9;
	return atomic_load(&r->done) > 0 ? 0 : -1;
}

/*
 * fork: one process at a time, created, exited and reaped; each op is
 * the time from fork(2) to waitpid(2)'s return.
 */
static int
mode_fork(struct run *r, double *secs)
{
	int64_t	 start, t0;
	pid_t	 pid;
	long	 i;
	int	 status;

	start = bench_now_ns();
	r->deadline = start + (int64_t)(r->o->seconds * 1e9);
	for (i = 0; i < r->o->count && bench_now_ns() < r->deadline; i++) {
		t0 = bench_now_ns();
		if ((pid = fork()) == -1)
			bench_die("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			bench_die("waitpid");
		r->lat_ns[i] = bench_lat(t0);
		atomic_fetch_add(&r->done, 1);
	}
	*secs = (double)(bench_now_ns() - start) / 1e9;
	return i > 0 ? 0 : -1;
}

/* Sleeps us microseconds, whatever signals arrive. */
static void
pause_us(long us)
{
	struct timespec	 ts;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* Claims the next op slot, or -1 when the count or the time is up. */
static long
claim(struct run *r)
{
	long	 i;

	if (atomic_load(&r->failed) || bench_now_ns() >= r->deadline)
		return -1;
	i = atomic_fetch_add(&r->next, 1);
	return i < r->o->count ? i : -1;
}

/* conn: a whole connection is one op. */
static void *
conn_worker(void *arg)
{
	struct run	*r = arg;
	unsigned char	*rep;
	int64_t		 t0;
	long		 i;
	int		 fd;

	if ((rep = malloc(r->framelen)) == NULL)
		bench_die("out of memory");
	while ((i = claim(r)) != -1) {
		t0 = bench_now_ns();
		if ((fd = bench_connect(&r->o->target, r->deadline)) == -1 ||
		    round_trip(r, fd, rep) == -1) {
			bench_warn("connection %ld failed", i);
			atomic_store(&r->failed, 1);
			if (fd != -1)
				close(fd);
			break;
		}
		close(fd);
		r->lat_ns[i] = bench_lat(t0);
		atomic_fetch_add(&r->done, 1);
		if (r->o->gap_us > 0)
			pause_us(r->o->gap_us);
	}
	free(rep);
	return NULL;
}

/* rtt and bulk: one connection per worker, round trips on it. */
static void *
rtt_worker(void *arg)
{
	struct run	*r = arg;
	unsigned char	*rep;
	int64_t		 t0;
	long		 i;
	int		 fd;

	if ((rep = malloc(r->framelen)) == NULL)
		bench_die("out of memory");
	if ((fd = bench_connect(&r->o->target, r->deadline)) == -1) {
		atomic_store(&r->failed, 1);
		free(rep);
		return NULL;
	}
	while ((i = claim(r)) != -1) {
		t0 = bench_now_ns();
		if (round_trip(r, fd, rep) == -1) {
			bench_warn("request %ld failed", i);
			atomic_store(&r->failed, 1);
			break;
		}
		r->lat_ns[i] = bench_lat(t0);
		atomic_fetch_add(&r->done, 1);
	}
	close(fd);
	free(rep);
	return NULL;
}

/* Sends the request, reads the reply into rep and checks it. */
static int
round_trip(struct run *r, int fd, unsigned char *rep)
{
	if (bench_exchange(fd, r->req, r->framelen, rep, r->framelen,
	    r->deadline + BENCH_GRACE_NS) == -1)
		return -1;
	if (memcmp(rep, r->req, r->framelen) != 0) {
		bench_warn("reply differs from the request");
		return -1;
	}
	return 0;
}

static void
report_latency(const char *mode, struct run *r, double secs)
{
	long	 n = atomic_load(&r->done);
	double	 mb;

	bench_sort_lat(r->lat_ns, n);
	printf("mode=%s ops=%ld secs=%.3f rate=%.1f p50_us=%.1f p99_us=%.1f",
	    mode, n, secs, (double)n / secs, bench_pct(r->lat_ns, n, 50),
	    bench_pct(r->lat_ns, n, 99));
	if (strcmp(mode, "bulk") == 0) {
		/* Request and reply payload bytes both cross the wire. */
		mb = (double)n * (double)r->o->size / 1e6;
		printf(" mb_s=%.1f", mb / secs);
	}
	printf(" workers=%d size=%zu\n", r->o->workers, r->o->size);
}

/*
 * pipe: keeps up to window small frames in flight on one connection.
 * Every reply is an exact copy of its request, so the reply stream is
 * checked against the repeating request frame.
 */
static int
mode_pipe(const struct opts *o)
{
	struct bench_pipe	 p;
	unsigned char		*frame;
	size_t			 flen;
	int64_t			 start, deadline;
	double			 secs;
	int			 fd;

	frame = make_frame(o->size, &flen);
	start = bench_now_ns();
	deadline = start + (int64_t)(o->seconds * 1e9);
	if ((fd = bench_connect(&o->target, deadline)) == -1)
		return 1;
	memset(&p, 0, sizeof(p));
	p.frame = frame;
	p.framelen = flen;
	p.window = o->window;
	p.max = o->count;
	if (bench_pipeline(fd, &p, deadline) == -1)
		return 1;
	secs = (double)(bench_now_ns() - start) / 1e9;
	close(fd);
	printf("mode=pipe ops=%ld secs=%.3f rate=%.1f window=%d size=%zu\n",
	    p.received, secs, (double)p.received / secs, o->window, o->size);
	return 0;
}

/*
 * conc: holds N connections, each past one round trip so the server
 * has surely set it up, then reads the server tree's PSS.
 */
static int
mode_conc(const struct opts *o)
{
	struct run	 r;
	struct rlimit	 rl;
	struct bench_mem before, held;
	unsigned char	*rep;
	int		*fds;
	int64_t		 start;
	long		 i, n = 0;
	int		 rv = 1;

	if (o->pid == 0)
		bench_die("conc needs -p PID, the server's pid");
	rl.rlim_cur = rl.rlim_max = (rlim_t)o->count + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		bench_die("cannot allow %ld descriptors", o->count + 64);
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.req = make_frame(o->size, &r.framelen);
	if ((rep = malloc(r.framelen)) == NULL ||
	    (fds = calloc((size_t)o->count, sizeof(*fds))) == NULL)
		bench_die("out of memory");
	if (bench_tree_mem((pid_t)o->pid, &before) == -1)
		bench_die("cannot read the memory of pid %ld", o->pid);
	start = bench_now_ns();
	r.deadline = start + (int64_t)(o->seconds * 1e9);
	for (n = 0; n < o->count && bench_now_ns() < r.deadline; n++)
		if ((fds[n] = bench_connect(&o->target, r.deadline)) == -1 ||
		    round_trip(&r, fds[n], rep) == -1)
			break;
	if (n == o->count && bench_tree_mem((pid_t)o->pid, &held) == 0) {
		printf("mode=conc conns=%ld secs=%.3f procs=%ld pss_kib=%ld "
		    "idle_pss_kib=%ld per_conn_kib=%.1f\n", n,
		    (double)(bench_now_ns() - start) / 1e9, held.procs,
		    held.pss_kib, before.pss_kib,
		    (double)(held.pss_kib - before.pss_kib) / (double)n);
		rv = 0;
	} else
		bench_warn("held %ld of %ld connections", n, o->count);
	for (i = 0; i < n && i < o->count; i++)
		if (fds[i] != -1)
			close(fds[i]);
	return rv;
}
