/*
 * sock64: a client's source, and the verdicts on it: the address rules
 * and the rate per source (admit.c), then --max-per-source.  A client's
 * source is its IP address (cut to --source-prefix for the limits), or
 * for a unix socket its uid.  The parent counts it over the live
 * children, so the count is exact whichever way they ended.  Where the
 * source is known only to the child (the client a balancer's PROXY
 * header names), the child writes it down one pipe shared by all such
 * children, and the parent answers down a pipe of that child's own: 'y'
 * to serve, or a letter saying why it is refused.  Without rules, rates or a limit,
 * accepting costs nothing more, and none of these pipes exist.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "compat.h"
#include "listen.h"
#include "log.h"
#include "srclimit.h"
#include "util.h"

/* A child's report of its source (srclimit_ask). */
struct srclimit_note {
	pid_t			 pid;
	struct addr_source	 source;
	char			 name[ADDR_NAME_MAX];
};

static int	srclimit_peer_source(const struct listener *, int,
		    const struct sockaddr_storage *, socklen_t,
		    struct addr_source *);
static char	srclimit_verdict(struct srclimit *, const struct children *,
		    struct addr_source *, const char *, const char *);
static int	srclimit_over(struct srclimit *, const struct children *,
		    const struct addr_source *, const char *, const char *);

/*
 * At most max connections from a source (0: no limit), once ad (rules
 * and rates) lets it in.  later (or NULL) says which clients' children
 * report their source (arg is its last argument); for them the report
 * pipe is opened.  Returns 0, or -1 with errno.
 */
int
srclimit_open(struct srclimit *sl, size_t max, struct admit *ad,
    int (*later)(const struct sockaddr *, socklen_t, int, void *), void *arg)
{
	memset(sl, 0, sizeof(*sl));
	sl->max = max;
	sl->admit = ad;
	sl->reports[0] = sl->reports[1] = -1;
	sl->later = later;
	sl->later_arg = arg;
	/* A --rules file may gain rules on SIGHUP. */
	if (later == NULL || (max == 0 && !admit_checks_sources(ad) &&
	    ad->opts->rules_path == NULL))
		return 0;
	if (pipe(sl->reports) == -1)
		return -1;
	if (util_set_cloexec(sl->reports[0]) == -1 ||
	    util_set_cloexec(sl->reports[1]) == -1 ||
	    util_set_nonblock(sl->reports[0], UTIL_NEW_FD) == -1) {
		close(sl->reports[0]);
		close(sl->reports[1]);
		sl->reports[0] = sl->reports[1] = -1;
		return -1;
	}
	return 0;
}

/*
 * At shutdown: nobody is refused any more, so what was counted is
 * logged now; the report pipe and every verdict not given yet are
 * closed, and a child still waiting for its verdict stops at end of
 * file.
 */
void
srclimit_close(struct srclimit *sl, struct children *ct)
{
	size_t	 i;

	if (sl->reports[0] == -1)
		return;
	close(sl->reports[0]);
	close(sl->reports[1]);
	sl->reports[0] = sl->reports[1] = -1;
	for (i = 0; i < ct->n; i++)
		if (ct->child[i].verdict_fd != -1) {
			close(ct->child[i].verdict_fd);
			ct->child[i].verdict_fd = -1;
		}
}

/*
 * At accept, the client on fd from ss on l: refused by a rule, counted
 * later by its child (a PROXY header's client: the rules have judged
 * the balancer), refused over a rate or limit, or admitted.  *src
 * receives the source counted now, all zero where there is none (no
 * limit, counted later, or the system does not say who).
 */
enum srclimit_verdict
srclimit_admit(struct srclimit *sl, const struct children *ct,
    const struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t len, struct addr_source *src)
{
	char	 peer[ADDR_NAME_MAX];
	int	 later;

	memset(src, 0, sizeof(*src));
	later = sl->reports[1] != -1 && sl->later((const struct sockaddr *)ss,
	    len, l->is_unix, sl->later_arg);
	if (sl->max == 0 && !admit_checks_sources(sl->admit))
		return later ? SRCLIMIT_LATER : SRCLIMIT_ADMITTED;
	if (srclimit_peer_source(l, fd, ss, len, src) == -1) {
		/* The system does not say who: nothing to judge by. */
		memset(src, 0, sizeof(*src));
		return later ? SRCLIMIT_LATER : SRCLIMIT_ADMITTED;
	}
	/* A unix peer's socket name is the listener's: name its user. */
	if (l->is_unix)
		addr_source_name(src, 0, peer, sizeof(peer));
	else
		listen_client_name(l, ss, len, peer, sizeof(peer));
	if (!admit_rules(sl->admit, src, peer, l->name))
		return SRCLIMIT_REFUSED;
	if (later) {
		memset(src, 0, sizeof(*src));
		return SRCLIMIT_LATER;
	}
	if (srclimit_verdict(sl, ct, src, peer, l->name) != 'y')
		return SRCLIMIT_REFUSED;
	return SRCLIMIT_ADMITTED;
}

/*
 * The whole source of the peer on fd: its address, or for a unix
 * socket its uid.  Returns 0, or -1 when the system does not say.
 */
static int
srclimit_peer_source(const struct listener *l, int fd,
    const struct sockaddr_storage *ss, socklen_t len,
    struct addr_source *src)
{
	long long	 uid, gid, pid;

	if (!l->is_unix)
		return addr_source((const struct sockaddr *)ss, len, src);
	compat_peercred(fd, &uid, &gid, &pid);
	if (uid == -1)
		return -1;
	src->family = AF_UNIX;
	memcpy(src->bytes, &uid, sizeof(uid));
	return 0;
}

/*
 * After the rules: the source src (made the one counted, cut to
 * --source-prefix) against its rate and --max-per-source.  Returns the
 * verdict as the verdict pipe carries it: 'y' to serve, 't' over the
 * rate, 's' over --max-per-source (logged).
 */
static char
srclimit_verdict(struct srclimit *sl, const struct children *ct,
    struct addr_source *src, const char *peer, const char *on)
{
	admit_group(sl->admit, src);
	if (!admit_rate(sl->admit, src, peer, on))
		return 't';
	if (sl->max == 0) {
		/* Not counted: no child is refused by its source. */
		memset(src, 0, sizeof(*src));
		return 'y';
	}
	return srclimit_over(sl, ct, src, peer, on) ? 's' : 'y';
}

/*
 * True when src already has max connections: the refusal of peer (as
 * log lines name it) on the listener named on goes to the refusal log.
 */
static int
srclimit_over(struct srclimit *sl, const struct children *ct,
    const struct addr_source *src, const char *peer, const char *on)
{
	size_t	 n;

	n = children_count_source(ct, src);
	if (n < sl->max)
		return 0;
	if (admit_refused(sl->admit, REFUSAL_SOURCE, src,
	    "--max-per-source")) {
		log_warnx("%s: refused on %s: %zu connections from this %s "
		    "already (--max-per-source)", peer, on, n,
		    admit_source_kind(sl->admit, src));
		admit_summary(peer, on, TALLY_REFUSED_SOURCE);
	}
	return 1;
}

/*
 * The pipe for one child's verdict, both ends close-on-exec: the child
 * keeps vp[0], the parent vp[1].  Returns 0, or -1 with errno and none
 * open.
 */
int
srclimit_verdict_pipe(int vp[2])
{
	int	 saved;

	vp[0] = vp[1] = -1;
	if (pipe(vp) == -1)
		return -1;
	if (util_set_cloexec(vp[0]) == -1 || util_set_cloexec(vp[1]) == -1) {
		saved = errno;
		close(vp[0]);
		close(vp[1]);
		vp[0] = vp[1] = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

/*
 * Reads the children's reports and answers each: 'y' to serve, or
 * (logged) 'r' when a rule refuses the client, 't' when its source is
 * over its rate, 's' when it already has max connections.  A source counts from the moment
 * it is let in.
 */
void
srclimit_answer(struct srclimit *sl, struct children *ct)
{
	struct srclimit_note	 sn;
	struct child		*ch;
	char			 v;

	while (read(sl->reports[0], &sn, sizeof(sn)) == (ssize_t)sizeof(sn)) {
		if ((ch = children_find(ct, sn.pid)) == NULL ||
		    ch->verdict_fd == -1)
			continue;
		sn.name[sizeof(sn.name) - 1] = '\0';
		if (!admit_rules(sl->admit, &sn.source, sn.name,
		    ch->listener->name))
			v = 'r';
		else
			v = srclimit_verdict(sl, ct, &sn.source, sn.name,
			    ch->listener->name);
		if (v == 'y')
			ch->source = sn.source;
		if (write(ch->verdict_fd, &v, 1) == -1)
			log_warn("verdict for child %ld", (long)sn.pid);
		close(ch->verdict_fd);
		ch->verdict_fd = -1;
	}
}

/*
 * In a new child: none of the other children's verdicts, and the report
 * pipe's write end only if this child reports, that is if it has a
 * verdict pipe (verdict: its read end, or -1).  *report_fd and
 * *verdict_fd receive what srclimit_ask() needs, or -1.
 */
void
srclimit_child(const struct srclimit *sl, const struct children *ct,
    int verdict, int *report_fd, int *verdict_fd)
{
	srclimit_child_drop(sl, ct);
	srclimit_child_keep(sl, verdict, report_fd, verdict_fd);
}

/*
 * The first half of srclimit_child(), for a child forked before it has
 * a client (a spare): the report pipe's read end and the other
 * children's verdicts go; the report pipe's write end stays.
 */
void
srclimit_child_drop(const struct srclimit *sl, const struct children *ct)
{
	size_t	 i;

	if (sl->reports[0] == -1)
		return;
	close(sl->reports[0]);
	for (i = 0; i < ct->n; i++)
		if (ct->child[i].verdict_fd != -1)
			close(ct->child[i].verdict_fd);
}

/*
 * The second half, once the child has its client: keeps the report
 * pipe's write end if it has a verdict pipe to wait on, else closes it.
 */
void
srclimit_child_keep(const struct srclimit *sl, int verdict, int *report_fd,
    int *verdict_fd)
{
	*report_fd = *verdict_fd = -1;
	if (sl->reports[1] == -1)
		return;
	if (verdict == -1) {
		close(sl->reports[1]);
		return;
	}
	*report_fd = sl->reports[1];
	*verdict_fd = verdict;
}

/*
 * In a child whose source the parent did not count at accept: reports
 * it (name is for the parent's log line) and waits for the verdict.
 * Returns 1 to serve; 0 when refused, with *why the reason (a rule, a
 * rate or --max-per-source); -1 on an error or when the parent is
 * stopping.  Both descriptors are closed.
 */
int
srclimit_ask(int report_fd, int verdict_fd, const struct addr_source *src,
    const char *name, enum tally_end *why)
{
	struct srclimit_note	 sn;
	ssize_t			 n;
	char			 v = 0;

	memset(&sn, 0, sizeof(sn));
	sn.pid = getpid();
	sn.source = *src;
	util_strlcpy(sn.name, name, sizeof(sn.name));
	/* Smaller than PIPE_BUF: written whole, never interleaved. */
	while ((n = write(report_fd, &sn, sizeof(sn))) == -1 &&
	    errno == EINTR)
		continue;
	if (n == (ssize_t)sizeof(sn))
		while ((n = read(verdict_fd, &v, 1)) == -1 && errno == EINTR)
			continue;
	close(report_fd);
	close(verdict_fd);
	if (n != 1)
		return -1;
	*why = v == 'r' ? TALLY_REFUSED_RULE : v == 't' ? TALLY_REFUSED_RATE :
	    TALLY_REFUSED_SOURCE;
	return v == 'y';
}
