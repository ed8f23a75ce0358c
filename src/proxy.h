/*
 * sock64: the PROXY protocol header a load balancer sends before the
 * client's bytes, version 1 (a text line) and version 2 (binary).  The
 * decoder is pure, like frame's: no I/O, no allocation, no globals.
 * Reading the header off a connection is proxyio.c's job.
 */
#ifndef SOCK64_PROXY_H
#define SOCK64_PROXY_H

#include <sys/socket.h>

#include <stddef.h>

#include "addr.h"

#define PROXY_V1		0x01	/* which versions to accept */
#define PROXY_V2		0x02
#define PROXY_ANY		(PROXY_V1 | PROXY_V2)

#define PROXY_V1_MAX		107	/* the longest line, CRLF included */
#define PROXY_V2_FIXED		16	/* signature, command, family, length */
#define PROXY_V2_ADDR_MAX	216	/* the longest address block (unix) */
#define PROXY_V2_TLV_MAX	1024	/* TLV bytes read after it */

enum proxy_status {
	PROXY_NEED_MORE,	/* all input consumed, header incomplete */
	PROXY_OK,		/* header complete */
	PROXY_MALFORMED		/* not a header we accept; see why */
};

/*
 * What a v2 header's SSL TLV (with its sub-TLVs) and AUTHORITY TLV say
 * of the client's TLS session with the balancer, read by proxytlv.c
 * from a header with IPv4, IPv6 or unix addresses.  A value too long
 * for its field or holding an ASCII control byte is left out (an empty
 * string), as is what lies past the first PROXY_V2_TLV_MAX bytes of
 * TLVs.
 */
struct proxy_tls {
	int	 tls;			/* the client spoke TLS */
	int	 cert;			/* and sent a certificate */
	int	 verified;		/* which the balancer verified */
	char	 version[32];		/* "TLSv1.3" */
	char	 cipher[128];
	char	 cn[256];		/* the client certificate's CN */
	char	 sig_alg[64];		/* of the balancer's certificate */
	char	 key_alg[64];
	char	 authority[256];	/* the host name (TLS: SNI) */
};

/* What a complete header says. */
struct proxy_header {
	int			 version;	/* 1 or 2 */
	/*
	 * 1 for a v2 LOCAL command (the balancer's own connection, a
	 * health check), for UNKNOWN addresses and for a v2 header
	 * with an unspecified family or transport protocol: the
	 * connection's own addresses stand.
	 */
	int			 local;
	struct sockaddr_storage	 src;		/* the client */
	struct sockaddr_storage	 dst;		/* what it connected to */
	socklen_t		 srclen;
	socklen_t		 dstlen;
	struct proxy_tls	 tls;		/* zero unless v2 with addresses */
};

/*
 * Incremental decoder.  Feed it bytes in any split; it consumes header
 * bytes only (v2 TLVs are checked to fit within the declared length,
 * and the first PROXY_V2_TLV_MAX bytes of them kept and read), so the
 * caller knows where the client's own bytes start.
 */
struct proxy_decoder {
	int			 accept;	/* PROXY_V1 | PROXY_V2 */
	int			 version;	/* 0 until the first byte */
	size_t			 pos;		/* header bytes consumed */
	size_t			 total;		/* v2: 16 + declared length */
	size_t			 tlv_at;	/* v2: next TLV; 0: unchecked */
	unsigned char		 tlv_len_hi;	/* v2: its length's first byte */
	const char		*why;		/* with PROXY_MALFORMED */
	unsigned char		 buf[PROXY_V2_FIXED + PROXY_V2_ADDR_MAX +
				    PROXY_V2_TLV_MAX];
};

void			 proxy_decoder_init(struct proxy_decoder *, int);
enum proxy_status	 proxy_decode(struct proxy_decoder *, const void *,
			    size_t, size_t *, struct proxy_header *);

#endif /* SOCK64_PROXY_H */
