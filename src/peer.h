/*
 * sock64: who is at the other end of a connection, as the environment
 * variables that tcpserver (UCSPI) and systemd give a service: PROTO,
 * TCPREMOTEIP and friends, REMOTE_ADDR, and for unix sockets the peer's
 * credentials.
 */
#ifndef SOCK64_PEER_H
#define SOCK64_PEER_H

#include <sys/socket.h>

#include <stddef.h>

#define PEER_ENV_MAX	12		/* variables at most */
#define PEER_ENV_LEN	80		/* "NAME=value" and its NUL */

struct peer_env {
	char	 buf[PEER_ENV_MAX][PEER_ENV_LEN];
	char	*vars[PEER_ENV_MAX + 1];	/* NULL-terminated */
	size_t	 n;
};

int	peer_env(int, struct peer_env *);
int	peer_env_proxied(int, const struct sockaddr_storage *,
	    struct peer_env *);

#endif /* SOCK64_PEER_H */
