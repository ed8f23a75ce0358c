/*
 * sock64: listening sockets.  Opens them (TCP, unix, replacing a stale
 * unix socket file), adopts those systemd passed, tells their port and
 * closes them.  Knows sockets, not processes: the loop accepts on them.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "listen.h"
#include "log.h"
#include "util.h"

static int	listen_socket(int, const struct sockaddr *, socklen_t, int,
		    int, int, const struct listen_perm *, const char **);
static int	listen_bind(int, const struct sockaddr *, socklen_t,
		    const struct listen_perm *, const char **);
static int	listen_open_any(const struct addr *, int, struct listener *,
		    const char **);
static int	listen_open_tcp(const struct addr *, int, struct listener *,
		    const char **);
static int	listen_open_unix(const struct addr *,
		    const struct listen_perm *, int, struct listener *,
		    const char **);
static int	listen_unix_is_stale(const struct sockaddr_un *);
static void	listen_name(struct listener *);
/*
 * Opens a listening socket for a.  Returns 0 with *l filled, or -1 with
 * errno set and *why naming the call that failed ("socket", "bind",
 * ...); or, with errno 0, *why is the reason itself: why the path of a
 * unix: address is not ours to bind, or getaddrinfo(3)'s reason for a
 * host that does not resolve.  The socket is non-blocking and close-on-
 * exec; l->path is set only for a unix socket we created, whose file
 * gets the mode and owner in perm (NULL: what the umask and our ids
 * give).  perm is not used for TCP.
 */
int
listen_open(const struct addr *a, const struct listen_perm *perm,
    int backlog, struct listener *l, const char **why)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (a->kind == ADDR_UNIX)
		return listen_open_unix(a, perm, backlog, l, why);
	if ((a->host[0] == '\0' ? listen_open_any(a, backlog, l, why) :
	    listen_open_tcp(a, backlog, l, why)) == -1)
		return -1;
	l->nodelay = 1;
	return 0;
}

/*
 * socket + options + bind + listen.  Returns the descriptor, or -1 with
 * errno set and *stage naming the call that failed; a unix socket file
 * it created is then removed.  perm: see listen_bind().
 */
static int
listen_socket(int family, const struct sockaddr *sa, socklen_t len,
    int v6only, int backlog, int reuseport, const struct listen_perm *perm,
    const char **stage)
{
	int	 fd, on = 1, saved, bound = 0;

	*stage = "socket";
	if ((fd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	*stage = "fcntl";
	if (util_set_cloexec(fd) == -1 ||
	    util_set_nonblock(fd, UTIL_KEEP_FLAGS) == -1)
		goto fail;
	*stage = "setsockopt";
	if (family != AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &on, sizeof(on)) == -1)
		goto fail;
	if (reuseport && compat_reuseport(fd) == -1)
		goto fail;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &v6only, sizeof(v6only)) == -1)
		goto fail;
	/* A reply must not wait for the ack of the one before it. */
	if (family != AF_UNIX && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
	    &on, sizeof(on)) == -1)
		goto fail;
	if (listen_bind(fd, sa, len, perm, stage) == -1)
		goto fail;
	bound = 1;
	*stage = "listen";
	if (listen(fd, backlog) == -1)
		goto fail;
	return fd;
 fail:
	saved = errno;
	close(fd);
	if (bound && family == AF_UNIX)
		unlink(((const struct sockaddr_un *)sa)->sun_path);
	errno = saved;
	return -1;
}

/*
 * bind(2), and for a unix socket the file's mode and owner from perm
 * (NULL: left as they come).  The mode is set through the umask, which
 * bind(2) applies to the file it creates: the file is born with the mode
 * asked for, never more open, on any system.  fchmod on the socket
 * before bind is honoured by Linux only, and chmod after bind goes by
 * path, following a symlink that may have taken the file's place.
 * Start-up is single-threaded, so the process's umask may change for the
 * one call.  The owner can change only once the file exists; before
 * listen(2) nobody can connect, so that is in time.  lchown, so that a
 * symlink put in the file's place is not followed.  Returns 0, or -1
 * with errno and *stage; the file is then removed.
 */
static int
listen_bind(int fd, const struct sockaddr *sa, socklen_t len,
    const struct listen_perm *perm, const char **stage)
{
	const char	*path;
	mode_t		 mask = 0;
	int		 rv, saved;

	*stage = "bind";
	if (sa->sa_family != AF_UNIX || perm == NULL)
		return bind(fd, sa, len);
	if (perm->mode != -1)
		mask = umask(~(mode_t)perm->mode & 0777);
	rv = bind(fd, sa, len);
	if (perm->mode != -1)
		umask(mask);
	if (rv == -1 || (perm->uid == (uid_t)-1 && perm->gid == (gid_t)-1))
		return rv;
	*stage = "chown";
	path = ((const struct sockaddr_un *)sa)->sun_path;
	if (lchown(path, perm->uid, perm->gid) == -1) {
		saved = errno;
		unlink(path);
		errno = saved;
		return -1;
	}
	return 0;
}

/* ":PORT": one dual-stack IPv6 socket, or IPv4 where IPv6 is missing. */
static int
listen_open_any(const struct addr *a, int backlog, struct listener *l,
    const char **why)
{
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	in_port_t		 port = htons((in_port_t)atoi(a->port));

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_any;
	sin6.sin6_port = port;
	l->fd = listen_socket(AF_INET6, (struct sockaddr *)&sin6,
	    sizeof(sin6), 0, backlog, a->reuseport, NULL, why);
	if (l->fd == -1 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_port = port;
		l->fd = listen_socket(AF_INET, (struct sockaddr *)&sin,
		    sizeof(sin), 0, backlog, a->reuseport, NULL, why);
	}
	if (l->fd == -1)
		return -1;
	listen_name(l);
	return 0;
}

/* "HOST:PORT": the first address HOST resolves to that we can bind. */
static int
listen_open_tcp(const struct addr *a, int backlog, struct listener *l,
    const char **why)
{
	struct addrinfo	 hints, *res, *ai;
	int		 gai, saved = 0;

	*why = "bind";
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(a->host, a->port, &hints, &res)) != 0) {
		*why = gai_strerror(gai);
		errno = 0;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		l->fd = listen_socket(ai->ai_family, ai->ai_addr,
		    ai->ai_addrlen, 1, backlog, a->reuseport, NULL, why);
		if (l->fd != -1)
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (l->fd == -1) {
		errno = saved;
		return -1;
	}
	listen_name(l);
	return 0;
}

/*
 * "unix:PATH".  A socket file left behind by a server that is gone (a
 * connect gets ECONNREFUSED) is replaced; a live one, or a file that is
 * not a socket, is never touched.
 */
static int
listen_open_unix(const struct addr *a, const struct listen_perm *perm,
    int backlog, struct listener *l, const char **why)
{
	struct sockaddr_un	 sun;
	int			 stale;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
	l->fd = listen_socket(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun),
	    0, backlog, 0, perm, why);
	if (l->fd == -1 && errno == EADDRINUSE) {
		if ((stale = listen_unix_is_stale(&sun)) != 1) {
			*why = stale == 0 ? "a server is already listening "
			    "there" : "the path exists and is not a socket";
			errno = 0;
			return -1;
		}
		unlink(a->path);
		l->fd = listen_socket(AF_UNIX, (struct sockaddr *)&sun,
		    sizeof(sun), 0, backlog, 0, perm, why);
	}
	if (l->fd == -1)
		return -1;
	l->is_unix = 1;
	memcpy(l->path, a->path, strlen(a->path) + 1);
	snprintf(l->name, sizeof(l->name), "unix:%s", a->path);
	return 0;
}

/* 1: a stale socket file; 0: a server answers there; -1: not a socket. */
static int
listen_unix_is_stale(const struct sockaddr_un *sun)
{
	struct stat	 st;
	int		 fd, rv;

	if (lstat(sun->sun_path, &st) == -1 || !S_ISSOCK(st.st_mode))
		return -1;
	/* Non-blocking: a live server with a full backlog must not hang us. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    util_set_nonblock(fd, UTIL_NEW_FD) == -1) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	rv = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == -1 &&
	    errno == ECONNREFUSED;
	close(fd);
	return rv;
}

static void
listen_name(struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) == -1)
		snprintf(l->name, sizeof(l->name), "?");
	else
		addr_format((struct sockaddr *)&ss, len, l->name,
		    sizeof(l->name));
}

/*
 * Takes a socket that already listens (one systemd passed) as a
 * listener: made non-blocking and close-on-exec, and named for logs.
 * A unix socket's file belongs to whoever bound it and is never
 * removed.  Returns -1 with errno set if fd is unusable.
 */
int
listen_adopt(int fd, struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (util_set_cloexec(fd) == -1 ||
	    util_set_nonblock(fd, UTIL_KEEP_FLAGS) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	/* TCP and unix only: other families have no peer we can name. */
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6 &&
	    ss.ss_family != AF_UNIX) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	l->fd = fd;
	l->is_unix = ss.ss_family == AF_UNIX;
	addr_format((struct sockaddr *)&ss, len, l->name, sizeof(l->name));
	return 0;
}

/* The bound TCP port, for --print-port; -1 for a unix socket. */
int
listen_port(const struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (l->is_unix ||
	    getsockname(l->fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Closes a listener and removes the unix socket file it created. */
void
listen_close(struct listener *l)
{
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	if (l->path[0] != '\0' && unlink(l->path) == -1 && errno != ENOENT)
		log_warn("unlink %s", l->path);
	l->path[0] = '\0';
}

/* A client as log lines name it: its address, or the unix socket's. */
void
listen_client_name(const struct listener *l,
    const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t size)
{
	if (l->is_unix)
		util_strlcpy(buf, l->name, size);
	else
		addr_format((const struct sockaddr *)ss, len, buf, size);
}
