/*
 * sock64: reading a load balancer's PROXY header off a connection
 * before its first frame, and deciding who may send one (--proxy-from).
 */
#ifndef SOCK64_PROXYIO_H
#define SOCK64_PROXYIO_H

#include <sys/socket.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cidr.h"
#include "proxy.h"

/* Bytes read in one go; what follows the header goes to conn. */
#define PROXY_REST_MAX	4096

struct proxy_opts {
	int			 accept;	/* 0: off; PROXY_V1, V2 or ANY */
	const struct cidr	*from;		/* --proxy-from */
	size_t			 nfrom;		/* 0: every peer */
};

/* One connection's header and what came after it. */
struct proxy_conn {
	struct proxy_header	 hdr;
	int			 proxied;	/* hdr.src is the client */
	char			 name[ADDR_NAME_MAX];	/* the client */
	unsigned char		 rest[PROXY_REST_MAX];
	size_t			 nrest;
};

int	proxy_trusted(const struct proxy_opts *, const struct sockaddr *,
	    socklen_t, int);
int	proxy_read(int, int, const char *, int64_t,
	    const volatile sig_atomic_t *, struct proxy_conn *);

#endif /* SOCK64_PROXYIO_H */
