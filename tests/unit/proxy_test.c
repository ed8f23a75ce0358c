/*
 * Unit tests for the PROXY header decoder: v1 lines and v2 headers that
 * must be accepted or refused, each fed whole, split at every point and
 * a byte at a time, with client bytes after it that must be left alone.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "proxy.h"

#define T(s)	s, sizeof(s) - 1
#define SIG	"\r\n\r\n\0\r\nQUIT\n"
#define V4BODY	"\xc0\x00\x02\x01\xc6\x33\x64\x02\xdc\x04\x01\xbb"
#define V6BODY	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" \
		"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02\x00\x01\xff\xff"
#define LONGEST	"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff " \
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"

struct proxy_case {
	const char		*bytes;
	size_t			 len;
	int			 accept;
	enum proxy_status	 want;
	int			 local;		/* with PROXY_OK */
	const char		*src;		/* with PROXY_OK, not local */
};

static const struct proxy_case cases[] = {
	/* v1 */
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"), PROXY_ANY,
	    PROXY_OK, 0, "192.0.2.1:56324" },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"), PROXY_V1,
	    PROXY_OK, 0, "192.0.2.1:56324" },
	{ T("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n"), PROXY_ANY,
	    PROXY_OK, 0, "[2001:db8::1]:1" },
	{ T("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n"), PROXY_ANY, PROXY_OK, 0,
	    "0.0.0.0:0" },
	{ T("PROXY UNKNOWN\r\n"), PROXY_ANY, PROXY_OK, 1, NULL },
	{ T(LONGEST), PROXY_ANY, PROXY_OK, 1, NULL },
	{ T("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655355\r\n"),
	    PROXY_ANY, PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 1\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 \r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1  198.51.100.2 56324 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 2001:db8::1 198.51.100.2 56324 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP6 192.0.2.1 198.51.100.2 56324 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.256 198.51.100.2 56324 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 0443 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 -1 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 +1 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY UDP4 192.0.2.1 198.51.100.2 1 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1\0 198.51.100.2 1 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXY \r\n"), PROXY_ANY, PROXY_MALFORMED, 0, NULL },
	{ T("proxy TCP4 192.0.2.1 198.51.100.2 1 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("PROXYTCP4 192.0.2.1 198.51.100.2 1 443\r\n"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T("13                                                              "),
	    PROXY_ANY, PROXY_MALFORMED, 0, NULL },
	{ T("GET / HTTP/1.0\r\n"), PROXY_ANY, PROXY_MALFORMED, 0, NULL },
	{ T("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"), PROXY_V2,
	    PROXY_MALFORMED, 0, NULL },
	/* v2: PROXY over IPv4, IPv6 and unix; LOCAL; UNSPEC; TLVs. */
	{ T(SIG "\x21\x11\x00\x0c" V4BODY), PROXY_ANY, PROXY_OK, 0,
	    "192.0.2.1:56324" },
	{ T(SIG "\x21\x11\x00\x0c" V4BODY), PROXY_V2, PROXY_OK, 0,
	    "192.0.2.1:56324" },
	{ T(SIG "\x21\x11\x00\x13" V4BODY "\x04\x00\x04" "abcd"), PROXY_ANY,
	    PROXY_OK, 0, "192.0.2.1:56324" },
	{ T(SIG "\x21\x21\x00\x24" V6BODY), PROXY_ANY, PROXY_OK, 0,
	    "[2001:db8::1]:1" },
	{ T(SIG "\x20\x00\x00\x00"), PROXY_ANY, PROXY_OK, 1, NULL },
	{ T(SIG "\x20\x11\x00\x0c" V4BODY), PROXY_ANY, PROXY_OK, 1, NULL },
	{ T(SIG "\x21\x00\x00\x03" "xyz"), PROXY_ANY, PROXY_OK, 1, NULL },
	{ T(SIG "\x20\x00\x00\x00"), PROXY_V1, PROXY_MALFORMED, 0, NULL },
	{ T(SIG "\x11\x11\x00\x0c" V4BODY), PROXY_ANY, PROXY_MALFORMED, 0,
	    NULL },
	{ T(SIG "\x22\x11\x00\x0c" V4BODY), PROXY_ANY, PROXY_MALFORMED, 0,
	    NULL },
	{ T(SIG "\x21\x41\x00\x0c" V4BODY), PROXY_ANY, PROXY_MALFORMED, 0,
	    NULL },
	{ T(SIG "\x21\x13\x00\x0c" V4BODY), PROXY_ANY, PROXY_MALFORMED, 0,
	    NULL },
	{ T(SIG "\x21\x12\x00\x0c" V4BODY), PROXY_ANY, PROXY_MALFORMED, 0,
	    NULL },
	{ T(SIG "\x21\x11\x00\x0b" V4BODY), PROXY_ANY, PROXY_MALFORMED, 0,
	    NULL },
	{ T(SIG "\x21\x21\x00\x0c" V4BODY), PROXY_ANY, PROXY_MALFORMED, 0,
	    NULL },
	{ T("\r\n\r\n\0\r\nQUIX\n\x21\x11\x00\x0c" V4BODY), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	/*
	 * v2 TLVs: any number, of any type, each type + 16-bit length +
	 * value, filling the declared length exactly.  CRC32C is optional
	 * to check (we do not); an empty value is a TLV too.
	 */
	{ T(SIG "\x21\x11\x00\x15" V4BODY "\x04\x00\x00" "\x02\x00\x03" "abc"),
	    PROXY_ANY, PROXY_OK, 0, "192.0.2.1:56324" },
	{ T(SIG "\x21\x11\x00\x13" V4BODY "\x03\x00\x04" "\0\0\0\0"),
	    PROXY_ANY, PROXY_OK, 0, "192.0.2.1:56324" },
	{ T(SIG "\x21\x21\x00\x2b" V6BODY "\x05\x00\x04" "id-1"), PROXY_ANY,
	    PROXY_OK, 0, "[2001:db8::1]:1" },
	{ T(SIG "\x21\x11\x00\x0f" V4BODY "\xee\x00\x00"), PROXY_ANY,
	    PROXY_OK, 0, "192.0.2.1:56324" },
	/*
	 * A known family with an unspecified transport protocol (0x10,
	 * 0x20, 0x30): the addresses are ignored, like UNSPEC, and the
	 * block is skipped whole, however long.
	 */
	{ T(SIG "\x21\x10\x00\x0c" V4BODY), PROXY_ANY, PROXY_OK, 1, NULL },
	{ T(SIG "\x21\x20\x00\x24" V6BODY), PROXY_ANY, PROXY_OK, 1, NULL },
	{ T(SIG "\x21\x10\x00\x08" "\xc0\x00\x02\x01\xc6\x33\x64\x02"),
	    PROXY_ANY, PROXY_OK, 1, NULL },
	{ T(SIG "\x21\x10\x00\x0e" V4BODY "\xff\xff"), PROXY_ANY, PROXY_OK, 1,
	    NULL },
	{ T(SIG "\x21\x30\x00\x00"), PROXY_ANY, PROXY_OK, 1, NULL },
	/* LOCAL: the whole block is ignored, TLVs or not. */
	{ T(SIG "\x20\x11\x00\x0e" V4BODY "\xff\xff"), PROXY_ANY, PROXY_OK,
	    1, NULL },
	/* A TLV that runs past the header, or a header ending inside one. */
	{ T(SIG "\x21\x11\x00\x13" V4BODY "\x04\x00\x05" "abcd"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T(SIG "\x21\x11\x00\x13" V4BODY "\x04\xff\xff" "abcd"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T(SIG "\x21\x11\x00\x15" V4BODY "\x04\x00\x01" "a" "\x02\x00\x03"
	    "ab"), PROXY_ANY, PROXY_MALFORMED, 0, NULL },
	{ T(SIG "\x21\x21\x00\x2b" V6BODY "\x05\x00\x05" "id-1"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T(SIG "\x21\x11\x00\x0d" V4BODY "\x04"), PROXY_ANY, PROXY_MALFORMED,
	    0, NULL },
	{ T(SIG "\x21\x11\x00\x0e" V4BODY "\x04\x00"), PROXY_ANY,
	    PROXY_MALFORMED, 0, NULL },
	{ T(SIG "\x21\x11\x00\x12" V4BODY "\x04\x00\x01" "a" "\x02\x00"),
	    PROXY_ANY, PROXY_MALFORMED, 0, NULL },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Feeds p in pieces of at most piece bytes, as a reader would. */
static enum proxy_status
feed(const unsigned char *p, size_t n, size_t piece, int accept,
    struct proxy_header *h, size_t *consumed)
{
	struct proxy_decoder	 d;
	enum proxy_status	 st = PROXY_NEED_MORE;
	size_t			 off = 0, len, used;

	proxy_decoder_init(&d, accept);
	while (off < n && st == PROXY_NEED_MORE) {
		len = n - off < piece ? n - off : piece;
		st = proxy_decode(&d, p + off, len, &used, h);
		off += used;
	}
	*consumed = off;
	return st;
}

static void
check_one(const struct proxy_case *c, size_t i, const unsigned char *buf,
    size_t n, size_t piece)
{
	struct proxy_header	 h;
	enum proxy_status	 st;
	size_t			 used;
	char			 name[ADDR_NAME_MAX];

	memset(&h, 0, sizeof(h));
	st = feed(buf, n, piece, c->accept, &h, &used);
	CHECK(st == c->want, "case %zu piece %zu: status %d, want %d", i,
	    piece, st, c->want);
	if (st != PROXY_OK || c->want != PROXY_OK)
		return;
	CHECK(used == c->len, "case %zu piece %zu: used %zu of %zu", i, piece,
	    used, c->len);
	CHECK(h.local == c->local, "case %zu: local %d", i, h.local);
	if (c->src == NULL)
		return;
	addr_format((struct sockaddr *)&h.src, h.srclen, name, sizeof(name));
	CHECK(strcmp(name, c->src) == 0, "case %zu: src %s, want %s", i, name,
	    c->src);
}

/* Every case whole, in two pieces split anywhere, and byte by byte. */
static void
test_cases(void)
{
	unsigned char	 buf[512];
	size_t		 i, split, n;

	for (i = 0; i < NCASES; i++) {
		/* Client bytes follow the header: they must not be eaten. */
		memcpy(buf, cases[i].bytes, cases[i].len);
		memcpy(buf + cases[i].len, "13      ", 8);
		n = cases[i].len + 8;
		check_one(&cases[i], i, buf, n, n);
		check_one(&cases[i], i, buf, n, 1);
		for (split = 1; split < cases[i].len; split++) {
			struct proxy_decoder	 d;
			struct proxy_header	 h;
			enum proxy_status	 st;
			size_t			 u1, u2 = 0;

			proxy_decoder_init(&d, cases[i].accept);
			st = proxy_decode(&d, buf, split, &u1, &h);
			if (st == PROXY_NEED_MORE)
				st = proxy_decode(&d, buf + split, n - split,
				    &u2, &h);
			CHECK(st == cases[i].want, "case %zu split %zu: %d",
			    i, split, st);
			if (st == PROXY_OK)
				CHECK(u1 + u2 == cases[i].len, "case %zu "
				    "split %zu: used %zu", i, split, u1 + u2);
		}
	}
}

/* An unterminated v1 line is refused at byte 107, not later. */
static void
test_v1_limit(void)
{
	struct proxy_decoder	 d;
	struct proxy_header	 h;
	unsigned char		 buf[200];
	size_t			 used;

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "PROXY UNKNOWN ", 14);
	proxy_decoder_init(&d, PROXY_ANY);
	CHECK(proxy_decode(&d, buf, sizeof(buf), &used, &h) ==
	    PROXY_MALFORMED, "overlong line accepted");
	CHECK(used == PROXY_V1_MAX, "refused after %zu bytes", used);
	CHECK(proxy_decode(&d, "\r\n", 2, &used, &h) == PROXY_MALFORMED,
	    "a refused decoder goes on");
}

/*
 * tlvs: fills p[0..n) with TLVs of up to 1000 bytes each (n may not be
 * 1 or 2: no TLV is that short).
 */
static void
tlvs(unsigned char *p, size_t n)
{
	size_t	 len;

	while (n > 0) {
		len = n > 1000 + 3 ? 1000 : n - 3;
		if (n - (len + 3) > 0 && n - (len + 3) < 3)
			len -= 3;
		p[0] = 0xe0;
		p[1] = (unsigned char)(len >> 8);
		p[2] = (unsigned char)(len & 0xff);
		memset(p + 3, 0xee, len);
		p += 3 + len;
		n -= 3 + len;
	}
}

/* A v2 header with 60000 bytes of TLVs is skipped to its end. */
static void
test_v2_long_tlvs(void)
{
	static unsigned char	 buf[16 + 60000 + 5];
	struct proxy_header	 h;
	enum proxy_status	 st;
	size_t			 used;

	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, SIG "\x21\x11", 14);
	buf[14] = 60000 >> 8;
	buf[15] = 60000 & 0xff;
	memcpy(buf + 16, V4BODY, 12);
	tlvs(buf + 16 + 12, 60000 - 12);
	st = feed(buf, sizeof(buf), 777, PROXY_V2, &h, &used);
	CHECK(st == PROXY_OK && used == 16 + 60000, "status %d used %zu", st,
	    used);
}

/*
 * A TLV longer than the rest of the header is refused at its length
 * bytes: the decoder does not wait for the 60000 bytes declared, which
 * may be the client's own.
 */
static void
test_v2_tlv_overrun(void)
{
	static unsigned char	 buf[16 + 60000];
	struct proxy_decoder	 d;
	struct proxy_header	 h;
	enum proxy_status	 st;
	size_t			 used;

	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, SIG "\x21\x11", 14);
	buf[14] = 60000 >> 8;
	buf[15] = 60000 & 0xff;
	memcpy(buf + 16, V4BODY, 12);
	st = feed(buf, sizeof(buf), 1, PROXY_V2, &h, &used);
	CHECK(st == PROXY_MALFORMED && used == 16 + 12 + 3,
	    "status %d used %zu", st, used);
	proxy_decoder_init(&d, PROXY_V2);
	st = proxy_decode(&d, buf, sizeof(buf), &used, &h);
	CHECK(st == PROXY_MALFORMED && used == 16 + 12 + 3 && d.why != NULL &&
	    strstr(d.why, "TLV") != NULL, "status %d used %zu why %s", st,
	    used, d.why != NULL ? d.why : "none");
	/* The same header with the TLVs it declares is taken. */
	tlvs(buf + 16 + 12, 60000 - 12);
	st = feed(buf, sizeof(buf), 1, PROXY_V2, &h, &used);
	CHECK(st == PROXY_OK && used == sizeof(buf), "status %d used %zu", st,
	    used);
}

static void
test_unix_addresses(void)
{
	static unsigned char	 buf[16 + 216 + 7];
	struct proxy_header	 h;
	size_t			 used;
	char			 name[ADDR_NAME_MAX];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, SIG "\x21\x31\x00\xd8", 16);
	memcpy(buf + 16, "/run/client.sock", 16);
	memcpy(buf + 16 + 108, "/run/server.sock", 16);
	CHECK(feed(buf, sizeof(buf), 5, PROXY_ANY, &h, &used) == PROXY_OK,
	    "unix header refused");
	addr_format((struct sockaddr *)&h.src, h.srclen, name, sizeof(name));
	CHECK(!h.local && strcmp(name, "unix:/run/client.sock") == 0,
	    "unix src %s", name);
	/* TLVs follow the 216 address bytes, and must fit too. */
	buf[15] = 0xd8 + 7;
	memcpy(buf + 16 + 216, "\x04\x00\x04" "abcd", 7);
	CHECK(feed(buf, sizeof(buf), 5, PROXY_ANY, &h, &used) == PROXY_OK &&
	    used == sizeof(buf), "unix header with a TLV refused");
	buf[16 + 216 + 2] = 5;
	CHECK(feed(buf, sizeof(buf), 5, PROXY_ANY, &h, &used) ==
	    PROXY_MALFORMED, "unix header with a TLV too long taken");
}

/* Writes a TLV at p; returns its size. */
static size_t
put(unsigned char *p, unsigned char type, const void *v, size_t n)
{
	p[0] = type;
	p[1] = (unsigned char)(n >> 8);
	p[2] = (unsigned char)(n & 0xff);
	memcpy(p + 3, v, n);
	return 3 + n;
}

/* As put, with a string's bytes. */
static size_t
puts_tlv(unsigned char *p, unsigned char type, const char *s)
{
	return put(p, type, s, strlen(s));
}

/*
 * An SSL TLV (0x20) at p: client flags, the verify result, then the
 * sub-TLVs in sub[0..nsub).  Returns its size.
 */
static size_t
put_ssl(unsigned char *p, unsigned char client, unsigned char verify,
    const unsigned char *sub, size_t nsub)
{
	unsigned char	 v[1024];

	v[0] = client;
	v[1] = v[2] = v[3] = 0;
	v[4] = verify;
	memcpy(v + 5, sub, nsub);
	return put(p, 0x20, v, 5 + nsub);
}

/*
 * A v2 PROXY header for family fam (0x11 TCP4, 0x21 TCP6, 0x31 unix)
 * around tlv[0..n), into buf; returns its size.
 */
static size_t
v2_family(unsigned char *buf, unsigned char fam, const unsigned char *tlv,
    size_t n)
{
	size_t	 alen;

	alen = fam == 0x11 ? 12 : fam == 0x21 ? 36 : 216;
	memcpy(buf, SIG "\x21", 13);
	buf[13] = fam;
	buf[14] = (unsigned char)((alen + n) >> 8);
	buf[15] = (unsigned char)((alen + n) & 0xff);
	memset(buf + 16, 0, alen);
	if (fam == 0x11)
		memcpy(buf + 16, V4BODY, 12);
	else if (fam == 0x21)
		memcpy(buf + 16, V6BODY, 36);
	else
		memcpy(buf + 16, "/run/c.sock", 11);
	memcpy(buf + 16 + alen, tlv, n);
	return 16 + alen + n;
}

/* The same, for TCP4. */
static size_t
v2_around(unsigned char *buf, const unsigned char *tlv, size_t n)
{
	return v2_family(buf, 0x11, tlv, n);
}

/* tlv_after: pad bytes of TLV, then t[0..n); returns the TLVs' size. */
static size_t
tlv_after(unsigned char *tlv, size_t pad, const unsigned char *t, size_t n)
{
	static const unsigned char	 zeros[4096];

	put(tlv, 0x04, zeros, pad - 3);
	memcpy(tlv + pad, t, n);
	return pad + n;
}

/*
 * At the edge of the bytes read: a TLV that ends on it is read, one a
 * byte longer is not; of an SSL TLV cut short, the flags are read when
 * they lie within.
 */
static void
test_v2_tls_limit(void)
{
	static unsigned char	 buf[8192], tlv[4096], t[1024], sub[64];
	struct proxy_header	 h;
	size_t			 n, nt, ns, used;

	nt = puts_tlv(t, 0x02, "abc");
	n = v2_around(buf, tlv, tlv_after(tlv, PROXY_V2_TLV_MAX - nt, t, nt));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    strcmp(h.tls.authority, "abc") == 0, "TLV ending at the limit "
	    "not read: '%s'", h.tls.authority);
	n = v2_around(buf, tlv, tlv_after(tlv, PROXY_V2_TLV_MAX - nt + 1, t,
	    nt));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    h.tls.authority[0] == '\0', "TLV past the limit read: '%s'",
	    h.tls.authority);

	ns = puts_tlv(sub, 0x21, "TLSv1.3");
	nt = put_ssl(t, 0x07, 0, sub, ns);
	n = v2_around(buf, tlv, tlv_after(tlv, PROXY_V2_TLV_MAX - 8, t, nt));
	CHECK(feed(buf, n, 7, PROXY_V2, &h, &used) == PROXY_OK &&
	    h.tls.tls && h.tls.verified && h.tls.version[0] == '\0',
	    "SSL TLV with its flags on the limit: %d %d '%s'", h.tls.tls,
	    h.tls.verified, h.tls.version);
	n = v2_around(buf, tlv, tlv_after(tlv, PROXY_V2_TLV_MAX - 7, t, nt));
	CHECK(feed(buf, n, 7, PROXY_V2, &h, &used) == PROXY_OK && !h.tls.tls,
	    "SSL TLV with its flags past the limit read");

	/* An SSL TLV first, then more TLVs than are kept. */
	memcpy(tlv, t, nt);
	memset(t, 'p', sizeof(t));
	n = nt + put(tlv + nt, 0x04, t, sizeof(t));
	n += put(tlv + n, 0x04, t, sizeof(t));
	n = v2_around(buf, tlv, n);
	CHECK(feed(buf, n, 100, PROXY_V2, &h, &used) == PROXY_OK && used == n &&
	    h.tls.tls && strcmp(h.tls.version, "TLSv1.3") == 0,
	    "SSL TLV before 2 KiB of others: %d '%s'", h.tls.tls,
	    h.tls.version);

	/* A second SSL TLV replaces the first whole. */
	ns = puts_tlv(sub, 0x22, "admin");
	nt = put_ssl(t, 0x07, 0, sub, ns);
	nt += put_ssl(t + nt, 0x01, 0, sub, 0);
	n = v2_around(buf, t, nt);
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    h.tls.tls && !h.tls.cert && !h.tls.verified &&
	    h.tls.cn[0] == '\0', "two SSL TLVs mixed: %d %d '%s'",
	    h.tls.cert, h.tls.verified, h.tls.cn);
}

/* The TLVs follow the address block of each family. */
static void
test_v2_tls_families(void)
{
	static const unsigned char	 fams[] = { 0x11, 0x21, 0x31 };
	static unsigned char		 buf[2048], t[256], sub[64];
	struct proxy_header		 h;
	size_t				 i, n, ns, used;

	ns = puts_tlv(sub, 0x21, "TLSv1.2");
	n = put_ssl(t, 0x07, 0, sub, ns);
	n += puts_tlv(t + n, 0x02, "sock64.example");
	for (i = 0; i < sizeof(fams); i++) {
		memset(&h, 0, sizeof(h));
		CHECK(feed(buf, v2_family(buf, fams[i], t, n), 3, PROXY_V2,
		    &h, &used) == PROXY_OK && h.tls.verified &&
		    strcmp(h.tls.version, "TLSv1.2") == 0 &&
		    strcmp(h.tls.authority, "sock64.example") == 0,
		    "family 0x%02x: %d '%s' '%s'", fams[i], h.tls.verified,
		    h.tls.version, h.tls.authority);
	}
}

/* What haproxy sends with proxy-v2-options ssl,cert-cn,...,authority. */
static void
test_v2_tls(void)
{
	static unsigned char	 buf[4096], tlv[2048], sub[1024];
	struct proxy_header	 h;
	struct proxy_decoder	 d;
	size_t			 n, ns, used, piece;
	char			 cn[300];

	ns = puts_tlv(sub, 0x21, "TLSv1.3");
	ns += puts_tlv(sub + ns, 0x22, "client one");
	ns += puts_tlv(sub + ns, 0x23, "TLS_AES_256_GCM_SHA384");
	ns += puts_tlv(sub + ns, 0x24, "RSA-SHA256");
	ns += puts_tlv(sub + ns, 0x25, "RSA2048");
	ns += puts_tlv(sub + ns, 0x26, "X25519");	/* not read */
	n = puts_tlv(tlv, 0x02, "sock64.example");
	n += puts_tlv(tlv + n, 0x05, "unique id");	/* skipped */
	n += put_ssl(tlv + n, 0x07, 0, sub, ns);
	n = v2_around(buf, tlv, n);
	for (piece = 1; piece <= n; piece += piece < 40 ? 1 : 97) {
		memset(&h, 0, sizeof(h));
		CHECK(feed(buf, n, piece, PROXY_V2, &h, &used) == PROXY_OK &&
		    used == n, "piece %zu: refused", piece);
		CHECK(h.tls.tls && h.tls.cert && h.tls.verified,
		    "piece %zu: flags %d %d %d", piece, h.tls.tls, h.tls.cert,
		    h.tls.verified);
		CHECK(strcmp(h.tls.version, "TLSv1.3") == 0 &&
		    strcmp(h.tls.cn, "client one") == 0 &&
		    strcmp(h.tls.cipher, "TLS_AES_256_GCM_SHA384") == 0 &&
		    strcmp(h.tls.sig_alg, "RSA-SHA256") == 0 &&
		    strcmp(h.tls.key_alg, "RSA2048") == 0 &&
		    strcmp(h.tls.authority, "sock64.example") == 0,
		    "piece %zu: %s/%s/%s/%s/%s/%s", piece, h.tls.version,
		    h.tls.cn, h.tls.cipher, h.tls.sig_alg, h.tls.key_alg,
		    h.tls.authority);
	}

	/* A certificate that failed verification; then none at all. */
	n = v2_around(buf, tlv, put_ssl(tlv, 0x03, 20, sub, ns));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    h.tls.tls && h.tls.cert && !h.tls.verified, "verify 20 taken as "
	    "verified");
	n = v2_around(buf, tlv, put_ssl(tlv, 0x01, 0, sub, 0));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    h.tls.tls && !h.tls.cert && !h.tls.verified &&
	    h.tls.version[0] == '\0', "no certificate: %d %d", h.tls.cert,
	    h.tls.verified);
	/* Not TLS: the balancer's flags say so, whatever else is there. */
	n = v2_around(buf, tlv, put_ssl(tlv, 0x00, 0, sub, ns));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK && !h.tls.tls,
	    "a plain client taken for TLS");

	/* A control byte or a value too long for its field is left out. */
	ns = puts_tlv(sub, 0x21, "TLSv1.3");
	ns += puts_tlv(sub + ns, 0x22, "evil\nSSL_CLIENT_VERIFY=SUCCESS");
	n = v2_around(buf, tlv, put_ssl(tlv, 0x07, 0, sub, ns));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    h.tls.cn[0] == '\0' && strcmp(h.tls.version, "TLSv1.3") == 0,
	    "cn with a newline: %s", h.tls.cn);
	ns = put(sub, 0x22, "a\0b", 3);
	n = v2_around(buf, tlv, put_ssl(tlv, 0x07, 0, sub, ns));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    h.tls.cn[0] == '\0', "cn with a NUL: %s", h.tls.cn);
	memset(cn, 'c', sizeof(cn));
	ns = put(sub, 0x22, cn, sizeof(h.tls.cn) - 1);
	n = v2_around(buf, tlv, put_ssl(tlv, 0x07, 0, sub, ns));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    strlen(h.tls.cn) == sizeof(h.tls.cn) - 1, "longest cn: %zu",
	    strlen(h.tls.cn));
	ns = put(sub, 0x22, cn, sizeof(h.tls.cn));
	n = v2_around(buf, tlv, put_ssl(tlv, 0x07, 0, sub, ns));
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK &&
	    h.tls.cn[0] == '\0', "cn too long: %zu", strlen(h.tls.cn));

	/* An SSL TLV that its own parts do not fill is refused. */
	n = v2_around(buf, tlv, put(tlv, 0x20, "\x07\0\0\0", 4));
	proxy_decoder_init(&d, PROXY_V2);
	CHECK(proxy_decode(&d, buf, n, &used, &h) == PROXY_MALFORMED &&
	    strstr(d.why, "SSL") != NULL, "short SSL TLV taken");
	ns = puts_tlv(sub, 0x21, "TLSv1.3");
	sub[2] = 8;			/* one byte past the SSL TLV */
	n = v2_around(buf, tlv, put_ssl(tlv, 0x07, 0, sub, ns));
	CHECK(feed(buf, n, 1, PROXY_V2, &h, &used) == PROXY_MALFORMED,
	    "sub-TLV past the SSL TLV taken");
	sub[2] = 7;
	n = v2_around(buf, tlv, put_ssl(tlv, 0x07, 0, sub, ns - 1));
	CHECK(feed(buf, n, 1, PROXY_V2, &h, &used) == PROXY_MALFORMED,
	    "SSL TLV ending inside a sub-TLV taken");

	/* TLVs past the bytes kept are checked, skipped, not read. */
	memset(cn, 'f', sizeof(cn));
	n = 0;
	while (n < PROXY_V2_TLV_MAX)
		n += put(tlv + n, 0x04, cn, 250);
	n += put_ssl(tlv + n, 0x01, 0, sub, 0);
	n = v2_around(buf, tlv, n);
	memset(&h, 0, sizeof(h));
	CHECK(feed(buf, n, 64, PROXY_V2, &h, &used) == PROXY_OK && used == n &&
	    !h.tls.tls, "SSL TLV past the bytes kept: %d", h.tls.tls);
	/* A LOCAL header's TLVs are not read. */
	n = v2_around(buf, tlv, put_ssl(tlv, 0x07, 0, sub, 0));
	buf[12] = 0x20;
	CHECK(feed(buf, n, n, PROXY_V2, &h, &used) == PROXY_OK && h.local &&
	    !h.tls.tls, "LOCAL header's SSL TLV read");
}

int
main(void)
{
	test_cases();
	test_v1_limit();
	test_v2_long_tlvs();
	test_v2_tlv_overrun();
	test_unix_addresses();
	test_v2_tls();
	test_v2_tls_limit();
	test_v2_tls_families();
	return check_exit("proxy_test");
}
