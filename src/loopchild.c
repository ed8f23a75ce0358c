/*
 * sock64: a new child's side of the loop.  It drops what belongs to the
 * parent, sets up its one connection and serves it; it never returns
 * into the parent's loop.  Forked on demand (loop.c) or as a spare
 * (spare.c).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "listen.h"
#include "log.h"
#include "loopint.h"
#include "sig.h"
#include "srclimit.h"

/*
 * In a new child, before it has a client or as soon as it has one: the
 * listeners, the spares' socket pairs, the other children's verdict
 * pipes and the read end of the tally pipe belong to the parent.
 */
void
loop_child_drop(struct loop *lp)
{
	const struct loop_opts	*o = lp->opts;
	size_t			 i;

	/* One client's child may wait for the log: see log_blocking(). */
	log_blocking();
	for (i = 0; i < o->nlisteners; i++)
		close(o->listeners[i].fd);
	spare_close_all(&lp->spares);
	srclimit_child_drop(&lp->srclimit, &lp->children);
	close(lp->tally_pipe[0]);
}

/*
 * The child, once loop_child_drop() has run: sets up the connection
 * and serves it.  It never returns into the parent's loop.
 */
void
loop_child(const struct loop *lp, const struct accepted *a, int verdict)
{
	const struct loop_opts	*o = lp->opts;
	const struct listener	*l = a->listener;
	struct loop_client	 client;
	int			 on = 1;

	srclimit_child_keep(&lp->srclimit, verdict, &client.report_fd,
	    &client.verdict_fd);
	client.tally_fd = lp->tally_pipe[1];
	/*
	 * Non-blocking, so that a peer which stops reading cannot hold a
	 * write past --write-timeout; the connection loop polls for room.
	 */
	if (sig_child_setup(&o->wait_mask, a->fd, a->fd) == -1 ||
	    compat_accepted(a->fd) == -1) {
		log_warn("child set-up");
		_exit(1);
	}
	/*
	 * A reply must not wait for the ack of the one before it.  Linux
	 * gives a client the listener's TCP_NODELAY, which the ones we
	 * open have (not those systemd passes): a call saved per child.
	 */
#ifdef __linux__
	if (!l->is_unix && !l->nodelay)
#else
	if (!l->is_unix)
#endif
		(void)setsockopt(a->fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on));
	client.listener = l;
	memcpy(&client.addr, &a->addr, a->addrlen);
	client.addrlen = a->addrlen;
	listen_client_name(l, &a->addr, a->addrlen, client.name,
	    sizeof(client.name));
	_exit(o->serve(a->fd, &client, o->arg));
}
