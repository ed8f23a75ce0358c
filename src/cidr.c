/*
 * sock64: address blocks as the command line and rules files give them:
 * "ADDR", "ADDR/BITS" for IPv4 and IPv6, or "unix" for every unix-socket
 * peer.  An IPv4-mapped IPv6 block is the IPv4 block it maps, since a
 * client is matched as addr_source() gives it.  Pure code.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "util.h"

/*
 * "ADDR", "ADDR/BITS" (IPv4 or IPv6; an IPv4-mapped IPv6 block is taken
 * as the IPv4 block it maps) or "unix".  Returns 0, or -1 with *errstr.
 */
int
cidr_parse(const char *s, struct cidr *c, const char **errstr)
{
	char			 host[INET6_ADDRSTRLEN];
	const char		*slash, *why;
	const unsigned char	*v4;
	size_t			 hlen;
	long long		 bits = -1;

	memset(c, 0, sizeof(*c));
	*errstr = NULL;
	if (strcmp(s, "unix") == 0) {
		c->net.family = AF_UNIX;
		return 0;
	}
	slash = strchr(s, '/');
	hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (hlen == 0 || hlen >= sizeof(host)) {
		*errstr = "not an address";
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, c->net.bytes) == 1)
		c->net.family = AF_INET;
	else if (inet_pton(AF_INET6, host, c->net.bytes) == 1)
		c->net.family = AF_INET6;
	else {
		*errstr = "not an IPv4 or IPv6 address";
		return -1;
	}
	c->bits = c->net.family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		bits = parse_num(slash + 1, 0, c->bits, &why);
		if (why != NULL) {
			*errstr = "prefix length out of range";
			return -1;
		}
		c->bits = (unsigned int)bits;
	}
	/* ::ffff:10.0.0.0/104 is the block 10.0.0.0/8. */
	if (c->net.family == AF_INET6 && c->bits >= 96 &&
	    (v4 = addr_unmap(&c->net.family, c->net.bytes)) != c->net.bytes) {
		memmove(c->net.bytes, v4, 4);
		memset(c->net.bytes + 4, 0, 12);
		c->bits -= 96;
	}
	return 0;
}

/*
 * Whether src (as addr_source gives it) lies in the block.  A unix
 * peer's source is its uid; the block "unix" has no bits, so every
 * unix peer lies in it.
 */
int
cidr_match(const struct cidr *c, const struct addr_source *src)
{
	unsigned int	 full = c->bits / 8, rest = c->bits % 8;
	unsigned char	 mask;

	if (c->net.family != src->family)
		return 0;
	if (memcmp(c->net.bytes, src->bytes, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (c->net.bytes[full] & mask) == (src->bytes[full] & mask);
}

/* Clears every bit of src past the first bits: the block it lies in. */
void
cidr_mask(struct addr_source *src, unsigned int bits)
{
	unsigned int	 full = bits / 8, rest = bits % 8;

	if (full >= sizeof(src->bytes))
		return;
	if (rest != 0)
		src->bytes[full++] &= (unsigned char)(0xff << (8 - rest));
	memset(src->bytes + full, 0, sizeof(src->bytes) - full);
}

/*
 * The block as it would be given: "192.0.2.0/24", "2001:db8::1" (a
 * whole address has no length), "unix", or one unix user as address
 * rules give it, "uid:1000" (its uid in the first bytes, 64 bits).
 */
void
cidr_format(const struct cidr *c, char *buf, size_t size)
{
	char		 host[INET6_ADDRSTRLEN];
	unsigned int	 whole = c->net.family == AF_INET ? 32 : 128;
	long long	 uid;

	if (c->net.family == AF_UNIX) {
		memcpy(&uid, c->net.bytes, sizeof(uid));
		if (c->bits == 0)
			snprintf(buf, size, "unix");
		else
			snprintf(buf, size, "uid:%lld", uid);
		return;
	}
	if (inet_ntop(c->net.family, c->net.bytes, host, sizeof(host)) ==
	    NULL)
		snprintf(host, sizeof(host), "?");
	if (c->bits == whole)
		util_strlcpy(buf, host, size);
	else
		snprintf(buf, size, "%s/%u", host, c->bits);
}
