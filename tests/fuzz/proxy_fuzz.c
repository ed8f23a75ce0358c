/*
 * libFuzzer target for the PROXY header decoder, in the frame target's
 * shape.  The first input byte picks the versions accepted, the second
 * the piece size; the rest is decoded whole and in pieces, and the two
 * verdicts and byte counts must agree.  An accepted header must look
 * like one (v1: "PROXY " ... CRLF, at most 107 bytes; v2: signature
 * and exactly its declared length, its TLVs filling what follows the
 * addresses), and what follows it goes on to the frame decoder, as in
 * the daemon.  Any disagreement aborts.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t	v2_addr_len(uint8_t);
static void	check_tlvs(const uint8_t *, size_t, size_t);
static void	check_tls(const struct proxy_header *);

static enum proxy_status
decode(const uint8_t *p, size_t n, size_t piece, int accept,
    struct proxy_header *h, size_t *consumed)
{
	struct proxy_decoder	 d;
	enum proxy_status	 st = PROXY_NEED_MORE;
	size_t			 off = 0, len, used;

	proxy_decoder_init(&d, accept);
	while (off < n && st == PROXY_NEED_MORE) {
		len = n - off < piece ? n - off : piece;
		st = proxy_decode(&d, p + off, len, &used, h);
		if (used > len || (st == PROXY_NEED_MORE && used != len))
			abort();
		if (st == PROXY_MALFORMED && d.why == NULL)
			abort();
		off += used;
	}
	*consumed = off;
	return st;
}

static void
check_accepted(const uint8_t *p, size_t used, const struct proxy_header *h)
{
	size_t	 declared, at;

	if (h->version == 1) {
		if (used > PROXY_V1_MAX || used < 8 ||
		    memcmp(p, "PROXY ", 6) != 0 ||
		    p[used - 2] != '\r' || p[used - 1] != '\n')
			abort();
		if (!h->local && h->src.ss_family != AF_INET &&
		    h->src.ss_family != AF_INET6)
			abort();
		return;
	}
	if (h->version != 2 || used < PROXY_V2_FIXED ||
	    memcmp(p, "\r\n\r\n\0\r\nQUIT\n", 12) != 0)
		abort();
	declared = (size_t)p[14] << 8 | p[15];
	if (used != PROXY_V2_FIXED + declared)
		abort();
	if ((p[12] & 0x0f) == 1 && (at = v2_addr_len(p[13])) > 0)
		check_tlvs(p, PROXY_V2_FIXED + at, used);
	/* Addresses are taken only from a header that has them. */
	if (!h->local && ((p[12] & 0x0f) != 1 || v2_addr_len(p[13]) == 0))
		abort();
}

/*
 * The address block of a v2 PROXY command, where TLVs start after; 0
 * when family or transport is unspecified (the block is not read).
 */
static size_t
v2_addr_len(uint8_t fam)
{
	static const size_t	 len[] = { 0, 12, 36, 216 };

	return fam >> 4 < 4 && (fam & 0x0f) != 0 ? len[fam >> 4] : 0;
}

/*
 * What reaches a program's environment: only a v2 header with addresses
 * has TLS facts, and each value ends in its field with no control byte.
 */
static void
check_tls(const struct proxy_header *h)
{
	const struct proxy_tls	*t = &h->tls;
	const char		*f[] = { t->version, t->cipher, t->cn,
				    t->sig_alg, t->key_alg, t->authority };
	const size_t		 size[] = { sizeof(t->version),
				    sizeof(t->cipher), sizeof(t->cn),
				    sizeof(t->sig_alg), sizeof(t->key_alg),
				    sizeof(t->authority) };
	size_t			 i, k;

	if ((h->version == 1 || h->local) && (t->tls || t->authority[0]))
		abort();
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		for (k = 0; k < size[i] && f[i][k] != '\0'; k++)
			if ((unsigned char)f[i][k] < 0x20 || f[i][k] == 0x7f)
				abort();
		if (k == size[i])
			abort();
	}
}

/* An accepted header's TLVs end exactly where the header does. */
static void
check_tlvs(const uint8_t *p, size_t at, size_t end)
{
	while (at < end) {
		if (end - at < 3)
			abort();
		at += 3 + ((size_t)p[at + 1] << 8 | p[at + 2]);
	}
	if (at != end)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header	 h1, h2;
	struct frame_decoder	 fd;
	enum proxy_status	 whole, pieces;
	size_t			 piece, used1, used2, fused;
	int			 accept;

	if (size < 2)
		return 0;
	accept = data[0] % 3 + 1;
	piece = (size_t)(data[1] % 64) + 1;
	data += 2;
	size -= 2;

	memset(&h1, 0, sizeof(h1));
	memset(&h2, 0, sizeof(h2));
	whole = decode(data, size, size > 0 ? size : 1, accept, &h1, &used1);
	pieces = decode(data, size, piece, accept, &h2, &used2);
	if (whole != pieces || used1 != used2)
		abort();
	if (whole != PROXY_OK)
		return 0;
	if (h1.version != h2.version || h1.local != h2.local ||
	    h1.srclen != h2.srclen ||
	    memcmp(&h1.src, &h2.src, sizeof(h1.src)) != 0 ||
	    memcmp(&h1.tls, &h2.tls, sizeof(h1.tls)) != 0)
		abort();
	check_accepted(data, used1, &h1);
	check_tls(&h1);
	/* The client's bytes after the header are frames. */
	frame_decoder_init(&fd, 1024);
	(void)frame_decode_header(&fd, data + used1, size - used1, &fused);
	if (fused > size - used1)
		abort();
	return 0;
}
