/*
 * sock64: what a program run leaves behind.  Killing a program's process
 * group does not reach a descendant that left it (setsid(1), a daemon
 * that detaches): that one would outlive the request, the connection and
 * the server.  The process serving a connection is a subreaper (exec.c),
 * so such descendants become its children as their parents die; the
 * sweep kills each child with its group and reaps it, round after round,
 * until no child is left.  An empty list of children means no descendant
 * is left at all: every descendant has a parent chain up to us.  Every
 * child of that process belongs to a program run: it starts nothing else.
 *
 * The list is Linux's /proc/PID/task/TID/children.  Without it (no /proc,
 * or a kernel built without CONFIG_PROC_CHILDREN), killing the program's
 * group is all that can be done: there is no portable way to find a
 * descendant that left it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "exec.h"
#include "log.h"

/* Each round kills one generation (or one batch) of children. */
#define EXEC_SWEEP_ROUNDS	1000
#define EXEC_SWEEP_BATCH	512
#define EXEC_SWEEP_LIST		4096	/* list bytes read per round */

static int	exec_sweep_list(const char *);
static int	exec_children(const char *, pid_t *, int);
static int	exec_kill_batch(pid_t *, int);

/*
 * Orphans of the programs' descendants become ours, not init's: ours to
 * kill and reap, even those that left the group.  Where the system has
 * no such thing, killing the program's group is what is left.
 */
void
exec_subreaper(void)
{
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_CHILD_SUBREAPER)
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);
#endif
}

/*
 * Where /proc lists the calling process's children (a single-threaded
 * process: every child is its main thread's).  Returns 0, or -1.
 */
int
exec_sweep_path(char *path, size_t size)
{
	long	 pid = (long)getpid();
	int	 n;

	n = snprintf(path, size, "/proc/%ld/task/%ld/children", pid, pid);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * After a run (group: the program's, already killed) or at the end of a
 * connection (group 0): kills and reaps every process left, with path
 * from exec_sweep_path.  Where that list cannot be read, reaps what it
 * can: the members of group that are our children (they were killed
 * with it), and whatever else has come to us and exited.
 */
void
exec_sweep(const char *path, const char *peer, pid_t group)
{
	pid_t	 pid;
	int	 n;

	if ((n = exec_sweep_list(path)) > 0)
		log_debug("%s: processes left behind: %d killed and reaped",
		    peer, n);
	if (n != -1)
		return;
	if (errno == EPERM || errno == EAGAIN)
		log_warn("%s: processes left behind", peer);
	else
		while (group > 0 && ((pid = waitpid(-group, NULL, 0)) > 0 ||
		    (pid == -1 && errno == EINTR)))
			continue;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		continue;
}

/*
 * Kills (SIGKILL, with its process group unless that is our own) and
 * reaps every child, then the children their deaths hand to us, until
 * none is left.  Returns how many it killed, or -1 with errno: that of
 * open(2) when the list cannot be read, EPERM when the children left
 * cannot be killed (a set-user-ID program), EAGAIN when children still
 * came after EXEC_SWEEP_ROUNDS rounds.
 */
static int
exec_sweep_list(const char *path)
{
	pid_t	 pids[EXEC_SWEEP_BATCH];
	int	 n, killed, round, total = 0;

	for (round = 0; round < EXEC_SWEEP_ROUNDS; round++) {
		if ((n = exec_children(path, pids, EXEC_SWEEP_BATCH)) <= 0)
			return n == 0 ? total : -1;
		if ((killed = exec_kill_batch(pids, n)) == 0) {
			errno = EPERM;
			return -1;
		}
		total += killed;
	}
	errno = EAGAIN;
	return -1;
}

/*
 * Up to max of our children, from the list at path ("1 2 3 ", each pid
 * followed by a space: one cut off at the end of the buffer is left for
 * the next round).  Returns how many, or -1.
 */
static int
exec_children(const char *path, pid_t *pids, int max)
{
	char	 buf[EXEC_SWEEP_LIST];
	size_t	 len = 0, i;
	ssize_t	 n;
	long	 pid = 0;
	int	 fd, count = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < sizeof(buf) && ((n = read(fd, buf + len,
	    sizeof(buf) - len)) > 0 || (n == -1 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	close(fd);
	for (i = 0; i < len && count < max; i++) {
		if (buf[i] >= '0' && buf[i] <= '9')
			pid = pid * 10 + (buf[i] - '0');
		else {
			if (pid > 0)
				pids[count++] = (pid_t)pid;
			pid = 0;
		}
	}
	return count;
}

/*
 * Kills each child and its group, then waits for each one killed (so
 * that its own children are ours before the next round lists them).  A
 * child that cannot be killed is not waited for: that could block for
 * ever.  Returns how many were killed.
 */
static int
exec_kill_batch(pid_t *pids, int n)
{
	pid_t	 own = getpgrp(), pg;
	int	 i, killed = 0;

	for (i = 0; i < n; i++) {
		/* Its group cannot go while it is our unreaped child. */
		pg = getpgid(pids[i]);
		if (kill(pids[i], SIGKILL) == -1) {
			pids[i] = -1;
			continue;
		}
		if (pg > 0 && pg != own)
			(void)kill(-pg, SIGKILL);
		killed++;
	}
	for (i = 0; i < n; i++)
		while (pids[i] != -1 && waitpid(pids[i], NULL, 0) == -1 &&
		    errno == EINTR)
			continue;
	return killed;
}
