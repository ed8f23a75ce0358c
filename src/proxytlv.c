/*
 * sock64: reading the TLVs of a PROXY v2 header that say how the client
 * reached the balancer.  An SSL TLV (0x20) holds a byte of client flags,
 * the 32-bit result of verifying the client's certificate (0: verified),
 * then sub-TLVs: the TLS version, the certificate's common name, the
 * cipher, and the signature and key algorithms of the balancer's own
 * certificate.  AUTHORITY (0x02) is the host name the client asked for,
 * SNI under TLS.  Other TLVs and sub-TLVs are skipped.
 */
#include "config.h"

#include <string.h>

#include "proxytlv.h"

#define PP2_TYPE_AUTHORITY	0x02
#define PP2_TYPE_SSL		0x20
#define PP2_SUBTYPE_SSL_VERSION	0x21
#define PP2_SUBTYPE_SSL_CN	0x22
#define PP2_SUBTYPE_SSL_CIPHER	0x23
#define PP2_SUBTYPE_SSL_SIG_ALG	0x24
#define PP2_SUBTYPE_SSL_KEY_ALG	0x25
#define PP2_CLIENT_SSL		0x01
#define PP2_CLIENT_CERT_CONN	0x02
#define PP2_CLIENT_CERT_SESS	0x04
#define PP2_SSL_FIXED		5	/* client flags, verify result */

static int	tlv_ssl(const unsigned char *, size_t, int, struct proxy_tls *);
static char	*tlv_ssl_field(struct proxy_tls *, unsigned char, size_t *);
static void	tlv_text(char *, size_t, const unsigned char *, size_t);

/*
 * The TLVs that start in t[0..n), the first bytes of a header's TLVs.
 * The decoder has checked that they fit the header, so the last may run
 * past n: of an SSL TLV cut short, the flags and the sub-TLVs within n
 * are read.  A second SSL or AUTHORITY TLV replaces the first whole.
 * Returns -1 for an SSL TLV whose own parts do not fill it.
 */
int
proxy_tlvs(const unsigned char *t, size_t n, struct proxy_tls *tls)
{
	size_t	 at, len;
	int	 cut;

	for (at = 0; n - at >= 3; at += 3 + len) {
		len = (size_t)t[at + 1] << 8 | t[at + 2];
		cut = len > n - at - 3;
		if (cut)
			len = n - at - 3;
		if (t[at] == PP2_TYPE_AUTHORITY)
			tlv_text(tls->authority, sizeof(tls->authority),
			    t + at + 3, cut ? 0 : len);
		else if (t[at] == PP2_TYPE_SSL &&
		    tlv_ssl(t + at + 3, len, cut, tls) == -1)
			return -1;
	}
	return 0;
}

/*
 * An SSL TLV's value, v[0..n); cut: the rest of it lies past what we
 * read, so its sub-TLVs are not checked to fill it.
 */
static int
tlv_ssl(const unsigned char *v, size_t n, int cut, struct proxy_tls *tls)
{
	char	*field;
	size_t	 at, len, size;

	tls->tls = tls->cert = tls->verified = 0;
	tls->version[0] = tls->cipher[0] = tls->cn[0] = '\0';
	tls->sig_alg[0] = tls->key_alg[0] = '\0';
	if (n < PP2_SSL_FIXED)
		return cut ? 0 : -1;
	tls->tls = (v[0] & PP2_CLIENT_SSL) != 0;
	tls->cert = (v[0] & (PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS)) != 0;
	tls->verified = tls->cert && (v[1] | v[2] | v[3] | v[4]) == 0;
	for (at = PP2_SSL_FIXED; at < n; at += 3 + len) {
		if (n - at < 3)
			return cut ? 0 : -1;
		len = (size_t)v[at + 1] << 8 | v[at + 2];
		if (len > n - at - 3)
			return cut ? 0 : -1;
		if ((field = tlv_ssl_field(tls, v[at], &size)) != NULL)
			tlv_text(field, size, v + at + 3, len);
	}
	return 0;
}

/* Where an SSL sub-TLV's text goes, and its size; NULL: skipped. */
static char *
tlv_ssl_field(struct proxy_tls *tls, unsigned char type, size_t *size)
{
	switch (type) {
	case PP2_SUBTYPE_SSL_VERSION:
		*size = sizeof(tls->version);
		return tls->version;
	case PP2_SUBTYPE_SSL_CN:
		*size = sizeof(tls->cn);
		return tls->cn;
	case PP2_SUBTYPE_SSL_CIPHER:
		*size = sizeof(tls->cipher);
		return tls->cipher;
	case PP2_SUBTYPE_SSL_SIG_ALG:
		*size = sizeof(tls->sig_alg);
		return tls->sig_alg;
	case PP2_SUBTYPE_SSL_KEY_ALG:
		*size = sizeof(tls->key_alg);
		return tls->key_alg;
	}
	return NULL;
}

/*
 * A value's text into field, which is left empty when the text does not
 * fit with its NUL or holds an ASCII control byte: a NUL would hide the
 * rest from the program, a newline would forge a line in what it logs.
 * Other bytes pass (a certificate's name may be UTF-8).
 */
static void
tlv_text(char *field, size_t size, const unsigned char *v, size_t n)
{
	size_t	 i;

	field[0] = '\0';
	if (n >= size)
		return;
	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] == 0x7f)
			return;
	memcpy(field, v, n);
	field[n] = '\0';
}
