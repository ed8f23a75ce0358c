/*
 * sock64: the PROXY protocol decoder.  Version 1 is one text line,
 * "PROXY TCP4 SRC DST SPORT DPORT\r\n" (or TCP6, or UNKNOWN and anything
 * up to the CRLF), at most 107 bytes.  Version 2 starts with a 12-byte
 * signature, then a version and command byte, an address family and
 * transport byte, and a 16-bit length of what follows: the addresses,
 * then TLVs (a type byte, a 16-bit length, the value).  TLVs must fill the
 * rest of the header exactly, as haproxy insists; proxytlv.c reads the
 * ones we use.
 * Bytes are taken one at a time so that any split of the input gives the
 * same verdict and the decoder never eats past the header.  Pure code:
 * no I/O, no allocation, no globals.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "proxy.h"
#include "proxytlv.h"

#define V1_PREFIX	"PROXY "
#define V1_PREFIX_LEN	6
#define V2_SIG_LEN	12
#define V2_INET_LEN	12
#define V2_INET6_LEN	36
#define V2_UNIX_LEN	216
#define V2_FAM_UNSPEC	0
#define V2_FAM_INET	1
#define V2_FAM_INET6	2
#define V2_FAM_UNIX	3
#define V2_UNSPEC	0
#define V2_DGRAM	2
#define V2_CMD_LOCAL	0
#define V2_CMD_PROXY	1

static const unsigned char v2_sig[V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static enum proxy_status	fail(struct proxy_decoder *, const char *);
static enum proxy_status	v1_byte(struct proxy_decoder *, unsigned char,
				    struct proxy_header *);
static enum proxy_status	v1_parse(struct proxy_decoder *,
				    struct proxy_header *);
static int	v1_addr(const char *, int, struct sockaddr_storage *,
		    socklen_t *);
static int	v1_port(const char *, struct sockaddr_storage *);
static enum proxy_status	v2_byte(struct proxy_decoder *, unsigned char,
				    struct proxy_header *);
static size_t	v2_addr_len(unsigned char);
static int	v2_tlv_byte(struct proxy_decoder *, unsigned char);
static enum proxy_status	v2_finish(struct proxy_decoder *,
				    struct proxy_header *);
static void	v2_inet(const unsigned char *, int, struct proxy_header *);
static void	v2_unix(const unsigned char *, struct sockaddr_storage *,
		    socklen_t *);

void
proxy_decoder_init(struct proxy_decoder *d, int accept)
{
	memset(d, 0, sizeof(*d));
	d->accept = accept;
}

/*
 * Feeds n bytes.  *used says how many were header bytes (on
 * PROXY_MALFORMED, including the one that was refused).  With PROXY_OK
 * *h is filled; with PROXY_MALFORMED d->why says what was wrong.
 */
enum proxy_status
proxy_decode(struct proxy_decoder *d, const void *buf, size_t n,
    size_t *used, struct proxy_header *h)
{
	const unsigned char	*p = buf;
	enum proxy_status	 st;
	size_t			 i;

	*used = 0;
	if (d->why != NULL)
		return PROXY_MALFORMED;
	for (i = 0; i < n; i++) {
		if (d->version == 0) {
			if (p[i] == 'P' && (d->accept & PROXY_V1))
				d->version = 1;
			else if (p[i] == v2_sig[0] && (d->accept & PROXY_V2))
				d->version = 2;
			else {
				*used = i + 1;
				return fail(d, "no PROXY header");
			}
		}
		if (d->version == 1)
			st = v1_byte(d, p[i], h);
		else
			st = v2_byte(d, p[i], h);
		if (st != PROXY_NEED_MORE) {
			*used = i + 1;
			return st;
		}
	}
	*used = n;
	return PROXY_NEED_MORE;
}

static enum proxy_status
fail(struct proxy_decoder *d, const char *why)
{
	d->why = why;
	return PROXY_MALFORMED;
}

static enum proxy_status
v1_byte(struct proxy_decoder *d, unsigned char c, struct proxy_header *h)
{
	d->buf[d->pos++] = c;
	if (d->pos <= V1_PREFIX_LEN) {
		if (c != (unsigned char)V1_PREFIX[d->pos - 1])
			return fail(d, "no PROXY header");
		return PROXY_NEED_MORE;
	}
	if (c == '\n')
		return v1_parse(d, h);
	if (c == '\0')
		return fail(d, "NUL in a v1 header");
	if (d->pos == PROXY_V1_MAX)
		return fail(d, "v1 header longer than 107 bytes");
	return PROXY_NEED_MORE;
}

/*
 * The whole line is in buf.  UNKNOWN may be followed by anything; TCP4
 * and TCP6 by exactly four fields, each after one space.
 */
static enum proxy_status
v1_parse(struct proxy_decoder *d, struct proxy_header *h)
{
	char		 line[PROXY_V1_MAX + 1], *f[5], *s;
	size_t		 len = d->pos - 2, k;
	int		 af;

	if (d->buf[len] != '\r')
		return fail(d, "v1 header does not end in CRLF");
	memcpy(line, d->buf, len);
	line[len] = '\0';
	s = line + V1_PREFIX_LEN;
	memset(h, 0, sizeof(*h));
	h->version = 1;
	if (strncmp(s, "UNKNOWN", 7) == 0 && (s[7] == '\0' || s[7] == ' ')) {
		h->local = 1;
		return PROXY_OK;
	}
	if (strncmp(s, "TCP4 ", 5) == 0)
		af = AF_INET;
	else if (strncmp(s, "TCP6 ", 5) == 0)
		af = AF_INET6;
	else
		return fail(d, "v1 protocol is not TCP4, TCP6 or UNKNOWN");
	s += 5;
	for (k = 0; k < 5 && s != NULL; k++) {
		f[k] = s;
		if ((s = strchr(s, ' ')) != NULL)
			*s++ = '\0';
	}
	if (k != 4 || s != NULL)
		return fail(d, "v1 header needs four fields after the protocol");
	if (v1_addr(f[0], af, &h->src, &h->srclen) == -1 ||
	    v1_addr(f[1], af, &h->dst, &h->dstlen) == -1)
		return fail(d, "bad address in a v1 header");
	if (v1_port(f[2], &h->src) == -1 || v1_port(f[3], &h->dst) == -1)
		return fail(d, "bad port in a v1 header");
	return PROXY_OK;
}

static int
v1_addr(const char *s, int af, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
		return inet_pton(AF_INET, s, &sin->sin_addr) == 1 ? 0 : -1;
	}
	sin6->sin6_family = AF_INET6;
	*len = sizeof(*sin6);
	return inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1 ? 0 : -1;
}

/* Decimal, 0-65535, no sign and no leading zero. */
static int
v1_port(const char *s, struct sockaddr_storage *ss)
{
	unsigned long	 v = 0;
	size_t		 i, n = strlen(s);

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((in_port_t)v);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((in_port_t)v);
	return 0;
}

static enum proxy_status
v2_byte(struct proxy_decoder *d, unsigned char c, struct proxy_header *h)
{
	size_t	 need;

	if (d->pos < sizeof(d->buf))
		d->buf[d->pos] = c;
	d->pos++;
	if (d->pos <= V2_SIG_LEN) {
		if (c != v2_sig[d->pos - 1])
			return fail(d, "bad v2 signature");
		return PROXY_NEED_MORE;
	}
	switch (d->pos) {
	case 13:
		if (c >> 4 != 2)
			return fail(d, "unsupported PROXY version");
		if ((c & 0x0f) > V2_CMD_PROXY)
			return fail(d, "unknown v2 command");
		return PROXY_NEED_MORE;
	case 14:
		if (c >> 4 > V2_FAM_UNIX || (c & 0x0f) > V2_DGRAM)
			return fail(d, "unknown v2 address family");
		return PROXY_NEED_MORE;
	case PROXY_V2_FIXED:
		d->total = PROXY_V2_FIXED + ((size_t)d->buf[14] << 8 | c);
		need = (d->buf[12] & 0x0f) == V2_CMD_PROXY ?
		    v2_addr_len(d->buf[13]) : 0;
		if (d->total - PROXY_V2_FIXED < need)
			return fail(d, "v2 address block too short");
		/*
		 * Only an address block of known size says where TLVs start;
		 * a LOCAL or UNSPEC header is ignored whole, as the spec says.
		 */
		d->tlv_at = need > 0 ? PROXY_V2_FIXED + need : 0;
		break;
	}
	if (d->tlv_at != 0 && d->pos > d->tlv_at && v2_tlv_byte(d, c) == -1)
		return fail(d, "v2 TLV longer than the header");
	if (d->pos >= PROXY_V2_FIXED && d->pos == d->total) {
		/* One or two bytes left over cannot hold a TLV's header. */
		if (d->tlv_at != 0 && d->tlv_at != d->total)
			return fail(d, "v2 header ends inside a TLV");
		return v2_finish(d, h);
	}
	return PROXY_NEED_MORE;
}

/*
 * One byte at or after d->tlv_at, the offset of the next TLV: its type,
 * then the two bytes of its length, which move tlv_at past its value.
 * -1 when that value would run past the header's declared length, so
 * the refusal comes at the length, not after waiting for bytes that
 * belong to the client.
 */
static int
v2_tlv_byte(struct proxy_decoder *d, unsigned char c)
{
	size_t	 i = d->pos - 1;	/* c's offset in the header */

	if (i == d->tlv_at + 1)
		d->tlv_len_hi = c;
	else if (i == d->tlv_at + 2) {
		d->tlv_at += 3 + ((size_t)d->tlv_len_hi << 8 | c);
		if (d->tlv_at > d->total)
			return -1;
	}
	return 0;
}

/*
 * The size of the address block, 0 when it has none we could read: with
 * an unspecified family or transport protocol (0x10 is "IPv4, protocol
 * unknown": ports or not?) the block is skipped whole, not checked.
 */
static size_t
v2_addr_len(unsigned char fam)
{
	if ((fam & 0x0f) == V2_UNSPEC)
		return 0;
	switch (fam >> 4) {
	case V2_FAM_INET:
		return V2_INET_LEN;
	case V2_FAM_INET6:
		return V2_INET6_LEN;
	case V2_FAM_UNIX:
		return V2_UNIX_LEN;
	}
	return 0;
}

static enum proxy_status
v2_finish(struct proxy_decoder *d, struct proxy_header *h)
{
	const unsigned char	*a = d->buf + PROXY_V2_FIXED;
	unsigned char		 fam = d->buf[13];
	size_t			 start, end;

	memset(h, 0, sizeof(*h));
	h->version = 2;
	/*
	 * The spec: with an unspecified family or transport protocol the
	 * receiver ignores the addresses and uses the connection's own,
	 * as for LOCAL.
	 */
	if ((d->buf[12] & 0x0f) == V2_CMD_LOCAL || fam >> 4 == V2_FAM_UNSPEC ||
	    (fam & 0x0f) == V2_UNSPEC) {
		h->local = 1;
		return PROXY_OK;
	}
	if ((fam & 0x0f) == V2_DGRAM)
		return fail(d, "v2 header for a datagram connection");
	switch (fam >> 4) {
	case V2_FAM_INET:
		v2_inet(a, AF_INET, h);
		break;
	case V2_FAM_INET6:
		v2_inet(a, AF_INET6, h);
		break;
	default:
		v2_unix(a, &h->src, &h->srclen);
		v2_unix(a + V2_UNIX_LEN / 2, &h->dst, &h->dstlen);
		break;
	}
	/*
	 * The TLVs were checked to fit the header; those that start within
	 * the first PROXY_V2_TLV_MAX bytes of them, all kept in buf, are
	 * read.
	 */
	start = PROXY_V2_FIXED + v2_addr_len(fam);
	end = d->total - start > PROXY_V2_TLV_MAX ?
	    start + PROXY_V2_TLV_MAX : d->total;
	if (proxy_tlvs(d->buf + start, end - start, &h->tls) == -1)
		return fail(d, "v2 SSL TLV malformed");
	return PROXY_OK;
}

/* Addresses, then ports, in network order as sockaddrs keep them. */
static void
v2_inet(const unsigned char *a, int af, struct proxy_header *h)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&h->src;
	struct sockaddr_in	*d4 = (struct sockaddr_in *)&h->dst;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&h->src;
	struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)&h->dst;

	if (af == AF_INET) {
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&d4->sin_addr, a + 4, 4);
		memcpy(&s4->sin_port, a + 8, 2);
		memcpy(&d4->sin_port, a + 10, 2);
		h->srclen = h->dstlen = sizeof(*s4);
		return;
	}
	s6->sin6_family = d6->sin6_family = AF_INET6;
	memcpy(&s6->sin6_addr, a, 16);
	memcpy(&d6->sin6_addr, a + 16, 16);
	memcpy(&s6->sin6_port, a + 32, 2);
	memcpy(&d6->sin6_port, a + 34, 2);
	h->srclen = h->dstlen = sizeof(*s6);
}

/* A 108-byte path field: up to its first NUL (abstract names kept). */
static void
v2_unix(const unsigned char *a, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)ss;
	size_t			 n, max = V2_UNIX_LEN / 2;

	if (max > sizeof(sun->sun_path))
		max = sizeof(sun->sun_path);
	for (n = a[0] == '\0' ? 1 : 0; n < max && a[n] != '\0'; n++)
		continue;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, a, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}
