/*
 * sock64: spare children.  With --spares N the parent keeps up to N
 * children forked before any client needs them, so that a client finds
 * its process waiting instead of waiting for a fork.  The parent still
 * accepts and judges every client (the cap, the rules, the rates, the
 * per-source limit); only then does it pass the connection, and the
 * verdict pipe of a client whose source its child reports, down the
 * spare's socket pair (SCM_RIGHTS).  A spare serves that one client and
 * exits: none is ever reused, and it holds nothing of any client before
 * its own.  Spares are forked while no client comes, off every client's
 * path; a client who finds none gets a child forked for it, as without
 * spares.  A spare counts towards -c.
 *
 * A spare's socket pair has one end in the parent only (every other
 * child closes its copy), so a spare sees end of file and exits at once
 * when the parent stops or dies, even by SIGKILL.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "loopint.h"
#include "spare.h"
#include "util.h"

/* After fork(2) for a spare fails, the next try; the warning's spacing. */
#define SPARE_RETRY_MS		1000
/*
 * Spares are forked once no client has come for this long.  While
 * clients keep coming the CPU serves them: a child forked on demand
 * costs the same fork as a spare, without the hand-off, and a spare
 * forked then would hold up the next client and the ones being served.
 */
#define SPARE_IDLE_MS		1
#define SPARE_WARN_EVERY_MS	10000
/* What ps(1) shows for a spare still waiting. */
#define SPARE_NAME		"sock64d-spare"
/* Descriptors born close-on-exec where the system can: no fcntl(2). */
#ifdef MSG_CMSG_CLOEXEC
#define SPARE_RECV_FLAGS	(MSG_WAITALL | MSG_CMSG_CLOEXEC)
#else
#define SPARE_RECV_FLAGS	MSG_WAITALL
#endif

/* What comes with the descriptors: the client, as the parent saw it. */
struct spare_msg {
	size_t			 listener;	/* the loop's index */
	int			 has_verdict;	/* 2 descriptors */
	socklen_t		 addrlen;
	struct sockaddr_storage	 addr;
};

/* Room for the client's descriptor and its verdict pipe's. */
union spare_cmsg {
	struct cmsghdr		 hdr;
	unsigned char		 buf[CMSG_SPACE(2 * sizeof(int))];
};

static void	spare_wait(struct loop *, int) __attribute__((noreturn));
static int	spare_send(int, const struct spare_msg *, int, int);
static int	spare_receive(int, const struct loop *, struct accepted *,
		    int *);
static void	spare_fork_failed(struct spares *, const char *);
static int	spare_socketpair(int [2]);

/* Room for want spares.  Returns 0, or -1 with errno. */
int
spare_init(struct spares *sp, size_t want)
{
	memset(sp, 0, sizeof(*sp));
	if (want > 0 && (sp->spare = calloc(want, sizeof(*sp->spare))) ==
	    NULL)
		return -1;
	sp->want = want;
	return 0;
}

void
spare_free(struct spares *sp)
{
	spare_close_all(sp);
	free(sp->spare);
	memset(sp, 0, sizeof(*sp));
}

/*
 * The ms until a spare is due to be forked: 0 now, -1 when none is (the
 * pool is full, the children are at -c, or a client waits for a fork).
 * After a failed fork it waits SPARE_RETRY_MS, and after a client
 * SPARE_IDLE_MS.
 */
int
spare_due(const struct loop *lp)
{
	const struct spares	*sp = &lp->spares;
	int			 ms;

	if (sp->n >= sp->want || lp->children.n >= lp->opts->max_children ||
	    lp->pending.fd != -1)
		return -1;
	ms = util_remaining_ms(sp->retry_at);
	if (ms <= 0)
		ms = util_remaining_ms(sp->client_at + SPARE_IDLE_MS);
	return ms < 0 ? 0 : ms;
}

/*
 * Forks one spare if one is due: the loop calls this once per turn, so
 * that a client ready to be accepted never waits for more than one
 * fork.  The spare is a child in the table with no listener (no client)
 * until its hand-off.
 */
void
spare_fill(struct loop *lp)
{
	struct spares	*sp = &lp->spares;
	struct child	*ch;
	pid_t		 pid;
	int		 sv[2];

	if (spare_due(lp) != 0)
		return;
	if (spare_socketpair(sv) == -1) {
		spare_fork_failed(sp, "socketpair for a spare");
		return;
	}
	if ((pid = fork()) == -1) {
		spare_fork_failed(sp, "fork for a spare");
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		spare_wait(lp, sv[1]);
	}
	close(sv[1]);
	ch = children_add(&lp->children, pid);	/* below -c: room */
	ch->listener = NULL;
	sp->spare[sp->n].pid = pid;
	sp->spare[sp->n].fd = sv[0];
	sp->n++;
	sp->retry_at = 0;
}

/* A socket pair, both ends close-on-exec.  Returns 0, or -1 with errno. */
static int
spare_socketpair(int sv[2])
{
#ifdef SOCK_CLOEXEC
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
#else
	int	 saved;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if (util_set_cloexec(sv[0]) == 0 && util_set_cloexec(sv[1]) == 0)
		return 0;
	saved = errno;
	close(sv[0]);
	close(sv[1]);
	errno = saved;
	return -1;
#endif
}

/* A spare could not be made: no retry for a while, and a warning. */
static void
spare_fork_failed(struct spares *sp, const char *what)
{
	int64_t	 now = util_now_ms();

	sp->retry_at = now + SPARE_RETRY_MS;
	if (sp->warned_at != 0 && now - sp->warned_at < SPARE_WARN_EVERY_MS)
		return;
	sp->warned_at = now;
	log_warn("%s", what);
}

/*
 * Passes the accepted client a, and verdict (the read end of its verdict
 * pipe, or -1), to a waiting spare: the one forked last.  A spare that
 * has died meanwhile is passed over; it is reaped as any child.  Returns
 * the pid of the spare that has the client, or -1 when none took it.
 * The caller still owns a->fd and verdict, and closes both.
 */
pid_t
spare_hand(struct loop *lp, const struct accepted *a, int verdict)
{
	struct spares		*sp = &lp->spares;
	struct spare_msg	 m;
	struct spare		 s;
	int			 rv;

	memset(&m, 0, sizeof(m));
	m.listener = (size_t)(a->listener - lp->opts->listeners);
	m.has_verdict = verdict != -1;
	m.addrlen = a->addrlen;
	memcpy(&m.addr, &a->addr, a->addrlen);
	while (sp->n > 0) {
		s = sp->spare[--sp->n];
		rv = spare_send(s.fd, &m, a->fd, verdict);
		close(s.fd);
		if (rv == 0)
			return s.pid;
		log_debug("spare %ld: %s: passed over", (long)s.pid,
		    strerror(errno));
	}
	return -1;
}

/* One message with the descriptors.  Returns 0, or -1 with errno. */
static int
spare_send(int fd, const struct spare_msg *m, int cfd, int verdict)
{
	union spare_cmsg	 cm;
	struct msghdr		 mh;
	struct iovec		 iov;
	struct cmsghdr		*c;
	int			 fds[2] = { cfd, verdict };
	size_t			 nfd = verdict != -1 ? 2 : 1;
	ssize_t			 n;

	memset(&cm, 0, sizeof(cm));
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)(uintptr_t)m;
	iov.iov_len = sizeof(*m);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	/* The spare's buffer is empty: the message fits, or it is gone. */
	while ((n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		continue;
	if (n == -1)
		return -1;
	if (n != (ssize_t)sizeof(*m)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* A client was given a process, a spare or not: spares wait. */
void
spare_client(struct spares *sp)
{
	if (sp->want > 0)
		sp->client_at = util_now_ms();
}

/* When a child is reaped: if it was a spare still waiting, forget it. */
void
spare_reaped(struct spares *sp, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < sp->n; i++)
		if (sp->spare[i].pid == pid) {
			close(sp->spare[i].fd);
			sp->spare[i] = sp->spare[--sp->n];
			return;
		}
}

/*
 * Closes the parent's end of every waiting spare's socket pair: in the
 * parent at shutdown (each spare then exits), and in every other child,
 * so that only the parent holds them.
 */
void
spare_close_all(struct spares *sp)
{
	size_t	 i;

	for (i = 0; i < sp->n; i++)
		close(sp->spare[i].fd);
	sp->n = 0;
}

/*
 * The spare: drops what belongs to the parent, waits on fd for its one
 * client and serves it.  End of file (the parent stopped or died) or
 * anything unexpected ends it with status 0, having served no one.
 */
static void
spare_wait(struct loop *lp, int fd)
{
	struct accepted	 a;
	char		 name[COMPAT_NAME_MAX];
	int		 verdict;

	(void)compat_set_name(SPARE_NAME, name);
	loop_child_drop(lp);
	if (spare_receive(fd, lp, &a, &verdict) == -1)
		_exit(0);
	close(fd);
	(void)compat_set_name(name, NULL);
	loop_child(lp, &a, verdict);
}

/*
 * The parent's message: fills *a and *verdict (-1 when none came), both
 * close-on-exec.  Returns 0, or -1 at end of file or for a message that
 * is not what the parent sends (every descriptor received is closed).
 */
static int
spare_receive(int fd, const struct loop *lp, struct accepted *a,
    int *verdict)
{
	union spare_cmsg	 cm;
	struct spare_msg	 m;
	struct msghdr		 mh;
	struct iovec		 iov;
	struct cmsghdr		*c;
	int			 fds[2] = { -1, -1 };
	size_t			 nfd = 0, i;
	ssize_t			 n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &m;
	iov.iov_len = sizeof(m);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	while ((n = recvmsg(fd, &mh, SPARE_RECV_FLAGS)) == -1 &&
	    errno == EINTR)
		continue;
	for (c = CMSG_FIRSTHDR(&mh); n > 0 && c != NULL;
	    c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS && nfd == 0) {
			nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			if (nfd > 2)
				nfd = 2;
			memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
		}
	if (n != (ssize_t)sizeof(m) || (mh.msg_flags & MSG_CTRUNC) ||
	    nfd != (m.has_verdict ? 2U : 1U) ||
	    m.listener >= lp->opts->nlisteners ||
	    m.addrlen > sizeof(m.addr)) {
		for (i = 0; i < nfd; i++)
			close(fds[i]);
		return -1;
	}
#ifndef MSG_CMSG_CLOEXEC
	for (i = 0; i < nfd; i++)
		(void)util_set_cloexec(fds[i]);
#endif
	memset(a, 0, sizeof(*a));
	a->listener = &lp->opts->listeners[m.listener];
	a->fd = fds[0];
	a->addrlen = m.addrlen;
	memcpy(&a->addr, &m.addr, m.addrlen);
	*verdict = fds[1];
	return 0;
}
