/*
 * sock64: a connection's two ends as environment variables for the
 * programs the exec handler runs.  TCP gets the UCSPI names tcpserver
 * sets and systemd's REMOTE_ADDR/REMOTE_PORT; unix sockets get PROTO=UNIX
 * and the peer's uid, gid and pid.  Behind a balancer, the client and
 * TLS session its PROXY header reports.  A descriptor that is not a socket
 * (inetd mode over pipes, as under tcpserver) gets nothing: whoever
 * started us has set the variables already.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "compat.h"
#include "peer.h"
#include "proxy.h"

static int	peer_add(struct peer_env *, const char *, const char *);
static int	peer_tcp(int, const struct sockaddr_storage *,
		    struct peer_env *);
static int	peer_unix(int, struct peer_env *);
static int	peer_tls(const struct proxy_tls *, struct peer_env *);
static int	peer_ip(const struct sockaddr_storage *, char *, size_t,
		    char *, size_t);
static const char	*peer_get(const struct peer_env *, const char *);

/*
 * Fills *pe for the connection on fd.  Returns 0, also when fd is not a
 * socket (then pe->n is 0), or -1 with errno set.
 */
int
peer_env(int fd, struct peer_env *pe)
{
	struct sockaddr_storage	 local;
	socklen_t		 len = sizeof(local);

	memset(pe, 0, sizeof(*pe));
	memset(&local, 0, sizeof(local));
	if (getsockname(fd, (struct sockaddr *)&local, &len) == -1)
		return errno == ENOTSOCK ? 0 : -1;
	switch (local.ss_family) {
	case AF_INET:
	case AF_INET6:
		return peer_tcp(fd, &local, pe);
	case AF_UNIX:
		return peer_unix(fd, pe);
	}
	return 0;
}

/*
 * As peer_env, for a connection that a balancer relays: the client its
 * PROXY header names (an IPv4 or IPv6 address) is the remote end, and
 * the balancer's own address becomes PROXYREMOTEIP and PROXYREMOTEPORT.
 * The local address stays ours.  Returns 0, or -1 with errno set.
 */
int
peer_env_proxied(int fd, const struct proxy_header *ph, struct peer_env *pe)
{
	struct peer_env	 real;
	const char	*v;
	char		 ip[INET6_ADDRSTRLEN], port[8];

	memset(pe, 0, sizeof(*pe));
	if (peer_env(fd, &real) == -1 ||
	    peer_ip(&ph->src, ip, sizeof(ip), port, sizeof(port)) == -1)
		return -1;
	if (peer_add(pe, "PROTO", "TCP") == -1 ||
	    peer_add(pe, "TCPREMOTEIP", ip) == -1 ||
	    peer_add(pe, "TCPREMOTEPORT", port) == -1 ||
	    peer_add(pe, "REMOTE_ADDR", ip) == -1 ||
	    peer_add(pe, "REMOTE_PORT", port) == -1)
		return -1;
	if ((v = peer_get(&real, "TCPLOCALIP")) != NULL &&
	    peer_add(pe, "TCPLOCALIP", v) == -1)
		return -1;
	if ((v = peer_get(&real, "TCPLOCALPORT")) != NULL &&
	    peer_add(pe, "TCPLOCALPORT", v) == -1)
		return -1;
	if ((v = peer_get(&real, "TCPREMOTEIP")) != NULL &&
	    peer_add(pe, "PROXYREMOTEIP", v) == -1)
		return -1;
	if ((v = peer_get(&real, "TCPREMOTEPORT")) != NULL &&
	    peer_add(pe, "PROXYREMOTEPORT", v) == -1)
		return -1;
	return ph->tls.tls ? peer_tls(&ph->tls, pe) : 0;
}

/*
 * The client's TLS session with the balancer, under the names mod_ssl
 * gives CGI programs.  A value the header did not carry is not set, nor
 * a common name without a certificate; SSL_CLIENT_VERIFY always is:
 * SUCCESS, FAILED or NONE (no certificate).
 */
static int
peer_tls(const struct proxy_tls *t, struct peer_env *pe)
{
	const struct {
		const char	*name, *value;
	} text[] = {
		{ "SSL_PROTOCOL", t->version },
		{ "SSL_CIPHER", t->cipher },
		{ "SSL_TLS_SNI", t->authority },
		{ "SSL_CLIENT_S_DN_CN", t->cert ? t->cn : "" },
		{ "SSL_SERVER_A_SIG", t->sig_alg },
		{ "SSL_SERVER_A_KEY", t->key_alg },
	};
	size_t	 i;

	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (text[i].value[0] != '\0' &&
		    peer_add(pe, text[i].name, text[i].value) == -1)
			return -1;
	return peer_add(pe, "SSL_CLIENT_VERIFY", !t->cert ? "NONE" :
	    t->verified ? "SUCCESS" : "FAILED");
}

/* The value of NAME in pe, or NULL. */
static const char *
peer_get(const struct peer_env *pe, const char *name)
{
	size_t	 i, len = strlen(name);

	for (i = 0; i < pe->n; i++)
		if (strncmp(pe->vars[i], name, len) == 0 &&
		    pe->vars[i][len] == '=')
			return pe->vars[i] + len + 1;
	return NULL;
}

/* Appends NAME=value; -1 (EOVERFLOW) if it does not fit. */
static int
peer_add(struct peer_env *pe, const char *name, const char *value)
{
	size_t	 room = sizeof(pe->buf) - pe->used;
	int	 n;

	if (pe->n == PEER_ENV_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	n = snprintf(pe->buf + pe->used, room, "%s=%s", name, value);
	if (n < 0 || (size_t)n >= room) {
		errno = EOVERFLOW;
		return -1;
	}
	pe->vars[pe->n++] = pe->buf + pe->used;
	pe->vars[pe->n] = NULL;
	pe->used += (size_t)n + 1;
	return 0;
}

static int
peer_tcp(int fd, const struct sockaddr_storage *local, struct peer_env *pe)
{
	struct sockaddr_storage	 remote;
	socklen_t		 len = sizeof(remote);
	char			 rip[INET6_ADDRSTRLEN], rport[8];
	char			 lip[INET6_ADDRSTRLEN], lport[8];

	memset(&remote, 0, sizeof(remote));
	if (getpeername(fd, (struct sockaddr *)&remote, &len) == -1)
		return -1;
	if (peer_ip(&remote, rip, sizeof(rip), rport, sizeof(rport)) == -1 ||
	    peer_ip(local, lip, sizeof(lip), lport, sizeof(lport)) == -1)
		return -1;
	if (peer_add(pe, "PROTO", "TCP") == -1 ||
	    peer_add(pe, "TCPREMOTEIP", rip) == -1 ||
	    peer_add(pe, "TCPREMOTEPORT", rport) == -1 ||
	    peer_add(pe, "TCPLOCALIP", lip) == -1 ||
	    peer_add(pe, "TCPLOCALPORT", lport) == -1 ||
	    peer_add(pe, "REMOTE_ADDR", rip) == -1 ||
	    peer_add(pe, "REMOTE_PORT", rport) == -1)
		return -1;
	return 0;
}

/*
 * An address and port as text.  An IPv4 client of a dual-stack socket
 * shows up as ::ffff:a.b.c.d; it is written as plain a.b.c.d, as it
 * would be on an IPv4 socket.
 */
static int
peer_ip(const struct sockaddr_storage *ss, char *ip, size_t iplen,
    char *port, size_t portlen)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	const void			*a;
	unsigned int			 p;
	int				 af;

	if (ss->ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)ss;
		af = AF_INET;
		a = &sin->sin_addr;
		p = ntohs(sin->sin_port);
	} else {
		sin6 = (const struct sockaddr_in6 *)ss;
		af = AF_INET6;
		a = addr_unmap(&af, sin6->sin6_addr.s6_addr);
		p = ntohs(sin6->sin6_port);
	}
	if (inet_ntop(af, a, ip, (socklen_t)iplen) == NULL)
		return -1;
	if (snprintf(port, portlen, "%u", p) >= (int)portlen) {
		errno = EOVERFLOW;
		return -1;
	}
	return 0;
}

/* PROTO=UNIX and the peer's credentials, where the system tells. */
static int
peer_unix(int fd, struct peer_env *pe)
{
	char		 num[24];
	long long	 uid, gid, pid;

	compat_peercred(fd, &uid, &gid, &pid);
	if (peer_add(pe, "PROTO", "UNIX") == -1)
		return -1;
	/* The ...EUID/...EGID spellings are ucspi-unix's, for its programs. */
	snprintf(num, sizeof(num), "%lld", uid);
	if (uid != -1 && (peer_add(pe, "UNIXREMOTEUID", num) == -1 ||
	    peer_add(pe, "UNIXREMOTEEUID", num) == -1))
		return -1;
	snprintf(num, sizeof(num), "%lld", gid);
	if (gid != -1 && (peer_add(pe, "UNIXREMOTEGID", num) == -1 ||
	    peer_add(pe, "UNIXREMOTEEGID", num) == -1))
		return -1;
	snprintf(num, sizeof(num), "%lld", pid);
	if (pid > 0 && peer_add(pe, "UNIXREMOTEPID", num) == -1)
		return -1;
	return 0;
}
