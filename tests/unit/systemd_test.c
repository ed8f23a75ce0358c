/*
 * sock64 unit tests: sockets passed by systemd (LISTEN_FDS) and the
 * notification datagram (NOTIFY_SOCKET), with the descriptors and the
 * environment set up here as systemd would.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "systemd.h"
#include "tally.h"

/* What the last failure said, through record(). */
static char	 said[256];

static void	record(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	put_fd(int, int);
static int	tcp_socket(int);
static void	set_env(const char *, const char *);
static int	env_gone(void);
static void	test_listeners(void);
static void	test_refused(void);
static void	test_forget(void);
static void	test_notify(void);

/* The failure reporter under test: keeps the line in said. */
static void
record(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(said, sizeof(said), fmt, ap);
	va_end(ap);
}

/* Moves descriptor fd to number to, as systemd passes them. */
static void
put_fd(int fd, int to)
{
	if (fd == to)
		return;
	if (fd == -1 || dup2(fd, to) == -1) {
		perror("dup2");
		exit(1);
	}
	close(fd);
}

/* A TCP socket on 127.0.0.1, listening or not. */
static int
tcp_socket(int listening)
{
	struct sockaddr_in	 sin;
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (listening && listen(fd, 5) == -1)) {
		perror("tcp socket");
		exit(1);
	}
	return fd;
}

/* LISTEN_PID=ours (pid NULL) or pid, LISTEN_FDS=fds. */
static void
set_env(const char *pid, const char *fds)
{
	char	 buf[32];

	snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	setenv("LISTEN_PID", pid != NULL ? pid : buf, 1);
	setenv("LISTEN_FDS", fds, 1);
}

static int
env_gone(void)
{
	return getenv("LISTEN_PID") == NULL && getenv("LISTEN_FDS") == NULL &&
	    getenv("LISTEN_FDNAMES") == NULL;
}

static void
test_listeners(void)
{
	struct listener		 ls[4];
	struct sockaddr_un	 sun;
	int			 fd, n;

	said[0] = '\0';
	CHECK(systemd_listeners(ls, 4, record) == 0,
	    "no variables: nothing passed");

	set_env("1", "2");
	CHECK(systemd_listeners(ls, 4, record) == 0,
	    "another process's sockets are not ours");
	CHECK(said[0] == '\0', "nothing to say: %s", said);
	CHECK(env_gone(), "variables removed even when not ours");

	put_fd(tcp_socket(1), 3);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "\0sock64-unit-test", 17);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 17)) == -1 ||
	    listen(fd, 5) == -1) {
		perror("unix socket");
		exit(1);
	}
	put_fd(fd, 4);
	set_env(NULL, "2");
	setenv("LISTEN_FDNAMES", "web:local", 1);
	n = systemd_listeners(ls, 4, record);
	CHECK(n == 2, "two sockets adopted: %d (%s)", n, said);
	CHECK(env_gone(), "variables removed after use");
	if (n != 2)
		return;
	CHECK(ls[0].fd == 3 && !ls[0].is_unix, "fd 3 is TCP");
	CHECK(strncmp(ls[0].name, "127.0.0.1:", 10) == 0, "name %s",
	    ls[0].name);
	CHECK(ls[1].fd == 4 && ls[1].is_unix, "fd 4 is unix");
	CHECK(strcmp(ls[1].name, "unix:@sock64-unit-test") == 0, "name %s",
	    ls[1].name);
	CHECK(ls[1].path[0] == '\0', "systemd's socket file is not ours");
	CHECK((fcntl(3, F_GETFD) & FD_CLOEXEC) != 0, "fd 3 close-on-exec");
	CHECK((fcntl(4, F_GETFL) & O_NONBLOCK) != 0, "fd 4 non-blocking");

	set_env(NULL, "2");
	CHECK(systemd_listeners(ls, 1, record) == -1,
	    "more sockets than room");
	CHECK(strcmp(said, "systemd passed 2 sockets; at most 1 are "
	    "supported") == 0, "said: %s", said);
	close(4);
	close(3);
}

static void
test_refused(void)
{
	struct listener	 ls[1];

	set_env(NULL, "many");
	CHECK(systemd_listeners(ls, 1, record) == -1,
	    "LISTEN_FDS not a number");
	CHECK(strcmp(said, "LISTEN_FDS 'many' is invalid") == 0, "said: %s",
	    said);
	CHECK(env_gone(), "variables removed after a bad LISTEN_FDS");

	set_env(NULL, "1");
	close(3);
	CHECK(systemd_listeners(ls, 1, record) == -1,
	    "fd 3 not open");
	CHECK(strcmp(said, "socket from systemd (fd 3): Bad file "
	    "descriptor") == 0, "said: %s", said);

	put_fd(socket(AF_INET, SOCK_DGRAM, 0), 3);
	set_env(NULL, "1");
	CHECK(systemd_listeners(ls, 1, record) == -1,
	    "a datagram socket is refused");
	CHECK(strcmp(said, "socket from systemd (fd 3) is not a stream "
	    "socket (use ListenStream=)") == 0, "said: %s", said);

	put_fd(tcp_socket(0), 3);
	set_env(NULL, "1");
	CHECK(systemd_listeners(ls, 1, record) == -1,
	    "a socket that does not listen is refused");
	CHECK(strcmp(said, "socket from systemd (fd 3) is not listening "
	    "(with Accept=yes, run sock64d -i)") == 0, "said: %s", said);
	CHECK(env_gone(), "variables removed after an error");
	close(3);
}

static void
test_forget(void)
{
	put_fd(tcp_socket(1), 3);
	CHECK((fcntl(3, F_GETFD) & FD_CLOEXEC) == 0, "fd 3 starts inheritable");
	set_env(NULL, "1");
	setenv("NOTIFY_SOCKET", "/run/nothing", 1);
	systemd_forget();
	CHECK((fcntl(3, F_GETFD) & FD_CLOEXEC) != 0, "forgotten fd cloexec");
	CHECK(env_gone() && getenv("NOTIFY_SOCKET") == NULL,
	    "forget removes the variables");
	close(3);
}

static void
test_notify(void)
{
	struct systemd_notify	 n;
	struct sockaddr_un	 sun;
	struct tally		 st;
	char			 buf[256];
	ssize_t			 len;
	int			 fd;

	unsetenv("NOTIFY_SOCKET");
	CHECK(systemd_notify_init(&n, record) == 0 && n.len == 0,
	    "no NOTIFY_SOCKET");
	CHECK(systemd_notify(&n, "READY=1") == 0, "nothing to notify");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK(systemd_notify_init(&n, record) == -1 && n.len == 0,
	    "a relative path is refused");
	CHECK(strcmp(said, "NOTIFY_SOCKET 'relative/path' is not a unix "
	    "socket path") == 0, "said: %s", said);
	CHECK(getenv("NOTIFY_SOCKET") == NULL, "refused NOTIFY_SOCKET removed");

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "\0sock64-notify-test", 19);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 19)) == -1) {
		perror("notify socket");
		exit(1);
	}
	setenv("NOTIFY_SOCKET", "@sock64-notify-test", 1);
	CHECK(systemd_notify_init(&n, record) == 0 && n.len != 0,
	    "abstract NOTIFY_SOCKET");
	CHECK(getenv("NOTIFY_SOCKET") == NULL, "NOTIFY_SOCKET removed");
	CHECK(systemd_notify(&n, "READY=1") == 0, "READY sent");
	len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CHECK(len == 7 && memcmp(buf, "READY=1", 7) == 0, "got READY=1");

	memset(&st, 0, sizeof(st));
	st.active = 2;
	st.served = 5;
	st.refused[REFUSAL_RULE] = 1;
	st.refused[REFUSAL_SOURCE] = 2;
	systemd_report(&st, &n);
	len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[len > 0 ? len : 0] = '\0';
	CHECK(strcmp(buf, "STATUS=2 connections now, 5 served, 3 refused") ==
	    0, "got %s", buf);
	st.phase = TALLY_STARTING;
	systemd_report(&st, &n);
	CHECK(recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT) == -1,
	    "READY=1 gave the first status");
	st.phase = TALLY_STOPPING;
	systemd_report(&st, &n);
	len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[len > 0 ? len : 0] = '\0';
	CHECK(strcmp(buf, "STOPPING=1\nSTATUS=stopping, 2 connections to "
	    "finish, 5 served, 3 refused") == 0, "got %s", buf);
	close(fd);
	CHECK(systemd_notify(&n, "STATUS=gone") == -1, "nobody listens");
}

int
main(void)
{
	log_init("systemd_test", LOG_LEVEL_WARN, LOG_TO_STDERR);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	test_listeners();
	test_refused();
	test_forget();
	test_notify();
	return check_exit("systemd_test");
}
