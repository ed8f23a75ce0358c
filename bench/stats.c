/*
 * sock64-bench: clocks, latency percentiles, numbers on the command
 * line, messages, and the memory (PSS) of a process and all its
 * descendants, read from /proc/PID/smaps_rollup.
 */
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

struct proc {
	pid_t	 pid;
	pid_t	 ppid;
	int	 in_tree;
};

static int	stats_cmp(const void *, const void *);
static long	stats_procs(struct proc **);
static long	stats_pss(pid_t);

int64_t
bench_now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Nanoseconds since t0, saturated to fit. */
uint32_t
bench_lat(int64_t t0)
{
	int64_t	 d = bench_now_ns() - t0;

	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static int
stats_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void
bench_sort_lat(uint32_t *lat, long n)
{
	qsort(lat, (size_t)n, sizeof(*lat), stats_cmp);
}

/* The p-th percentile of n sorted latencies, in microseconds. */
double
bench_pct(const uint32_t *lat, long n, int p)
{
	if (n <= 0)
		return 0;
	return (double)lat[(n - 1) * p / 100] / 1000.0;
}

long
bench_num(const char *s, long min, long max)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		bench_die("'%s' is not a number in [%ld, %ld]", s, min, max);
	return n;
}

void
bench_warn(const char *fmt, ...)
{
	va_list	 ap;

	fputs("sock64-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
bench_die(const char *fmt, ...)
{
	va_list	 ap;

	fputs("sock64-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/*
 * The PSS of root and every process below it (children, their
 * children, ...), in KiB.  Returns 0, or -1 when root is gone.
 */
int
bench_tree_mem(pid_t root, struct bench_mem *m)
{
	struct proc	*ps;
	long		 n, i, pss;
	int		 changed = 1;

	memset(m, 0, sizeof(*m));
	n = stats_procs(&ps);
	for (i = 0; i < n; i++)
		ps[i].in_tree = ps[i].pid == root;
	while (changed) {
		changed = 0;
		for (i = 0; i < n; i++) {
			if (ps[i].in_tree)
				continue;
			for (long j = 0; j < n; j++)
				if (ps[j].in_tree && ps[j].pid == ps[i].ppid) {
					ps[i].in_tree = changed = 1;
					break;
				}
		}
	}
	for (i = 0; i < n; i++) {
		if (!ps[i].in_tree || (pss = stats_pss(ps[i].pid)) < 0)
			continue;
		m->procs++;
		m->pss_kib += pss;
	}
	free(ps);
	return m->procs > 0 ? 0 : -1;
}

/* Every process's pid and parent pid, from /proc/PID/stat. */
static long
stats_procs(struct proc **out)
{
	struct proc	*ps = NULL, *np;
	struct dirent	*de;
	DIR		*d;
	FILE		*f;
	char		 path[300], buf[512], *rp;
	long		 n = 0, cap = 0;
	int		 ppid;

	if ((d = opendir("/proc")) == NULL)
		bench_die("/proc: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		rp = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		/* After the command name: " S PPID ...". */
		if (rp == NULL || sscanf(rp + 1, " %*c %d", &ppid) != 1)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((np = realloc(ps, (size_t)cap * sizeof(*ps))) ==
			    NULL)
				bench_die("out of memory");
			ps = np;
		}
		ps[n].pid = (pid_t)atol(de->d_name);
		ps[n].ppid = (pid_t)ppid;
		n++;
	}
	closedir(d);
	*out = ps;
	return n;
}

/* One process's PSS in KiB, or -1 if it is gone. */
static long
stats_pss(pid_t pid)
{
	FILE	*f;
	char	 path[64], line[256];
	long	 kib = -1;

	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Pss: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}
