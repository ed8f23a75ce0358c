/*
 * sock64: listening sockets, and the parent's accept loop.  The parent
 * does as little per client as it can: accept, fork, close.  It keeps
 * the children's pids so that it can count them, cap them and signal
 * them at shutdown; SIGCHLD only sets a flag, and reaping happens here.
 */
#include "config.h"

/*
 * accept4(2): the client's socket is born close-on-exec, non-blocking.
 * ppoll(2), which configure insists on.  glibc declares both only with
 * _GNU_SOURCE.
 */
#if defined(HAVE_ACCEPT4) || defined(HAVE_PPOLL)
#define _GNU_SOURCE
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "peer.h"
#include "refusal.h"
#include "sig.h"
#include "util.h"

/* After accept(2) runs out of a resource, or fork(2) fails. */
#define LISTEN_PAUSE_MS		100
#define LISTEN_WARN_EVERY_MS	10000
/* At shutdown, how long a client accepted just now has to send. */
#define LISTEN_SETTLE_MS	100
/* The report hook hears of changed counts at most this often. */
#define LISTEN_REPORT_MS	1000

/* A child and whom it serves, for the log line when it dies badly. */
struct child {
	pid_t				 pid;
	const struct listener		*listener;
	socklen_t			 addrlen;
	struct sockaddr_storage		 addr;
	struct addr_source		 source;	/* --max-per-source */
	int				 verdict_fd;	/* source due; or -1 */
};

/* A client accepted and not yet handed to a child. */
struct accepted {
	const struct listener		*listener;
	int				 fd;		/* -1: none */
	int				 later;	/* counted by its child */
	socklen_t			 addrlen;
	struct sockaddr_storage		 addr;
	struct addr_source		 source;	/* --max-per-source */
};

struct loop {
	const struct listen_opts	*opts;
	struct child			*children;
	size_t				 nchildren;
	int64_t				 paused_until;
	int64_t				 warned_at;
	unsigned long long		 served;
	struct listen_stats		 reported;
	int64_t				 reported_at;
	int				 sources[2];	/* children's reports */
	/* For ppoll(2): the report pipe, then one per listener. */
	struct pollfd			*pfd;
	/* A client whose fork failed: it is served before anyone else. */
	struct accepted			 pending;
	struct refusal_log		 refused;	/* --max-per-source */
};

/* A child's report of its source (listen_report_source). */
struct source_note {
	pid_t				 pid;
	struct addr_source		 source;
	char				 name[ADDR_NAME_MAX];
};

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
static int	loop_wait(struct loop *, int);
static int	loop_due(struct loop *);
static int	loop_report(struct loop *, int);
static void	loop_accept(struct loop *, const struct listener *);
static int	loop_over_source(struct loop *, const struct listener *, int,
		    const struct sockaddr_storage *, socklen_t,
		    struct addr_source *);
static void	loop_pause(struct loop *, const char *, const char *, int);
static int	loop_spawn(struct loop *, const struct accepted *);
static void	loop_retry(struct loop *);
static void	loop_pending_close(struct loop *);
static void	loop_child(const struct loop *, const struct listener *,
		    int, const struct sockaddr_storage *, socklen_t, int)
		    __attribute__((noreturn));
static void	loop_reap(struct loop *);
static struct child	*loop_find(struct loop *, pid_t);
static void	loop_peer_name(const struct listener *,
		    const struct sockaddr_storage *, socklen_t, char *, size_t);
static void	loop_stop(struct loop *);
static void	loop_settle(struct loop *);
static int	loop_sources_open(struct loop *);
static void	loop_sources_close(struct loop *);
static void	loop_sources(struct loop *);
static void	loop_child_sources(const struct loop *, int,
		    struct listen_peer *);

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
	if (a->host[0] == '\0')
		return listen_open_any(a, backlog, l, why);
	return listen_open_tcp(a, backlog, l, why);
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
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		goto fail;
	*stage = "setsockopt";
	if (family != AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &on, sizeof(on)) == -1)
		goto fail;
	if (reuseport && listen_reuseport(fd) == -1)
		goto fail;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &v6only, sizeof(v6only)) == -1)
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
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
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
	int			 fl;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (util_set_cloexec(fd) == -1 || (fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
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

/*
 * The parent's loop: waits for clients on every listener, forks one
 * child per client, reaps children, and returns 0 once SIGTERM or SIGINT
 * has stopped it (listeners closed, every child signalled and reaped),
 * or -1 if it could not start.  Trapped signals must be blocked (sig.c).
 */
int
listen_loop(const struct listen_opts *o)
{
	struct loop	 lp;
	size_t		 i;

	memset(&lp, 0, sizeof(lp));
	lp.opts = o;
	lp.pending.fd = -1;
	lp.children = calloc(o->max_children, sizeof(*lp.children));
	lp.pfd = calloc(o->nlisteners + 1, sizeof(*lp.pfd));
	if (lp.children == NULL || lp.pfd == NULL ||
	    loop_sources_open(&lp) == -1) {
		free(lp.children);
		free(lp.pfd);
		return -1;
	}
	lp.pfd[0].fd = lp.sources[0];
	lp.pfd[0].events = POLLIN;
	for (i = 0; i < o->nlisteners; i++) {
		lp.pfd[i + 1].fd = o->listeners[i].fd;
		lp.pfd[i + 1].events = POLLIN;
	}
	for (;;) {
		if (sig_got_chld) {
			sig_got_chld = 0;
			loop_reap(&lp);
		}
		loop_retry(&lp);
		if (sig_got_term)
			break;
		if (sig_got_hup) {
			sig_got_hup = 0;
			log_info("SIGHUP ignored: there is no configuration "
			    "to reload");
		}
		if (loop_wait(&lp, loop_due(&lp)) <= 0)
			continue;
		for (i = 0; i < o->nlisteners; i++)
			if (lp.pfd[i + 1].revents != 0)
				loop_accept(&lp, &o->listeners[i]);
	}
	loop_report(&lp, 1);
	loop_stop(&lp);
	loop_sources_close(&lp);
	free(lp.children);
	free(lp.pfd);
	return 0;
}

/*
 * Waits in ppoll(2), the only place the trapped signals are open; it
 * takes descriptors of any number, as select(2) does not.  Listeners are
 * watched only below the child cap and outside a pause, so a full house
 * or a resource shortage never spins.  Returns the number of ready
 * listeners (their revents say which), 0 on a signal or time-out.  Work
 * due in due ms (-1: none) bounds the wait.
 */
static int
loop_wait(struct loop *lp, int due)
{
	const struct listen_opts	*o = lp->opts;
	struct timespec			 ts, *tsp = NULL;
	nfds_t				 nfds = 1;
	int				 n, ms;

	/* The report pipe (pfd[0]) is read even at the cap or in a pause. */
	if ((ms = util_remaining_ms(lp->paused_until)) <= 0) {
		/* Not paused (-1), or the pause is over (0). */
		ms = -1;
		lp->paused_until = 0;
		if (lp->pending.fd != -1)
			ms = 0;		/* its fork is due: loop_retry() */
		else if (lp->nchildren < o->max_children)
			nfds += o->nlisteners;
	}
	if (due >= 0 && (ms == -1 || due < ms))
		ms = due;
	if (ms >= 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		tsp = &ts;
	}
	n = ppoll(lp->pfd, nfds, tsp, &o->wait_mask);
	if (n == -1) {
		/* After EINTR the revents are not looked at. */
		if (errno != EINTR)
			loop_pause(lp, "ppoll", "", errno);
		return 0;
	}
	if (n > 0 && lp->pfd[0].revents != 0) {
		loop_sources(lp);
		n--;
	}
	return n;
}

/*
 * The ms until the loop has something to do besides accepting: a report
 * held back, or refusals to sum up in the log.  -1 for nothing.
 */
static int
loop_due(struct loop *lp)
{
	int	 report, refused = -1;

	report = loop_report(lp, 0);
	if (lp->refused.active > 0)
		refused = refusal_flush(&lp->refused, util_now_ms(), 0);
	if (report == -1 || (refused != -1 && refused < report))
		return refused;
	return report;
}

/*
 * Accepts clients from one listener until it has none, we are full, or
 * a fork failed: then the rest wait in the backlog (see loop_retry).
 */
static void
loop_accept(struct loop *lp, const struct listener *l)
{
	const struct listen_opts	*o = lp->opts;
	struct accepted			 a;

	a.listener = l;
	while (lp->pending.fd == -1 && lp->nchildren < o->max_children) {
		a.addrlen = sizeof(a.addr);
#ifdef HAVE_ACCEPT4
		a.fd = accept4(l->fd, (struct sockaddr *)&a.addr, &a.addrlen,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
#else
		a.fd = accept(l->fd, (struct sockaddr *)&a.addr, &a.addrlen);
#endif
		if (a.fd == -1) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			default:
				/* EMFILE, ENFILE, ENOBUFS, ENOMEM... */
				loop_pause(lp, "accept on ", l->name, errno);
				return;
			}
		}
		memset(&a.source, 0, sizeof(a.source));
		/* Counted once the child knows the source (PROXY). */
		a.later = lp->sources[1] != -1 && o->later_source(
		    (struct sockaddr *)&a.addr, a.addrlen, l->is_unix,
		    o->later_arg);
		if (!a.later && o->max_per_source > 0 && loop_over_source(lp,
		    l, a.fd, &a.addr, a.addrlen, &a.source)) {
			close(a.fd);
			continue;
		}
		loop_spawn(lp, &a);
	}
}

/*
 * --max-per-source: true (after noting it for the log) when the client's
 * source already has that many connections.  The source is its IP address, or
 * for a unix socket its uid; *src receives it.  The count is taken over
 * the live children, so it is exact whichever way they ended.
 */
static int
loop_over_source(struct loop *lp, const struct listener *l, int fd,
    const struct sockaddr_storage *ss, socklen_t len, struct addr_source *src)
{
	char		 peer[ADDR_NAME_MAX];
	long long	 uid, gid, pid;
	size_t		 i, n = 0;

	memset(src, 0, sizeof(*src));
	if (l->is_unix) {
		peer_cred(fd, &uid, &gid, &pid);
		if (uid == -1)
			return 0;	/* the system does not say who */
		src->family = AF_UNIX;
		memcpy(src->bytes, &uid, sizeof(uid));
		snprintf(peer, sizeof(peer), "uid %lld", uid);
	} else if (addr_source((const struct sockaddr *)ss, len, src) == 0)
		addr_format((const struct sockaddr *)ss, len, peer,
		    sizeof(peer));
	else
		return 0;
	for (i = 0; i < lp->nchildren; i++)
		if (addr_same_source(src, &lp->children[i].source))
			n++;
	if (n < lp->opts->max_per_source)
		return 0;
	refusal_note(&lp->refused, src, peer, l->name, n, util_now_ms());
	return 1;
}

/*
 * Stops watching the listeners for a moment after a resource shortage
 * (or until a child exits and frees what it held), warning "WHAT OBJ:
 * strerror" at most once every LISTEN_WARN_EVERY_MS.
 */
static void
loop_pause(struct loop *lp, const char *what, const char *obj, int err)
{
	int64_t	 now = util_now_ms();

	lp->paused_until = now + LISTEN_PAUSE_MS;
	if (lp->warned_at != 0 && now - lp->warned_at < LISTEN_WARN_EVERY_MS)
		return;
	lp->warned_at = now;
	errno = err;
	log_warn("%s%s (pausing accepts briefly)", what, obj);
}

/*
 * Forks a child for the accepted client.  If that fails (fork, or the
 * pipe for a later verdict), the client is not closed: it becomes
 * lp->pending, accepting pauses, and loop_retry() forks for it before
 * anyone else is accepted.  Returns 0, or -1 for a client left pending.
 */
static int
loop_spawn(struct loop *lp, const struct accepted *a)
{
	struct child	*ch;
	pid_t		 pid;
	int		 vp[2] = { -1, -1 };

	if (a->later && (pipe(vp) == -1 || util_set_cloexec(vp[0]) == -1 ||
	    util_set_cloexec(vp[1]) == -1)) {
		loop_pause(lp, "pipe", "", errno);
		pid = -1;
	} else if ((pid = fork()) == -1)
		loop_pause(lp, "fork", "", errno);
	if (pid == -1) {
		if (vp[0] != -1) {
			close(vp[0]);
			close(vp[1]);
		}
		lp->pending = *a;
		return -1;
	}
	if (pid == 0) {
		if (vp[1] != -1)
			close(vp[1]);
		loop_child(lp, a->listener, a->fd, &a->addr, a->addrlen,
		    vp[0]);
	}
	if (vp[0] != -1)
		close(vp[0]);
	ch = &lp->children[lp->nchildren++];
	ch->verdict_fd = vp[1];
	ch->pid = pid;
	ch->listener = a->listener;
	ch->addrlen = a->addrlen;
	memcpy(&ch->addr, &a->addr, a->addrlen);
	ch->source = a->source;
	lp->served++;
	close(a->fd);
	return 0;
}

/*
 * The client whose fork failed goes first: once the pause is over, or a
 * child has exited (which ends it), its fork is tried again, before any
 * other client is accepted.  Clients wait meanwhile; none is dropped.
 */
static void
loop_retry(struct loop *lp)
{
	struct accepted	 a;

	if (lp->pending.fd == -1 || util_remaining_ms(lp->paused_until) > 0)
		return;
	a = lp->pending;
	lp->pending.fd = -1;
	loop_spawn(lp, &a);
}

/*
 * At shutdown, a client whose fork still fails will not be served.  It
 * is closed as the clients still in the listen backlog are when the
 * listening sockets close: close(2), so it sees end of input, or a reset
 * if it had sent bytes we never read.  A line says so.
 */
static void
loop_pending_close(struct loop *lp)
{
	struct accepted	*a = &lp->pending;
	char		 peer[ADDR_NAME_MAX];

	if (a->fd == -1)
		return;
	loop_peer_name(a->listener, &a->addr, a->addrlen, peer, sizeof(peer));
	log_warnx("%s: closed unserved: no child could be forked for it "
	    "before shutdown", peer);
	close(a->fd);
	a->fd = -1;
}

/*
 * Gives the report hook the counts if they changed, at most once every
 * LISTEN_REPORT_MS (a busy server pays one clock read per wake-up and
 * nothing per client), and always when stopping.  Returns the ms until
 * a held-back report is due, or -1 when none is.
 */
static int
loop_report(struct loop *lp, int stopping)
{
	const struct listen_opts	*o = lp->opts;
	int64_t				 now;

	if (o->report == NULL || (!stopping &&
	    lp->reported.children == lp->nchildren &&
	    lp->reported.served == lp->served))
		return -1;
	now = util_now_ms();
	if (!stopping && lp->reported_at != 0 &&
	    now - lp->reported_at < LISTEN_REPORT_MS)
		return (int)(LISTEN_REPORT_MS - (now - lp->reported_at));
	lp->reported.children = lp->nchildren;
	lp->reported.served = lp->served;
	lp->reported.stopping = stopping;
	lp->reported_at = now;
	o->report(&lp->reported, o->report_arg);
	return -1;
}

/*
 * The child: drop what belongs to the parent, set up the connection and
 * serve it.  It never returns into the parent's loop.
 */
static void
loop_child(const struct loop *lp, const struct listener *l, int fd,
    const struct sockaddr_storage *ss, socklen_t len, int verdict)
{
	const struct listen_opts	*o = lp->opts;
	struct listen_peer		 peer;
	size_t				 i;
	int				 on = 1;

	/* One client's child may wait for the log: see log_blocking(). */
	log_blocking();
	for (i = 0; i < o->nlisteners; i++)
		close(o->listeners[i].fd);
	peer.report_fd = peer.verdict_fd = -1;
	if (lp->sources[0] != -1)
		loop_child_sources(lp, verdict, &peer);
	/*
	 * Non-blocking, so that a peer which stops reading cannot hold a
	 * write past --write-timeout; the connection loop polls for room.
	 */
	if (sig_child_setup(&o->wait_mask, fd, fd) == -1) {
		log_warn("child set-up");
		_exit(1);
	}
#ifndef HAVE_ACCEPT4
	if (util_set_cloexec(fd) == -1 || fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		log_warn("child set-up");
		_exit(1);
	}
#endif
	if (!l->is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	peer.listener = l;
	memcpy(&peer.addr, ss, len);
	peer.addrlen = len;
	if (l->is_unix)
		memcpy(peer.name, l->name, sizeof(peer.name));
	else
		addr_format((const struct sockaddr *)ss, len, peer.name,
		    sizeof(peer.name));
	_exit(o->serve(fd, &peer, o->arg));
}

/*
 * Collects every child that has exited; logs the ones that died badly.
 * A child that exits frees descriptors, so a pause in accepting ends.
 */
static void
loop_reap(struct loop *lp)
{
	struct child	*ch;
	char		 peer[ADDR_NAME_MAX];
	pid_t		 pid;
	int		 status;

	/* With no child left there is nothing to ask the kernel. */
	while (lp->nchildren > 0 &&
	    (pid = waitpid(-1, &status, WNOHANG)) > 0) {
		lp->paused_until = 0;
		if ((ch = loop_find(lp, pid)) == NULL)
			continue;
		if (WIFSIGNALED(status)) {
			loop_peer_name(ch->listener, &ch->addr, ch->addrlen,
			    peer, sizeof(peer));
			log_warnx("%s: child %ld killed by signal %d", peer,
			    (long)pid, WTERMSIG(status));
		} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
		    log_get_level() >= LOG_LEVEL_DEBUG) {
			loop_peer_name(ch->listener, &ch->addr, ch->addrlen,
			    peer, sizeof(peer));
			log_debug("%s: child %ld exited with status %d", peer,
			    (long)pid, WEXITSTATUS(status));
		}
		if (ch->verdict_fd != -1)
			close(ch->verdict_fd);
		*ch = lp->children[--lp->nchildren];
	}
}

static struct child *
loop_find(struct loop *lp, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < lp->nchildren; i++)
		if (lp->children[i].pid == pid)
			return &lp->children[i];
	return NULL;
}

/* A client as log lines name it: its address, or the unix socket. */
static void
loop_peer_name(const struct listener *l, const struct sockaddr_storage *ss,
    socklen_t len, char *buf, size_t size)
{
	if (l->is_unix)
		snprintf(buf, size, "%s", l->name);
	else
		addr_format((const struct sockaddr *)ss, len, buf, size);
}

/*
 * Shutdown: no new clients; SIGTERM to every child, which finishes the
 * reply in flight and exits; after the grace period, SIGKILL to those
 * left.  Every child is reaped before we return.
 */
static void
loop_stop(struct loop *lp)
{
	const struct listen_opts	*o = lp->opts;
	struct timespec			 ts;
	int64_t				 deadline;
	size_t				 i;
	int				 killed = 0, left;

	for (i = 0; i < o->nlisteners; i++)
		listen_close(&o->listeners[i]);
	loop_pending_close(lp);
	/* Nobody is refused any more: what was counted is logged now. */
	refusal_flush(&lp->refused, util_now_ms(), 1);
	/* A child still waiting for its verdict stops at end of file. */
	loop_sources_close(lp);
	loop_settle(lp);
	if (lp->nchildren > 0)
		log_info("stopping: waiting up to %d s for %zu connections",
		    o->grace, lp->nchildren);
	for (i = 0; i < lp->nchildren; i++)
		kill(lp->children[i].pid, SIGTERM);
	deadline = util_now_ms() + (int64_t)o->grace * 1000;
	for (;;) {
		sig_got_chld = 0;
		loop_reap(lp);
		if (lp->nchildren == 0)
			break;
		left = util_remaining_ms(deadline);
		if (left == 0 && !killed) {
			log_warnx("%zu connections still open after %d s: "
			    "killing them", lp->nchildren, o->grace);
			for (i = 0; i < lp->nchildren; i++)
				kill(lp->children[i].pid, SIGKILL);
			killed = 1;
		}
		if (killed)
			left = 1000;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		/* Returns early, with EINTR, when SIGCHLD arrives. */
		ppoll(NULL, 0, &ts, &o->wait_mask);
	}
}

/*
 * --max-per-source for peers whose children report their source (a
 * PROXY header's client): one pipe from every such child to the
 * parent, and one back to each child for the verdict.  Without the
 * later_source hook none of this exists and accepting costs nothing
 * more.
 */
static int
loop_sources_open(struct loop *lp)
{
	lp->sources[0] = lp->sources[1] = -1;
	if (lp->opts->later_source == NULL || lp->opts->max_per_source == 0)
		return 0;
	if (pipe(lp->sources) == -1)
		return -1;
	if (util_set_cloexec(lp->sources[0]) == -1 ||
	    util_set_cloexec(lp->sources[1]) == -1 ||
	    fcntl(lp->sources[0], F_SETFL, O_NONBLOCK) == -1) {
		loop_sources_close(lp);
		return -1;
	}
	return 0;
}

/* Closes the report pipe and every verdict not given yet. */
static void
loop_sources_close(struct loop *lp)
{
	size_t	 i;

	if (lp->sources[0] == -1)
		return;
	close(lp->sources[0]);
	close(lp->sources[1]);
	lp->sources[0] = lp->sources[1] = -1;
	for (i = 0; i < lp->nchildren; i++)
		if (lp->children[i].verdict_fd != -1) {
			close(lp->children[i].verdict_fd);
			lp->children[i].verdict_fd = -1;
		}
}

/*
 * Reads the children's reports and answers each: 'y' to serve, 'n'
 * (logged) when its source already has --max-per-source connections.
 * A source counts from the moment it is let in.
 */
static void
loop_sources(struct loop *lp)
{
	struct source_note	 sn;
	struct child		*ch;
	size_t			 i, n;
	char			 v;

	while (read(lp->sources[0], &sn, sizeof(sn)) == (ssize_t)sizeof(sn)) {
		if ((ch = loop_find(lp, sn.pid)) == NULL || ch->verdict_fd == -1)
			continue;
		sn.name[sizeof(sn.name) - 1] = '\0';
		for (i = n = 0; i < lp->nchildren; i++)
			if (addr_same_source(&sn.source,
			    &lp->children[i].source))
				n++;
		v = n < lp->opts->max_per_source ? 'y' : 'n';
		if (v == 'y')
			ch->source = sn.source;
		else
			refusal_note(&lp->refused, &sn.source, sn.name,
			    ch->listener->name, n, util_now_ms());
		if (write(ch->verdict_fd, &v, 1) == -1)
			log_warn("verdict for child %ld", (long)sn.pid);
		close(ch->verdict_fd);
		ch->verdict_fd = -1;
	}
}

/*
 * In a new child: none of the other children's verdicts, and the
 * report pipe's write end only if this child reports.
 */
static void
loop_child_sources(const struct loop *lp, int verdict,
    struct listen_peer *peer)
{
	size_t	 i;

	close(lp->sources[0]);
	for (i = 0; i < lp->nchildren; i++)
		if (lp->children[i].verdict_fd != -1)
			close(lp->children[i].verdict_fd);
	if (verdict == -1) {
		close(lp->sources[1]);
		return;
	}
	peer->report_fd = lp->sources[1];
	peer->verdict_fd = verdict;
}

/*
 * In a child whose source the parent did not count at accept: reports
 * it (name is for the parent's log line) and waits for the verdict.
 * Returns 1 to serve, 0 when over --max-per-source, -1 on an error or
 * when the parent is stopping.  Both descriptors are closed.
 */
int
listen_report_source(const struct listen_peer *peer,
    const struct addr_source *src, const char *name)
{
	struct source_note	 sn;
	ssize_t			 n;
	char			 v = 0;

	memset(&sn, 0, sizeof(sn));
	sn.pid = getpid();
	sn.source = *src;
	snprintf(sn.name, sizeof(sn.name), "%s", name);
	/* Smaller than PIPE_BUF: written whole, never interleaved. */
	while ((n = write(peer->report_fd, &sn, sizeof(sn))) == -1 &&
	    errno == EINTR)
		continue;
	if (n == (ssize_t)sizeof(sn))
		while ((n = read(peer->verdict_fd, &v, 1)) == -1 &&
		    errno == EINTR)
			continue;
	close(peer->report_fd);
	close(peer->verdict_fd);
	if (n != 1)
		return -1;
	return v == 'y';
}

/*
 * Before the children are told to stop: a client accepted a moment ago
 * may not have sent its first frame yet, and a child stopped now would
 * close on it unanswered.  Waits LISTEN_SETTLE_MS (within --grace) while
 * children remain, reaping those that finish.
 */
static void
loop_settle(struct loop *lp)
{
	const struct listen_opts	*o = lp->opts;
	struct timespec			 ts;
	int64_t				 until;
	int				 left;

	left = o->grace * 1000 < LISTEN_SETTLE_MS ? o->grace * 1000 :
	    LISTEN_SETTLE_MS;
	until = util_now_ms() + left;
	while (lp->nchildren > 0 && (left = util_remaining_ms(until)) > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		ppoll(NULL, 0, &ts, &o->wait_mask);
		sig_got_chld = 0;
		loop_reap(lp);
	}
}
