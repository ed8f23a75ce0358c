/*
 * Unit tests for the log's writes that never wait (log_nonblocking):
 * with standard error a pipe, a unix socket (the journal's stream) or a
 * terminal whose reader stopped, a line is dropped rather than waited
 * for, and the first line that goes again says how many were dropped.
 * The shared description on fd 2 never becomes non-blocking.
 */
#define _XOPEN_SOURCE	700	/* posix_openpt(3) and the rest of ptys */

#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

#define DROPS	100

static int	 orig_err = -1;

static void
set_nonblock(int fd, int on)
{
	int	 fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK :
	    fl & ~O_NONBLOCK) == -1) {
		perror("fcntl");
		exit(1);
	}
}

/* Writes to fd until it takes not one byte more. */
static void
fill(int fd)
{
	static const char	 block[512];

	set_nonblock(fd, 1);
	while (write(fd, block, sizeof(block)) > 0)
		continue;
	while (write(fd, block, 1) > 0)
		continue;
	set_nonblock(fd, 0);
}

/*
 * Appends to buf (NUL-terminated) what fd holds now, but the filler's
 * zero bytes.
 */
static void
drain(int fd, char *buf, size_t size)
{
	char	 junk[4096];
	size_t	 len = strlen(buf);
	ssize_t	 n, i;

	set_nonblock(fd, 1);
	while ((n = read(fd, junk, sizeof(junk))) > 0) {
		for (i = 0; i < n; i++)
			if (junk[i] != '\0' && len < size - 1)
				buf[len++] = junk[i];
	}
	buf[len] = '\0';
	set_nonblock(fd, 0);
}

/* Drains rfd into buf until it holds s, or 5 s have passed. */
static void
drain_until(int rfd, char *buf, size_t size, const char *s)
{
	struct pollfd	 pfd;
	time_t		 end = time(NULL) + 5;

	pfd.fd = rfd;
	pfd.events = POLLIN;
	drain(rfd, buf, size);
	while (strstr(buf, s) == NULL && time(NULL) < end) {
		poll(&pfd, 1, 100);
		drain(rfd, buf, size);
	}
}

/* Waits (5 s at most) until fd has room: a terminal frees it later. */
static void
wait_room(int fd)
{
	struct pollfd	 pfd;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	poll(&pfd, 1, 5000);
}

/* How many lines of got hold s. */
static int
count(const char *got, const char *s)
{
	int	 n = 0;

	for (; (got = strstr(got, s)) != NULL; got += strlen(s))
		n++;
	return n;
}

/*
 * With wfd as standard error, its reader (rfd) not reading: DROPS lines
 * go nowhere and cost no wait (SIGALRM ends a test that waits), and
 * after a drain the next line is told of them.  A pipe or a socket
 * stays full (exact: every line is dropped); a terminal's line
 * discipline may move bytes on later and make room again, so there each
 * line must either come through or be counted, none lost untold.
 */
static void
run(const char *what, int wfd, int rfd, int exact)
{
	char		 got[65536];
	const char	*p, *q, *last;
	int		 i, told = -1, seen;

	fflush(stderr);
	if (dup2(wfd, STDERR_FILENO) == -1) {
		perror("dup2");
		exit(1);
	}
	log_init("log_test", LOG_LEVEL_INFO, LOG_TO_STDERR);
	log_nonblocking();
	fill(wfd);
	alarm(10);
	for (i = 0; i < DROPS; i++)
		log_warnx("dropped %d", i);
	alarm(0);
	got[0] = '\0';
	drain(rfd, got, sizeof(got));
	wait_room(wfd);
	log_warnx("after");
	drain_until(rfd, got, sizeof(got), "after\n");
	i = fcntl(STDERR_FILENO, F_GETFL);
	log_blocking();
	dup2(orig_err, STDERR_FILENO);

	CHECK(i != -1 && (i & O_NONBLOCK) == 0,
	    "%s: fd 2 was made non-blocking", what);
	/*
	 * Every count told, summed: a terminal that makes room part way
	 * takes some lines between two bursts of dropped ones.
	 */
	last = NULL;
	for (q = got; (q = strstr(q, " log lines dropped: standard error "
	    "did not take them\n")) != NULL; q++) {
		for (p = q; p > got && p[-1] >= '0' && p[-1] <= '9'; p--)
			continue;
		told = (told == -1 ? 0 : told) + atoi(p);
		last = q;
	}
	seen = count(got, "]: warning: dropped ");
	CHECK(told > 0, "%s: no count of dropped lines: '%s'", what, got);
	CHECK(strstr(got, "]: warning: after\n") != NULL && last != NULL &&
	    last < strstr(got, "]: warning: after\n"),
	    "%s: got '%s'", what, got);
	if (exact)
		CHECK(told == DROPS && seen == 0, "%s: %d told, %d seen",
		    what, told, seen);
	else
		CHECK(told + seen == DROPS, "%s: %d told and %d seen of %d",
		    what, told, seen, DROPS);
}

static void
test_pipe(void)
{
	int	 p[2];

	if (pipe(p) == -1) {
		perror("pipe");
		exit(1);
	}
	run("pipe", p[1], p[0], 1);
	close(p[0]);
	close(p[1]);
}

static void
test_socket(void)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		exit(1);
	}
	run("socket", sv[1], sv[0], 1);
	close(sv[0]);
	close(sv[1]);
}

/* A terminal: written once poll(2) says it has room. */
static void
test_terminal(void)
{
	struct termios	 t;
	const char	*name;
	int		 master, slave;

	if ((master = posix_openpt(O_RDWR | O_NOCTTY)) == -1 ||
	    grantpt(master) == -1 || unlockpt(master) == -1 ||
	    (name = ptsname(master)) == NULL ||
	    (slave = open(name, O_RDWR | O_NOCTTY)) == -1) {
		fprintf(stderr, "log_test: no terminal to test (%s)\n",
		    strerror(errno));
		if (master != -1)
			close(master);
		return;
	}
	/* Raw: the lines come out as they went in. */
	if (tcgetattr(slave, &t) == 0) {
		t.c_oflag &= ~(tcflag_t)OPOST;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
		tcsetattr(slave, TCSANOW, &t);
	}
	run("terminal", slave, master, 0);
	close(slave);
	close(master);
}

int
main(void)
{
	if ((orig_err = dup(STDERR_FILENO)) == -1)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	test_pipe();
	test_socket();
	test_terminal();
	return check_exit("log_test");
}
