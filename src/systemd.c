/*
 * sock64: socket activation and readiness notification, the two systemd
 * protocols of sd_listen_fds(3) and sd_notify(3), spoken directly: they
 * are a few environment variables and a datagram.  The variables are
 * removed once read, so that no child or handler inherits them.  Knows
 * listeners (to adopt passed sockets), not the protocol.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "loop.h"
#include "systemd.h"
#include "tally.h"
#include "util.h"

/* A passed socket's name, FileDescriptorName= of the socket unit. */
#define SYSTEMD_NAME_MAX	256

static int	systemd_count(const char **);
static int	systemd_check(int, void (*)(const char *, ...)
		    __attribute__((format(printf, 1, 2))));
static void	systemd_name(const char *, size_t, char *, size_t);
static void	systemd_unset(void);

/*
 * Adopts the listening sockets systemd passed (Accept=no) into ls, at
 * most max of them.  Returns how many, 0 when none were passed to this
 * process, or -1 after telling fail why: a variable that does not
 * parse, or a descriptor that is not a listening stream socket.  What
 * is wrong is known only here, in values taken from the environment,
 * so the words are ours and what a failure means is the caller's: at
 * start-up, fail is fatalx(), which does not return.  The LISTEN_*
 * variables are removed in every case.
 */
int
systemd_listeners(struct listener *ls, size_t max,
    void (*fail)(const char *, ...) __attribute__((format(printf, 1, 2))))
{
	const char	*names = getenv("LISTEN_FDNAMES");
	const char	*fds = getenv("LISTEN_FDS");
	const char	*why;
	char		 name[SYSTEMD_NAME_MAX];
	int		 n, i, fd;

	if ((n = systemd_count(&why)) == -1)
		fail("LISTEN_FDS '%s' is %s", fds, why);
	if (n <= 0)
		goto done;
	if ((size_t)n > max) {
		fail("systemd passed %d sockets; at most %zu are supported", n,
		    max);
		n = -1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		fd = SYSTEMD_LISTEN_FDS_START + i;
		if (systemd_check(fd, fail) == -1) {
			n = -1;
			goto done;
		}
		if (listen_adopt(fd, &ls[i]) == -1) {
			fail("socket from systemd (fd %d): %s", fd,
			    strerror(errno));
			n = -1;
			goto done;
		}
		systemd_name(names, (size_t)i, name, sizeof(name));
		log_info("listening on %s (from systemd, fd %d, name %s)",
		    ls[i].name, fd, name);
	}
 done:
	systemd_unset();
	return n;
}

/*
 * For modes that take no sockets from systemd (-i): the passed
 * descriptors, if they are ours, are not handed on to any program we
 * run, and the variables are removed.
 */
void
systemd_forget(void)
{
	const char	*why;
	int		 n, i;

	n = systemd_count(&why);
	for (i = 0; i < n; i++)
		util_set_cloexec(SYSTEMD_LISTEN_FDS_START + i);
	systemd_unset();
	unsetenv("NOTIFY_SOCKET");
}

/*
 * How many sockets LISTEN_FDS passes to this process: 0 when the
 * variables are missing or LISTEN_PID names another process, -1 with
 * *why (parse_num's word) when LISTEN_FDS is not a count.
 */
static int
systemd_count(const char **why)
{
	const char	*pid = getenv("LISTEN_PID");
	const char	*fds = getenv("LISTEN_FDS");
	const char	*errstr;
	long long	 n;

	if (pid == NULL || fds == NULL)
		return 0;
	if (parse_num(pid, 1, LLONG_MAX, &errstr) != (long long)getpid() ||
	    errstr != NULL)
		return 0;
	n = parse_num(fds, 0, INT_MAX - SYSTEMD_LISTEN_FDS_START, why);
	return *why != NULL ? -1 : (int)n;
}

/* A passed descriptor must be a stream socket that listens. */
static int
systemd_check(int fd,
    void (*fail)(const char *, ...) __attribute__((format(printf, 1, 2))))
{
	socklen_t	 len;
	int		 type, listening;

	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1) {
		fail("socket from systemd (fd %d): %s", fd, strerror(errno));
		return -1;
	}
	if (type != SOCK_STREAM) {
		fail("socket from systemd (fd %d) is not a stream socket (use "
		    "ListenStream=)", fd);
		return -1;
	}
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ==
	    -1) {
		fail("socket from systemd (fd %d): %s", fd, strerror(errno));
		return -1;
	}
	if (!listening) {
		fail("socket from systemd (fd %d) is not listening (with "
		    "Accept=yes, run sock64d -i)", fd);
		return -1;
	}
	return 0;
}

/* The i-th colon-separated name of LISTEN_FDNAMES, or "unknown". */
static void
systemd_name(const char *names, size_t i, char *buf, size_t size)
{
	const char	*end;
	size_t		 len;

	snprintf(buf, size, "unknown");
	if (names == NULL)
		return;
	for (; i > 0; i--) {
		if ((names = strchr(names, ':')) == NULL)
			return;
		names++;
	}
	end = strchr(names, ':');
	len = end != NULL ? (size_t)(end - names) : strlen(names);
	if (len == 0)
		return;
	snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1),
	    names);
}

static void
systemd_unset(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/*
 * Reads NOTIFY_SOCKET into n and removes it from the environment.  An
 * "@" at the start names a socket in the abstract namespace.  Returns 0
 * (n->len is 0 when the variable is unset), or -1 after telling fail
 * when it holds no usable unix socket address; n then sends nothing.
 */
int
systemd_notify_init(struct systemd_notify *n,
    void (*fail)(const char *, ...) __attribute__((format(printf, 1, 2))))
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 len;

	memset(n, 0, sizeof(*n));
	if (path == NULL)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(n->sun.sun_path)) {
		fail("NOTIFY_SOCKET '%s' is not a unix socket path", path);
		unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	n->sun.sun_family = AF_UNIX;
	memcpy(n->sun.sun_path, path, len);
	if (path[0] == '@') {
		n->sun.sun_path[0] = '\0';
		n->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    len);
	} else
		n->len = (socklen_t)sizeof(n->sun);
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

/*
 * Sends one notification ("READY=1", "STATUS=...", lines separated by
 * newlines).  A socket is opened per message: messages are rare, and
 * no descriptor is left for children to inherit.  A failure is logged
 * once; it never stops the daemon.  Returns 0, or -1 with errno set.
 */
int
systemd_notify(struct systemd_notify *n, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];
	int	 fd, len, saved;

	if (n->len == 0)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(msg)) {
		errno = EMSGSIZE;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd != -1 && util_set_cloexec(fd) == 0 &&
	    util_set_nonblock(fd, UTIL_NEW_FD) == 0 &&
	    sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&n->sun,
	    n->len) == len) {
		close(fd);
		return 0;
	}
	saved = errno;
	if (fd != -1)
		close(fd);
	if (!n->warned) {
		n->warned = 1;
		errno = saved;
		log_warn("notify %s%s", n->sun.sun_path[0] == '\0' ? "@" : "",
		    n->sun.sun_path + (n->sun.sun_path[0] == '\0'));
	}
	errno = saved;
	return -1;
}

/*
 * The counts as STATUS= lines, for systemctl status; STOPPING=1 once
 * stopping starts.
 */
void
systemd_report(const struct tally *t, void *arg)
{
	struct systemd_notify	*n = arg;
	unsigned long long	 refused;

	refused = (unsigned long long)(t->refused[REFUSAL_RULE] +
	    t->refused[REFUSAL_RATE] + t->refused[REFUSAL_SOURCE]);
	/* READY=1 said the first; nobody listens after the last. */
	if (t->phase == TALLY_STARTING || t->phase == TALLY_STOPPED)
		return;
	if (t->phase == TALLY_STOPPING)
		systemd_notify(n, "STOPPING=1\nSTATUS=stopping, %zu "
		    "connections to finish, %llu served, %llu refused",
		    t->active, (unsigned long long)t->served, refused);
	else
		systemd_notify(n, "STATUS=%zu connections now, %llu served, "
		    "%llu refused", t->active, (unsigned long long)t->served,
		    refused);
}
