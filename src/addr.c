/*
 * sock64: address forms.  "HOST:PORT", "[V6ADDR]:PORT", ":PORT" or
 * "PORT" (every address), and "unix:PATH".  Parsing is pure; resolving
 * and binding belong to the callers.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "util.h"

static int	addr_parse_port(const char *, struct addr *, const char **);
static void	addr_format_v4(const unsigned char [4], unsigned, char *,
		    size_t);

/*
 * Fills *a from s.  Returns 0, or -1 with *errstr saying what is wrong
 * in words fit for a usage message.
 */
int
addr_parse(const char *s, struct addr *a, const char **errstr)
{
	const char	*colon, *end;
	size_t		 hostlen;

	memset(a, 0, sizeof(*a));
	*errstr = NULL;
	if (strncmp(s, "unix:", 5) == 0) {
		a->kind = ADDR_UNIX;
		if (s[5] == '\0') {
			*errstr = "unix: needs a path";
			return -1;
		}
		if (strlen(s + 5) >= sizeof(a->path)) {
			*errstr = "unix socket path too long";
			return -1;
		}
		memcpy(a->path, s + 5, strlen(s + 5) + 1);
		return 0;
	}
	a->kind = ADDR_TCP;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':') {
			*errstr = "expected [IPV6ADDR]:PORT";
			return -1;
		}
		hostlen = (size_t)(end - s - 1);
		colon = end + 1;
		s++;
		a->bracketed = 1;
	} else if ((colon = strrchr(s, ':')) == NULL) {
		return addr_parse_port(s, a, errstr);
	} else {
		if (memchr(s, ':', (size_t)(colon - s)) != NULL) {
			*errstr = "an IPv6 address needs brackets: "
			    "[ADDR]:PORT";
			return -1;
		}
		hostlen = (size_t)(colon - s);
	}
	if (hostlen >= sizeof(a->host)) {
		*errstr = "host name too long";
		return -1;
	}
	if (a->bracketed && hostlen == 0) {
		*errstr = "empty [] address";
		return -1;
	}
	memcpy(a->host, s, hostlen);
	a->host[hostlen] = '\0';
	return addr_parse_port(colon + 1, a, errstr);
}

static int
addr_parse_port(const char *s, struct addr *a, const char **errstr)
{
	const char	*why;
	long long	 port;

	if (*s == '\0') {
		*errstr = "missing port";
		return -1;
	}
	port = parse_num(s, 0, 65535, &why);
	if (why != NULL) {
		*errstr = strcmp(why, "invalid") == 0 ?
		    "port is not a number" : "port out of range (0-65535)";
		return -1;
	}
	snprintf(a->port, sizeof(a->port), "%lld", port);
	return 0;
}

/*
 * Writes a socket address for logs: "127.0.0.1:80", "[::1]:80",
 * "unix:PATH" or "unix:@NAME" (abstract).  An IPv4-mapped IPv6
 * address is shown as plain IPv4, as the client sees itself.  Never fails: unknown forms print as "?".
 */
void
addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET &&
	    len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		addr_format_v4((const unsigned char *)&sin->sin_addr,
		    ntohs(sin->sin_port), buf, size);
	} else if (sa->sa_family == AF_INET6 &&
	    len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		const unsigned char	*ip;
		int			 af = AF_INET6;

		ip = addr_unmap(&af, sin6->sin6_addr.s6_addr);
		if (af == AF_INET)
			addr_format_v4(ip, ntohs(sin6->sin6_port), buf, size);
		else {
			inet_ntop(af, ip, host, sizeof(host));
			snprintf(buf, size, "[%s]:%u", host,
			    ntohs(sin6->sin6_port));
		}
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const void *)sa;
		size_t	 off = offsetof(struct sockaddr_un, sun_path);

		if ((size_t)len > off && sun->sun_path[0] != '\0')
			snprintf(buf, size, "unix:%.*s", (int)(len - off),
			    sun->sun_path);
		else if ((size_t)len > off + 1)	/* abstract: "@name" */
			snprintf(buf, size, "unix:@%.*s",
			    (int)(len - off - 1), sun->sun_path + 1);
		else
			snprintf(buf, size, "unix");
	} else
		snprintf(buf, size, "?");
}

/*
 * "a.b.c.d:port" by hand: every new child names its client once, and
 * printf's code (inet_ntop uses it too) is many pages that the child
 * would each have to fault in after fork(2).  Truncated to size - 1.
 */
static void
addr_format_v4(const unsigned char ip[4], unsigned port, char *buf,
    size_t size)
{
	char		 s[sizeof("255.255.255.255:65535")], *p = s;
	unsigned	 n;
	size_t		 i, len;

	for (i = 0; i < 5; i++) {
		n = i < 4 ? ip[i] : port;
		if (i > 0)
			*p++ = i < 4 ? '.' : ':';
		if (n >= 10000)
			*p++ = (char)('0' + n / 10000);
		if (n >= 1000)
			*p++ = (char)('0' + n / 1000 % 10);
		if (n >= 100)
			*p++ = (char)('0' + n / 100 % 10);
		if (n >= 10)
			*p++ = (char)('0' + n / 10 % 10);
		*p++ = (char)('0' + n % 10);
	}
	if (size == 0)
		return;
	len = (size_t)(p - s) < size - 1 ? (size_t)(p - s) : size - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
}

/*
 * The source of a TCP connection: its IP address, with an IPv4-mapped
 * IPv6 address reduced to the IPv4 address it maps, so a client counts
 * once whether it reached a dual-stack or an IPv4 listener.  Returns -1
 * for other families (a unix peer is keyed by its uid, set by the
 * caller).
 */
int
addr_source(const struct sockaddr *sa, socklen_t len, struct addr_source *src)
{
	memset(src, 0, sizeof(*src));
	if (sa->sa_family == AF_INET &&
	    len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		src->family = AF_INET;
		memcpy(src->bytes, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 &&
	    len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		const unsigned char	*ip;

		src->family = AF_INET6;
		ip = addr_unmap(&src->family, sin6->sin6_addr.s6_addr);
		memcpy(src->bytes, ip, src->family == AF_INET ? 4 : 16);
		return 0;
	}
	return -1;
}

/*
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 client it
 * maps, whichever listener it reached: with *family AF_INET6 and such
 * an address in bytes (16 of them), *family becomes AF_INET and the
 * IPv4 address's 4 bytes are returned.  Anything else comes back as it
 * was given.
 */
const unsigned char *
addr_unmap(int *family, const unsigned char *bytes)
{
	if (*family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)bytes))
		return bytes;
	*family = AF_INET;
	return bytes + 12;
}

int
addr_same_source(const struct addr_source *a, const struct addr_source *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

/*
 * A source as log lines name it: "192.0.2.1", "2001:db8::1", "uid 1000",
 * or with the prefix it was cut to (addr_source() gives whole
 * addresses): "2001:db8:1:2::/64".
 */
void
addr_source_name(const struct addr_source *src, unsigned int bits,
    char *buf, size_t size)
{
	char		 host[INET6_ADDRSTRLEN];
	unsigned int	 whole = src->family == AF_INET ? 32 : 128;
	long long	 uid;

	if (src->family == AF_UNIX) {
		memcpy(&uid, src->bytes, sizeof(uid));
		snprintf(buf, size, "uid %lld", uid);
	} else if ((src->family != AF_INET && src->family != AF_INET6) ||
	    inet_ntop(src->family, src->bytes, host, sizeof(host)) == NULL)
		snprintf(buf, size, "?");
	else if (bits == 0 || bits >= whole)
		util_strlcpy(buf, host, size);
	else
		snprintf(buf, size, "%s/%u", host, bits);
}

/* Writes a parsed address back in its canonical form, for messages. */
void
addr_describe(const struct addr *a, char *buf, size_t size)
{
	if (a->kind == ADDR_UNIX)
		snprintf(buf, size, "unix:%s", a->path);
	else if (a->bracketed || strchr(a->host, ':') != NULL)
		snprintf(buf, size, "[%s]:%s", a->host, a->port);
	else
		snprintf(buf, size, "%s:%s", a->host, a->port);
}
