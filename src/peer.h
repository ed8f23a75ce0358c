/*
 * sock64: who is at the other end of a connection, as the environment
 * variables that tcpserver (UCSPI) and systemd give a service: PROTO,
 * TCPREMOTEIP and friends, REMOTE_ADDR, and for unix sockets the peer's
 * credentials; behind a balancer, the client its PROXY header names and
 * the TLS session it reports, as mod_ssl's SSL_* names.
 */
#ifndef SOCK64_PEER_H
#define SOCK64_PEER_H

#include <sys/socket.h>

#include <stddef.h>

struct proxy_header;

#define PEER_ENV_MAX	20		/* variables at most */
#define PEER_ENV_SIZE	2048		/* their "NAME=value" strings */

struct peer_env {
	char	 buf[PEER_ENV_SIZE];
	size_t	 used;				/* bytes of buf */
	char	*vars[PEER_ENV_MAX + 1];	/* NULL-terminated */
	size_t	 n;
};

int	peer_env(int, struct peer_env *);
int	peer_env_proxied(int, const struct proxy_header *,
	    struct peer_env *);

#endif /* SOCK64_PEER_H */
