/*
 * sock64: one connection, from its first byte to its end, in the
 * process that serves it.  A balancer's PROXY header comes first when
 * the peer is trusted to send one; the client it names then is the peer
 * for the log, for --max-per-source (reported to the parent, which
 * decides) and for the program.  Then the request/reply loop runs with
 * the echo handler or a program per request.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conn.h"
#include "echo.h"
#include "exec.h"
#include "log.h"
#include "loop.h"
#include "peer.h"
#include "perconn.h"
#include "proxyio.h"
#include "session.h"
#include "srclimit.h"
#include "tally.h"
#include "util.h"

static int	session_proxied(int, const struct loop_client *,
		    const struct session_opts *, struct conn_opts *);
static int64_t	session_header_deadline(const struct conn_opts *);
static int	session_inetd_proxy(const struct session_opts *,
		    const struct sockaddr_storage *, socklen_t,
		    struct conn_opts *, struct proxy_conn *);
static enum conn_result	session_run(int, int, int, const struct conn_opts *,
			    const struct exec_opts *,
			    const struct proxy_header *);
static int	session_end(const struct loop_client *, const char *,
		    const char *, struct tally_conn *, int64_t);
static int	session_refused(const struct loop_client *,
		    struct tally_conn *, int64_t);

/*
 * The accept loop's serve hook: runs in each forked child, on the
 * accepted connection.  arg is the struct session_opts.  Returns the
 * child's exit status.
 */
int
session_serve(int fd, const struct loop_client *peer, void *arg)
{
	const struct session_opts	*so = arg;
	struct conn_opts		 o = so->conn;
	struct tally_conn		 tc;

	memset(&tc, 0, sizeof(tc));
	o.started = util_now_ms();
	o.tally = &tc;
	if (so->proxy.accept != 0 && proxy_trusted(&so->proxy,
	    (const struct sockaddr *)&peer->addr, peer->addrlen,
	    peer->listener->is_unix))
		return session_proxied(fd, peer, so, &o);
	o.peer = peer->name;
	log_debug("%s: connected to %s", peer->name, peer->listener->name);
	session_run(fd, fd, fd, &o, so->exec, NULL);
	return session_end(peer, peer->name, peer->listener->name, &tc,
	    o.started);
}

/*
 * The connection's summary: to the parent, which logs it and counts it;
 * in -i mode, where there is none, to the log.  Returns the process's
 * exit status: 0 after a clean end, 1 otherwise.
 */
static int
session_end(const struct loop_client *peer, const char *name,
    const char *listener, struct tally_conn *tc, int64_t started)
{
	tc->duration_ms = util_now_ms() - started;
	if (peer != NULL && peer->tally_fd != -1) {
		tc->pid = getpid();
		util_strlcpy(tc->peer, name, sizeof(tc->peer));
		(void)tally_send(peer->tally_fd, tc);
	} else
		tally_log_conn(tc, name, listener);
	return tc->end == TALLY_EOF || tc->end == TALLY_TERMINATED ? 0 : 1;
}

/*
 * A client the parent refused once its child read the PROXY header: the
 * parent logged the refusal (or summed it up, in a flood), so the
 * summary is for the counts only.  Exit status 1.
 */
static int
session_refused(const struct loop_client *peer, struct tally_conn *tc,
    int64_t started)
{
	tc->logged = 1;
	session_end(peer, "", "", tc, started);
	return 1;
}

/*
 * The accept loop's later_source hook: the parent counts a balancer's
 * clients once their child reports.  arg is the struct session_opts.
 */
int
session_later_source(const struct sockaddr *sa, socklen_t len, int is_unix,
    void *arg)
{
	const struct session_opts	*so = arg;

	return proxy_trusted(&so->proxy, sa, len, is_unix);
}

/*
 * A connection from a balancer: its PROXY header first, then the client
 * it names is the peer for the log, --max-per-source and the program.
 * A LOCAL header (a health check) or UNKNOWN addresses leave the
 * balancer as the peer.
 */
static int
session_proxied(int fd, const struct loop_client *peer,
    const struct session_opts *so, struct conn_opts *o)
{
	struct proxy_conn	 pc;
	struct addr_source	 src;
	enum tally_end		 why;
	int			 rv;

	rv = proxy_read(fd, so->proxy.accept, peer->name,
	    session_header_deadline(o), o->stop, &pc);
	if (rv != 1) {
		o->tally->end = rv == 0 ? TALLY_EOF : TALLY_MALFORMED;
		return session_end(peer, peer->name, peer->listener->name,
		    o->tally, o->started);
	}
	log_debug("%s: connected to %s via %s (PROXY v%d%s)", pc.name,
	    peer->listener->name, peer->name, pc.hdr.version,
	    pc.proxied ? "" : ", no client address");
	if (peer->report_fd != -1) {
		memset(&src, 0, sizeof(src));
		if (pc.proxied)
			addr_source((struct sockaddr *)&pc.hdr.src,
			    pc.hdr.srclen, &src);
		else
			addr_source((const struct sockaddr *)&peer->addr,
			    peer->addrlen, &src);
		if ((rv = srclimit_ask(peer->report_fd, peer->verdict_fd,
		    &src, pc.name, &why)) == 0) {
			o->tally->end = why;
			return session_refused(peer, o->tally, o->started);
		}
		if (rv == -1) {
			o->tally->end = TALLY_TERMINATED;
			return session_end(peer, pc.name,
			    peer->listener->name, o->tally, o->started);
		}
	}
	o->peer = pc.name;
	o->pending = pc.rest;
	o->npending = pc.nrest;
	session_run(fd, fd, fd, o, so->exec, pc.proxied ? &pc.hdr : NULL);
	return session_end(peer, pc.name, peer->listener->name, o->tally,
	    o->started);
}

/*
 * A PROXY header is due within --frame-timeout of the start, else
 * --idle-timeout; the first frame's time counts from the start too.
 */
static int64_t
session_header_deadline(const struct conn_opts *o)
{
	int	 s = o->frame_timeout > 0 ? o->frame_timeout : o->idle_timeout;

	return s > 0 ? o->started + (int64_t)s * 1000 : 0;
}

/*
 * -i: one connection, requests on fd 0 and replies on fd 1 (one socket,
 * or two pipes).  The peer's address is only for the log lines.
 * Returns the exit status.
 */
int
session_inetd(const struct session_opts *so)
{
	struct sockaddr_storage	 ss;
	struct conn_opts	 o = so->conn;
	struct proxy_conn	 pc;
	struct tally_conn	 tc;
	socklen_t		 len = sizeof(ss);
	int			 rv;
	char			 peer[ADDR_NAME_MAX];

	memset(&ss, 0, sizeof(ss));
	memset(&tc, 0, sizeof(tc));
	if (getpeername(STDIN_FILENO, (struct sockaddr *)&ss, &len) == 0)
		addr_format((struct sockaddr *)&ss, len, peer, sizeof(peer));
	else
		snprintf(peer, sizeof(peer), "stdin");
	o.peer = peer;
	o.started = util_now_ms();
	o.tally = &tc;
	log_debug("%s: connected (inetd mode)", peer);
	if ((rv = session_inetd_proxy(so, &ss, len, &o, &pc)) != 1)
		tc.end = rv == 0 ? TALLY_EOF : TALLY_MALFORMED;
	else
		session_run(STDIN_FILENO, STDOUT_FILENO, STDIN_FILENO, &o,
		    so->exec, pc.proxied ? &pc.hdr : NULL);
	return session_end(NULL, o.peer, "inetd", &tc, o.started);
}

/*
 * -i with --proxy-protocol: reads the header when this peer must send
 * one (over pipes, when --proxy-from is not given).  Returns 1 to
 * serve, with *o and *pc set; 0 or -1 to stop (exit 0 or 1).
 */
static int
session_inetd_proxy(const struct session_opts *so,
    const struct sockaddr_storage *ss, socklen_t len, struct conn_opts *o,
    struct proxy_conn *pc)
{
	int	 rv;

	pc->proxied = 0;
	if (!proxy_trusted(&so->proxy, (const struct sockaddr *)ss, len,
	    ss->ss_family == AF_UNIX))
		return 1;
	if ((rv = proxy_read(STDIN_FILENO, so->proxy.accept, o->peer,
	    session_header_deadline(o), o->stop, pc)) != 1)
		return rv;
	log_debug("%s: via %s (PROXY v%d)", pc->name, o->peer,
	    pc->hdr.version);
	o->peer = pc->name;
	o->pending = pc->rest;
	o->npending = pc->nrest;
	return 1;
}

/*
 * One connection, with the echo handler or, given eo, a program run per
 * request or one for the whole connection; sockfd (which may not be a
 * socket) tells the program who the peer is.
 */
static enum conn_result
session_run(int rfd, int wfd, int sockfd, const struct conn_opts *co,
    const struct exec_opts *eo, const struct proxy_header *ph)
{
	struct conn_opts	 o = *co;
	struct conn_handler	 h;
	struct peer_env		 pe;
	struct exec_handler	*eh;
	enum conn_result	 rv;

	if (eo == NULL) {
		o.handler = &echo_handler;
		return conn_serve(rfd, wfd, &o);
	}
	if ((ph != NULL ? peer_env_proxied(sockfd, ph, &pe) :
	    peer_env(sockfd, &pe)) == -1) {
		log_warn("%s: peer address", o.peer);
		if (o.tally != NULL)
			o.tally->end = TALLY_ERROR;
		return CONN_FAILED;
	}
	if (eo->per_connection)
		return perconn_serve(rfd, wfd, &o, eo, pe.vars);
	if ((eh = exec_handler_new(eo, wfd, pe.vars, o.peer)) == NULL) {
		log_warn("%s: exec handler", o.peer);
		if (o.tally != NULL)
			o.tally->end = TALLY_ERROR;
		return CONN_FAILED;
	}
	h.serve = exec_handler_serve;
	h.arg = eh;
	o.handler = &h;
	rv = conn_serve(rfd, wfd, &o);
	if (o.tally != NULL)
		exec_handler_tally(eh, o.tally);
	exec_handler_free(eh);
	return rv;
}
